with stg_quality_scorecard as (
    select * from {{ windowed_ref('stg_quality_scorecard') }}
),

stg_meters as (
    select * from {{ ref('stg_meters') }}
),

quality as (
    select
        q.utc_day,
        coalesce(m.region, 'unknown') as region,
        q.status,
        cast(count(*) as integer) as meters,
        avg(q.completeness_pct) as mean_completeness_pct,
        min(q.completeness_pct) as min_completeness_pct,
        cast(sum(q.missing_intervals) as integer) as missing_intervals,
        cast(sum(q.estimated_intervals) as integer) as estimated_intervals,
        cast(sum(q.negative_intervals) as integer) as negative_intervals,
        cast(sum(q.flatline_intervals) as integer) as flatline_intervals,
        cast(sum(q.late_readings) as integer) as late_readings,
        cast(sum(q.duplicates_removed) as integer) as duplicates_removed,
        cast(sum(q.quarantined_rows) as integer) as quarantined_rows
    from stg_quality_scorecard as q
    left join stg_meters as m on q.meter_id = m.meter_id
    group by q.utc_day, coalesce(m.region, 'unknown'), q.status
)

select * from quality
