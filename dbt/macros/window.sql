{#-
  The window of UTC days a Dagster partition run rebuilds, as a SQL predicate on a date column:
  [window_start - lookback_days - before, window_end + after). `before`/`after` widen it for
  columns that are not UTC days (a meter's local date lies within a day of its UTC day).
  Without window vars (a manual `dbt build`) every row is in the window.
-#}
{% macro in_window(column, before=0, after=0) -%}
    {%- if var('window_start') is none -%}
        true
    {%- else -%}
        ({{ column }} >= date '{{ var("window_start") }}' - {{ var('lookback_days') | int + before }}
        and {{ column }} < date '{{ var("window_end") }}' + {{ after }})
    {%- endif -%}
{%- endmacro %}
