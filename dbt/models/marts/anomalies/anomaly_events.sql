{#- Events merged across the days they span. An event is open while it reaches the end of the
    latest day detection has run on (it may go on) and nobody marked it a false alarm. -#}
with event_days as (
    select * from {{ ref('anomaly_event_days') }}
),

latest as (
    select max(utc_day) + 1 as detected_until
    from event_days
),

events as (
    select
        event_id,
        any_value(meter_id) as meter_id,
        any_value(region) as region,
        any_value(anomaly_type) as anomaly_type,
        min(event_start_utc) as event_start_utc,
        max(event_end_utc) as event_end_utc,
        min(utc_day) as first_day,
        max(utc_day) as last_day,
        cast(count(*) as integer) as days,
        cast(sum(interval_count) as integer) as flagged_intervals,
        sum(energy_kwh) as energy_kwh,
        sum(expected_kwh) as expected_kwh,
        sum(deviation_kwh) as deviation_kwh,
        max(score) as max_score,
        arg_max(
            severity, case severity when 'high' then 3 when 'medium' then 2 else 1 end
        ) as severity,
        arg_max(detectors, utc_day) as detectors,
        arg_max(reason, utc_day) as reason,
        arg_max(feedback_verdict, utc_day) filter (
            where feedback_verdict is not null
        ) as feedback_verdict,
        min(detected_at_utc) as first_detected_at_utc,
        max(detected_at_utc) as last_detected_at_utc
    from event_days
    group by event_id
),

flagged as (
    select
        events.*,
        (
            events.event_end_utc >= cast(latest.detected_until as timestamptz)
            and coalesce(events.feedback_verdict, '') != 'false_alarm'
        ) as is_open
    from events
    cross join latest
)

select * from flagged
