{#-
  The naive same-time-yesterday forecast as ml/baselines.py defines it (known_at_issue, then
  naive_forecasts): yesterday's reading at that time if it had ended by the issue time, else the
  one two days back. tests/integration/test_dbt_python_agreement.py runs both on the same rows.
-#}
{% macro naive_yesterday_kwh(interval_start, interval_minutes, issued_at, lag_1d, lag_2d) -%}
    coalesce(
        case
            when
                {{ interval_start }} - interval 1 day + to_minutes({{ interval_minutes }})
                <= {{ issued_at }}
                then {{ lag_1d }}
        end,
        {{ lag_2d }}
    )
{%- endmacro %}
