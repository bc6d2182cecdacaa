with source as (
    select * from {{ source('ops', 'pipeline_emissions') }}
),

renamed as (
    select
        cast(run_id as varchar) as run_id,
        cast(asset_key as varchar) as asset_key,
        cast(partition_start as date) as partition_start,
        cast(partition_end as date) as partition_end,
        cast(duration_s as double) as duration_s,
        cast(energy_kwh as double) as energy_kwh,
        cast(emissions_kgco2e as double) as emissions_kgco2e,
        cast(country_iso_code as varchar) as country_iso_code,
        cast(measured_at_utc as timestamptz) as measured_at_utc,
        cast(day as date) as utc_day
    from source
)

select * from renamed
