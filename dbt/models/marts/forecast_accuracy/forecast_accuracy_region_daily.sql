{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='utc_day',
) }}

with errors as (
    select * from {{ ref('int_forecast_errors') }}
    {% if is_incremental() -%}
        where {{ in_window('utc_day') }}
    {%- endif %}
),

accuracy as (
    select
        utc_day,
        region,
        model_used,
        cast(count(distinct meter_id) as integer) as meters,
        {{ accuracy_columns() }}
    from errors
    group by utc_day, region, model_used
)

select * from accuracy
