with consumption_meter_daily as (
    select * from {{ ref('consumption_meter_daily') }}
),

months as (
    select
        region,
        cast(date_trunc('month', local_date) as date) as month_start,
        cast(count(distinct meter_id) as integer) as meters,
        sum(energy_kwh) as energy_kwh,
        cast(sum(expected_intervals) as integer) as expected_intervals,
        cast(sum(received_intervals) as integer) as received_intervals,
        100.0 * sum(received_intervals) / sum(expected_intervals) as completeness_pct
    from consumption_meter_daily
    group by region, date_trunc('month', local_date)
)

select * from months
