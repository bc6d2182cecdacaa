with consumption_meter_daily as (
    select * from {{ windowed_ref('consumption_meter_daily', 'local_date', before=1, after=1) }}
),

regions as (
    select
        region,
        local_date,
        cast(count(*) as integer) as meters,
        sum(energy_kwh) as energy_kwh,
        cast(sum(expected_intervals) as integer) as expected_intervals,
        cast(sum(received_intervals) as integer) as received_intervals,
        100.0 * sum(received_intervals) / sum(expected_intervals) as completeness_pct
    from consumption_meter_daily
    group by region, local_date
)

select * from regions
