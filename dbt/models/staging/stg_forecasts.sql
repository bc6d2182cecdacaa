with source as (
    select * from {{ source('gold', 'forecasts') }}
),

renamed as (
    select
        cast(meter_id as varchar) as meter_id,
        cast(interval_start_utc as timestamptz) as interval_start_utc,
        cast(interval_minutes as integer) as interval_minutes,
        cast(region as varchar) as region,
        cast(forecast_kwh as double) as forecast_kwh,
        cast(p10_kwh as double) as p10_kwh,
        cast(p90_kwh as double) as p90_kwh,
        cast(issued_at_utc as timestamptz) as issued_at_utc,
        cast(model_name as varchar) as model_name,
        cast(model_version as varchar) as model_version,
        cast(model_used as varchar) as model_used,
        cast(fallback_reason as varchar) as fallback_reason,
        cast(weather_source as varchar) as weather_source,
        cast(day as date) as utc_day
    from source
)

select * from renamed
