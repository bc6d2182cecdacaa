{#- Each forecast interval beside what happened and what the naive baselines (ml/baselines.py,
    macros/baselines.sql) would have said at the same issue time: same time yesterday (the one-day
    lag only when that reading had ended by the issue time, else two days back) and same time
    last week. -#}
with forecasts as (
    select * from {{ ref('stg_forecasts') }}
),

actuals as (
    select * from {{ ref('stg_consumption_features') }}
),

meters as (
    select * from {{ ref('stg_meters') }}
),

joined as (
    select
        forecasts.meter_id,
        forecasts.interval_start_utc,
        forecasts.utc_day,
        coalesce(meters.region, 'unknown') as region,
        forecasts.model_name,
        forecasts.model_version,
        forecasts.model_used,
        forecasts.weather_source,
        cast(
            floor(epoch(forecasts.interval_start_utc - forecasts.issued_at_utc) / 3600) as integer
        ) as horizon_hours,
        actuals.energy_kwh as actual_kwh,
        forecasts.forecast_kwh,
        forecasts.p10_kwh,
        forecasts.p90_kwh,
        {{ naive_yesterday_kwh(
            'actuals.interval_start_utc', 'forecasts.interval_minutes',
            'forecasts.issued_at_utc', 'actuals.lag_1d_kwh', 'actuals.lag_2d_kwh'
        ) }} as naive_yesterday_kwh,
        actuals.lag_7d_kwh as naive_last_week_kwh
    from forecasts
    inner join actuals
        on
            forecasts.meter_id = actuals.meter_id
            and forecasts.interval_start_utc = actuals.interval_start_utc
    left join meters on forecasts.meter_id = meters.meter_id
    where actuals.energy_kwh is not null
),

errors as (
    select
        *,
        forecast_kwh - actual_kwh as error_kwh,
        abs(forecast_kwh - actual_kwh) as abs_error_kwh,
        actual_kwh between p10_kwh and p90_kwh as is_within_band,
        abs(naive_yesterday_kwh - actual_kwh) as naive_yesterday_abs_error_kwh,
        abs(naive_last_week_kwh - actual_kwh) as naive_last_week_abs_error_kwh
    from joined
)

select * from errors
