with event_days as (
    select * from {{ windowed_ref('anomaly_event_days') }}
),

summary as (
    select
        utc_day,
        region,
        anomaly_type,
        cast(count(*) as integer) as events,
        cast(count(distinct meter_id) as integer) as meters,
        cast(sum(interval_count) as integer) as flagged_intervals,
        sum(energy_kwh) as energy_kwh,
        sum(expected_kwh) as expected_kwh,
        sum(deviation_kwh) as deviation_kwh,
        cast(count(*) filter (where severity = 'high') as integer) as high_severity_events,
        cast(count(*) filter (where feedback_verdict = 'confirmed') as integer)
            as confirmed_events,
        cast(count(*) filter (where feedback_verdict = 'false_alarm') as integer)
            as false_alarm_events,
        max(score) as max_score
    from event_days
    group by utc_day, region, anomaly_type
)

select * from summary
