{#- Each interval with what the marts group by: its UTC hour, the meter's local calendar, its
    season and hour of week, and the meter's description. -#}
with stg_consumption_features as (
    select * from {{ ref('stg_consumption_features') }}
),

stg_meters as (
    select * from {{ ref('stg_meters') }}
),

intervals as (
    select
        f.meter_id,
        f.interval_start_utc,
        date_trunc('hour', f.interval_start_utc) as hour_start_utc,
        f.utc_day,
        f.interval_minutes,
        f.energy_kwh,
        f.is_missing,
        f.local_date,
        f.local_hour,
        f.local_day_of_week * 24 + f.local_hour as hour_of_week,
        {{ season('month(f.local_date)') }} as season,
        f.is_weekend,
        f.is_holiday,
        f.observed_temperature_c,
        coalesce(m.region, 'unknown') as region,
        coalesce(m.customer_type, 'unknown') as customer_type,
        m.timezone,
        coalesce(m.can_export, false) as can_export
    from stg_consumption_features as f
    inner join stg_meters as m on f.meter_id = m.meter_id
)

select * from intervals
