with stg_meters as (
    select * from {{ ref('stg_meters') }}
),

meters as (
    select
        meter_id,
        location_id,
        coalesce(region, 'unknown') as region,
        timezone,
        country,
        subdivision,
        coalesce(customer_type, 'unknown') as customer_type,
        interval_minutes,
        coalesce(can_export, false) as can_export,
        latitude,
        longitude,
        installed_on,
        source,
        described_at_utc
    from stg_meters
)

select * from meters
