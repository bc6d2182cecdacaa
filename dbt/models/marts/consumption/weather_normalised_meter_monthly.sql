{#- Degree-days are summed from each local day's mean observed temperature; consumption per
    degree-day is null in a month without any (no heating or no cooling season). -#}
with consumption_meter_daily as (
    select * from {{ ref('consumption_meter_daily') }}
),

months as (
    select
        meter_id,
        cast(date_trunc('month', local_date) as date) as month_start,
        any_value(region) as region,
        any_value(customer_type) as customer_type,
        cast(count(mean_temperature_c) as integer) as days_with_temperature,
        sum(energy_kwh) as energy_kwh,
        avg(mean_temperature_c) as mean_temperature_c,
        coalesce(sum(heating_degree_days), 0) as heating_degree_days,
        coalesce(sum(cooling_degree_days), 0) as cooling_degree_days,
        sum(energy_kwh) / nullif(sum(heating_degree_days), 0) as kwh_per_heating_degree_day,
        sum(energy_kwh) / nullif(sum(cooling_degree_days), 0) as kwh_per_cooling_degree_day
    from consumption_meter_daily
    group by meter_id, date_trunc('month', local_date)
)

select * from months
