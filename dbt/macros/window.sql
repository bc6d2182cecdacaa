{#-
  The window of UTC days a Dagster partition run rebuilds, as a SQL predicate on a date column:
  [window_start - lookback_days - before, window_end + after). `before`/`after` widen it for
  columns that are not UTC days (a meter's local date lies within a day of its UTC day).
  The window comes from vars (`dbt build --vars '{window_start: ..., window_end: ...}'`) or, as
  Dagster passes it, from ENERGY_MARTS_WINDOW_START/END and ENERGY_MARTS_LOOKBACK_DAYS, read only
  when a model runs: new --vars on every run would make dbt re-parse the whole project each time.
  Never while parsing (`execute` is false then): dbt re-parses every file that read an environment
  variable whose value changed since, so each new window re-parsed the marts (about 5 s a run).
  Without a window (a plain `dbt build`) every row is in the window.
-#}
{% macro window_setting(name, default=none) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none and execute -%}
        {%- set value = env_var('ENERGY_MARTS_' ~ name | upper, '') or default -%}
    {%- endif -%}
    {{ return(value if value is not none else default) }}
{%- endmacro %}

{% macro in_window(column, before=0, after=0) -%}
    {%- set start = window_setting('window_start') -%}
    {%- if start is none -%}
        true
    {%- else -%}
        {%- set lookback = window_setting('lookback_days', 1) | int -%}
        ({{ column }} >= date '{{ start }}' - {{ lookback + before }}
        and {{ column }} < date '{{ window_setting("window_end") }}' + {{ after }})
    {%- endif -%}
{%- endmacro %}

{#-
  `ref(model_name)` as an incremental mart reads it: on an incremental run only the rows of the
  window (`in_window` on `column`), on a first or full-refresh build every row. The incremental
  marts' `unique_key` (dbt_project.yml) then replaces exactly the days read.
-#}
{% macro windowed_ref(model_name, column='utc_day', before=0, after=0) -%}
    {%- if is_incremental() -%}
        (select * from {{ ref(model_name) }} where {{ in_window(column, before, after) }})
    {%- else -%}
        {{ ref(model_name) }}
    {%- endif -%}
{%- endmacro %}
