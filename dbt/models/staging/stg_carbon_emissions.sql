with source as (
    select * from {{ source('gold', 'carbon_emissions') }}
),

renamed as (
    select
        cast(meter_id as varchar) as meter_id,
        cast(day as date) as utc_day,
        cast(region as varchar) as region,
        cast(country as varchar) as country,
        cast(energy_kwh as double) as energy_kwh,
        cast(emissions_kgco2e as double) as emissions_kgco2e,
        cast(intensity_gco2e_per_kwh as double) as intensity_gco2e_per_kwh,
        cast(measured_share as double) as measured_share,
        cast(intensity_source as varchar) as intensity_source,
        cast(factor_reference as varchar) as factor_reference
    from source
)

select * from renamed
