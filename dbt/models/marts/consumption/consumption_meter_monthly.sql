with consumption_meter_daily as (
    select * from {{ ref('consumption_meter_daily') }}
),

months as (
    select
        meter_id,
        cast(date_trunc('month', local_date) as date) as month_start,
        any_value(region) as region,
        any_value(customer_type) as customer_type,
        cast(count(*) as integer) as days,
        sum(energy_kwh) as energy_kwh,
        cast(sum(expected_intervals) as integer) as expected_intervals,
        cast(sum(received_intervals) as integer) as received_intervals,
        100.0 * sum(received_intervals) / sum(expected_intervals) as completeness_pct
    from consumption_meter_daily
    group by meter_id, date_trunc('month', local_date)
)

select * from months
