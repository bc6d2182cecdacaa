with source as (
    select * from {{ source('gold', 'anomalies') }}
),

renamed as (
    select
        cast(event_id as varchar) as event_id,
        cast(day as date) as utc_day,
        cast(meter_id as varchar) as meter_id,
        cast(region as varchar) as region,
        cast(anomaly_type as varchar) as anomaly_type,
        cast(event_start_utc as timestamptz) as event_start_utc,
        cast(event_end_utc as timestamptz) as event_end_utc,
        cast(interval_count as integer) as interval_count,
        cast(energy_kwh as double) as energy_kwh,
        cast(expected_kwh as double) as expected_kwh,
        cast(expected_low_kwh as double) as expected_low_kwh,
        cast(expected_high_kwh as double) as expected_high_kwh,
        cast(expected_source as varchar) as expected_source,
        cast(score as double) as score,
        cast(severity as varchar) as severity,
        cast(detectors as varchar) as detectors,
        cast(reason as varchar) as reason,
        cast(feedback_verdict as varchar) as feedback_verdict,
        cast(detected_at_utc as timestamptz) as detected_at_utc
    from source
)

select * from renamed
