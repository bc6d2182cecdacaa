{#- The pipeline's own footprint summed per asset, per run and per UTC month, in one table:
    `summed_by` says which, `summed_key` is the asset key, the run id or the month's first day. -#}
with measured as (
    select
        asset_key,
        run_id,
        duration_s,
        energy_kwh,
        emissions_kgco2e,
        cast(cast(date_trunc('month', utc_day) as date) as varchar) as month_start
    from {{ ref('stg_pipeline_emissions') }}
),

keyed as (
    select
        'asset' as summed_by,
        asset_key as summed_key,
        duration_s,
        energy_kwh,
        emissions_kgco2e
    from measured
    union all
    select
        'run' as summed_by,
        run_id as summed_key,
        duration_s,
        energy_kwh,
        emissions_kgco2e
    from measured
    union all
    select
        'month' as summed_by,
        month_start as summed_key,
        duration_s,
        energy_kwh,
        emissions_kgco2e
    from measured
)

select
    summed_by,
    summed_key,
    cast(count(*) as integer) as materializations,
    sum(duration_s) as duration_s,
    sum(energy_kwh) as energy_kwh,
    sum(emissions_kgco2e) as emissions_kgco2e
from keyed
group by summed_by, summed_key
