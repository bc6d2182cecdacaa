with source as (
    select * from {{ source('gold', 'quality_scorecard') }}
),

renamed as (
    select
        cast(meter_id as varchar) as meter_id,
        cast(day as date) as utc_day,
        cast(expected_intervals as integer) as expected_intervals,
        cast(received_intervals as integer) as received_intervals,
        cast(missing_intervals as integer) as missing_intervals,
        cast(completeness_pct as double) as completeness_pct,
        cast(duplicates_removed as integer) as duplicates_removed,
        cast(late_readings as integer) as late_readings,
        cast(estimated_intervals as integer) as estimated_intervals,
        cast(negative_intervals as integer) as negative_intervals,
        cast(flatline_intervals as integer) as flatline_intervals,
        cast(quarantined_rows as integer) as quarantined_rows,
        cast(status as varchar) as status,
        cast(reasons as varchar) as reasons
    from source
)

select * from renamed
