{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='local_date',
) }}

select
    region,
    local_date,
    cast(count(*) as integer) as meters,
    sum(energy_kwh) as energy_kwh,
    cast(sum(expected_intervals) as integer) as expected_intervals,
    cast(sum(received_intervals) as integer) as received_intervals,
    100.0 * sum(received_intervals) / sum(expected_intervals) as completeness_pct
from {{ ref('consumption_meter_daily') }}
{% if is_incremental() -%}
    where {{ in_window('local_date', before=1, after=1) }}
{%- endif %}
group by region, local_date
