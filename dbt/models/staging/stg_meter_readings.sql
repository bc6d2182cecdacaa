with source as (
    select * from {{ source('silver', 'meter_readings') }}
),

renamed as (
    select
        cast(meter_id as varchar) as meter_id,
        cast(interval_start_utc as timestamptz) as interval_start_utc,
        cast(interval_minutes as integer) as interval_minutes,
        cast(energy_kwh as double) as energy_kwh,
        is_missing,
        is_estimated,
        is_late,
        is_negative,
        is_flatline,
        cast(day as date) as utc_day
    from source
)

select * from renamed
