with errors as (
    select * from {{ windowed_ref('int_forecast_errors') }}
),

accuracy as (
    select
        utc_day,
        meter_id,
        model_used,
        any_value(region) as region,
        any_value(model_name) as model_name,
        any_value(model_version) as model_version,
        {{ accuracy_columns() }}
    from errors
    group by utc_day, meter_id, model_used
)

select * from accuracy
