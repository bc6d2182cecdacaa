{#- The anomalies of each UTC day as detected, kept day by day so that events can be merged
    across every day built so far (anomaly_events), whatever window a run rebuilds. -#}
with anomalies as (
    select * from {{ windowed_ref('stg_anomalies') }}
),

meters as (
    select * from {{ ref('stg_meters') }}
),

event_days as (
    select
        anomalies.event_id,
        anomalies.utc_day,
        anomalies.meter_id,
        coalesce(meters.region, anomalies.region, 'unknown') as region,
        anomalies.anomaly_type,
        anomalies.event_start_utc,
        anomalies.event_end_utc,
        anomalies.interval_count,
        anomalies.energy_kwh,
        anomalies.expected_kwh,
        anomalies.expected_low_kwh,
        anomalies.expected_high_kwh,
        anomalies.energy_kwh - anomalies.expected_kwh as deviation_kwh,
        anomalies.expected_source,
        anomalies.score,
        anomalies.severity,
        anomalies.detectors,
        anomalies.reason,
        anomalies.feedback_verdict,
        anomalies.detected_at_utc
    from anomalies
    left join meters on anomalies.meter_id = meters.meter_id
)

select * from event_days
