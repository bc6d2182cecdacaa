with consumption_meter_hourly as (
    select * from {{ windowed_ref('consumption_meter_hourly') }}
),

regions as (
    select
        region,
        hour_start_utc,
        utc_day,
        cast(count(*) as integer) as meters,
        sum(energy_kwh) as energy_kwh,
        cast(sum(expected_intervals) as integer) as expected_intervals,
        cast(sum(received_intervals) as integer) as received_intervals,
        100.0 * sum(received_intervals) / sum(expected_intervals) as completeness_pct
    from consumption_meter_hourly
    group by region, hour_start_utc, utc_day
)

select * from regions
