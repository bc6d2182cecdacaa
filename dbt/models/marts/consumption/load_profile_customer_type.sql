{#- The distribution of one meter's hourly consumption across every meter of a customer type. -#}
with consumption_meter_hourly as (
    select * from {{ ref('consumption_meter_hourly') }}
),

profiles as (
    select
        customer_type,
        season,
        hour_of_week,
        cast(count(distinct meter_id) as integer) as meters,
        cast(count(*) as integer) as meter_hours,
        avg(energy_kwh) as mean_kwh,
        quantile_cont(energy_kwh, 0.1) as p10_kwh,
        quantile_cont(energy_kwh, 0.5) as p50_kwh,
        quantile_cont(energy_kwh, 0.9) as p90_kwh
    from consumption_meter_hourly
    where received_intervals = expected_intervals
    group by customer_type, season, hour_of_week
)

select * from profiles
