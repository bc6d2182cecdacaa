with errors as (
    select * from {{ windowed_ref('int_forecast_errors') }}
),

accuracy as (
    select
        utc_day,
        model_used,
        horizon_hours,
        cast(count(distinct meter_id) as integer) as meters,
        {{ accuracy_columns() }}
    from errors
    group by utc_day, model_used, horizon_hours
)

select * from accuracy
