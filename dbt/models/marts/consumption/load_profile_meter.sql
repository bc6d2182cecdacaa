{#- Only complete hours count, so a gap never reads as low consumption. -#}
with consumption_meter_hourly as (
    select * from {{ ref('consumption_meter_hourly') }}
),

profiles as (
    select
        meter_id,
        season,
        hour_of_week,
        any_value(customer_type) as customer_type,
        cast(count(*) as integer) as hours,
        avg(energy_kwh) as mean_kwh,
        quantile_cont(energy_kwh, 0.1) as p10_kwh,
        quantile_cont(energy_kwh, 0.5) as p50_kwh,
        quantile_cont(energy_kwh, 0.9) as p90_kwh
    from consumption_meter_hourly
    where received_intervals = expected_intervals
    group by meter_id, season, hour_of_week
)

select * from profiles
