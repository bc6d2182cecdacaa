with stg_carbon_emissions as (
    select * from {{ windowed_ref('stg_carbon_emissions') }}
),

regions as (
    select
        coalesce(region, 'unknown') as region,
        utc_day,
        cast(count(*) as integer) as meters,
        sum(energy_kwh) as energy_kwh,
        sum(emissions_kgco2e) as emissions_kgco2e,
        1000 * sum(emissions_kgco2e) / nullif(sum(energy_kwh), 0) as intensity_gco2e_per_kwh,
        avg(measured_share) as measured_share,
        cast(count(*) filter (where emissions_kgco2e is null) as integer) as meters_without_factor
    from stg_carbon_emissions
    group by coalesce(region, 'unknown'), utc_day
)

select * from regions
