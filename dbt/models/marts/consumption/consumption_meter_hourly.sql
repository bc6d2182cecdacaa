with int_meter_intervals as (
    select * from {{ windowed_ref('int_meter_intervals') }}
),

hours as (
    select
        meter_id,
        hour_start_utc,
        utc_day,
        arg_min(local_date, interval_start_utc) as local_date,
        arg_min(local_hour, interval_start_utc) as local_hour,
        arg_min(hour_of_week, interval_start_utc) as hour_of_week,
        arg_min(season, interval_start_utc) as season,
        any_value(region) as region,
        any_value(customer_type) as customer_type,
        sum(energy_kwh) as energy_kwh,
        cast(60 / any_value(interval_minutes) as integer) as expected_intervals,
        cast(count(*) filter (where not is_missing) as integer) as received_intervals,
        100.0 * count(*) filter (where not is_missing) / (60 / any_value(interval_minutes))
            as completeness_pct,
        avg(observed_temperature_c) as observed_temperature_c
    from int_meter_intervals
    group by meter_id, hour_start_utc, utc_day
)

select * from hours
