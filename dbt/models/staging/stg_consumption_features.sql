with source as (
    select * from {{ source('gold', 'consumption_features') }}
),

renamed as (
    select
        cast(meter_id as varchar) as meter_id,
        cast(interval_start_utc as timestamptz) as interval_start_utc,
        cast(interval_minutes as integer) as interval_minutes,
        cast(energy_kwh as double) as energy_kwh,
        is_missing,
        cast(region as varchar) as region,
        cast(customer_type as varchar) as customer_type,
        cast(local_date as date) as local_date,
        cast(local_hour as integer) as local_hour,
        cast(local_day_of_week as integer) as local_day_of_week,
        is_weekend,
        is_holiday,
        cast(observed_temperature_c as double) as observed_temperature_c,
        cast(lag_1d_kwh as double) as lag_1d_kwh,
        cast(lag_2d_kwh as double) as lag_2d_kwh,
        cast(lag_7d_kwh as double) as lag_7d_kwh,
        cast(day as date) as utc_day
    from source
)

select * from renamed
