{#- A meter's local day gathers intervals of two UTC days, so a window of UTC days rebuilds the
    local dates from the day before it to its end, from every interval of those dates. -#}
with int_meter_intervals as (
    select * from {{ windowed_ref('int_meter_intervals', 'local_date', before=1, after=1) }}
),

days as (
    select
        meter_id,
        local_date,
        any_value(region) as region,
        any_value(customer_type) as customer_type,
        any_value(timezone) as timezone,
        any_value(can_export) as can_export,
        any_value(interval_minutes) as interval_minutes,
        bool_or(is_weekend) as is_weekend,
        bool_or(is_holiday) as is_holiday,
        sum(energy_kwh) as energy_kwh,
        cast(count(*) filter (where not is_missing) as integer) as received_intervals,
        avg(observed_temperature_c) as mean_temperature_c
    from int_meter_intervals
    group by meter_id, local_date
),

lengths as (
    select
        *,
        epoch(
            timezone(timezone, cast(local_date + 1 as timestamp))
            - timezone(timezone, cast(local_date as timestamp))
        ) / 60 as minutes_in_day
    from days
)

select
    meter_id,
    local_date,
    region,
    customer_type,
    timezone,
    can_export,
    is_weekend,
    is_holiday,
    energy_kwh,
    cast(minutes_in_day / 60 as integer) as hours_in_day,
    cast(minutes_in_day / interval_minutes as integer) as expected_intervals,
    received_intervals,
    100.0 * received_intervals / (minutes_in_day / interval_minutes) as completeness_pct,
    mean_temperature_c,
    greatest({{ var('heating_base_c') }} - mean_temperature_c, 0) as heating_degree_days,
    greatest(mean_temperature_c - {{ var('cooling_base_c') }}, 0) as cooling_degree_days
from lengths
