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
        model_used,
        horizon_hours,
        cast(count(distinct meter_id) as integer) as meters,
        {{ accuracy_columns() }}
    from errors
    group by utc_day, model_used, horizon_hours
)

select * from accuracy
