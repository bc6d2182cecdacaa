with source as (
    select * from {{ source('silver', 'meters') }}
),

renamed as (
    select
        cast(meter_id as varchar) as meter_id,
        cast(location_id as varchar) as location_id,
        cast(region as varchar) as region,
        cast(timezone as varchar) as timezone,
        cast(country as varchar) as country,
        cast(subdivision as varchar) as subdivision,
        cast(customer_type as varchar) as customer_type,
        cast(interval_minutes as integer) as interval_minutes,
        can_export,
        cast(latitude as double) as latitude,
        cast(longitude as double) as longitude,
        cast(installed_on as date) as installed_on,
        cast(source as varchar) as source,
        cast(described_at_utc as timestamptz) as described_at_utc
    from source
)

select * from renamed
