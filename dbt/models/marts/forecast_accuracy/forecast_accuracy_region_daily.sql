with errors as (
    select * from {{ windowed_ref('int_forecast_errors') }}
),

accuracy as (
    select
        utc_day,
        region,
        model_used,
        cast(count(distinct meter_id) as integer) as meters,
        {{ accuracy_columns() }}
    from errors
    group by utc_day, region, model_used
)

select * from accuracy
