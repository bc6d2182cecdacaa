{#-
  Forecast accuracy as ml/evaluation.py defines it, so the marts and the MLflow metrics agree
  (tests/integration/test_dbt_python_agreement.py runs both on the same rows).
  An absolute percentage error exists only where |actual| is at least the var `mape_floor_kwh`
  (ml.evaluation.MAPE_FLOOR_KWH): a percentage of a near-zero reading is noise; a negative
  (exported) reading counts by its size.
-#}
{% macro abs_percentage_error(actual, forecast) -%}
    case
        when abs({{ actual }}) >= {{ var('mape_floor_kwh') }}
            then abs({{ forecast }} - {{ actual }}) / abs({{ actual }})
    end
{%- endmacro %}

{#- MAPE in percent over the rows with a percentage error; null when none has one. -#}
{% macro mape_pct(actual, forecast) -%}
    100 * avg({{ abs_percentage_error(actual, forecast) }})
{%- endmacro %}

{#-
  Accuracy aggregates over rows of int_forecast_errors, shared by the forecast-accuracy marts.
  Skill is 1 - model MAE / naive MAE over the intervals where that naive forecast exists (1 =
  perfect, 0 = no better than naive, negative = worse); null when the naive forecast never erred
  or is absent.
-#}
{% macro accuracy_columns() -%}
    cast(count(*) as integer) as intervals,
    sum(actual_kwh) as actual_kwh,
    sum(forecast_kwh) as forecast_kwh,
    avg(abs_error_kwh) as mae_kwh,
    {{ mape_pct('actual_kwh', 'forecast_kwh') }} as mape_pct,
    avg(error_kwh) as bias_kwh,
    100.0 * count(*) filter (where is_within_band) / count(*) as band_coverage_pct,
    avg(naive_yesterday_abs_error_kwh) as naive_yesterday_mae_kwh,
    avg(naive_last_week_abs_error_kwh) as naive_last_week_mae_kwh,
    1 - sum(abs_error_kwh) filter (where naive_yesterday_abs_error_kwh is not null)
    / nullif(sum(naive_yesterday_abs_error_kwh), 0) as skill_vs_yesterday,
    1 - sum(abs_error_kwh) filter (where naive_last_week_abs_error_kwh is not null)
    / nullif(sum(naive_last_week_abs_error_kwh), 0) as skill_vs_last_week
{%- endmacro %}
