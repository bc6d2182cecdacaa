{#- Every local date from the first to the last one in the data, with its calendar and the
    holiday calendars (country and subdivision of the meters) in which it is a public holiday. -#}
with meter_days as (
    select distinct
        f.local_date,
        f.is_holiday,
        m.country,
        m.subdivision
    from {{ ref('stg_consumption_features') }} as f
    inner join {{ ref('stg_meters') }} as m on f.meter_id = m.meter_id
),

holidays as (
    select
        local_date,
        string_agg(
            distinct coalesce(country, '?') || coalesce('-' || subdivision, ''), ', '
            order by coalesce(country, '?') || coalesce('-' || subdivision, '')
        ) as holiday_calendars
    from meter_days
    where is_holiday
    group by local_date
),

spine as (
    select
        cast(
            unnest(generate_series(min(local_date), max(local_date), interval 1 day)) as date
        ) as date_day
    from meter_days
)

select
    spine.date_day,
    year(spine.date_day) as year,
    quarter(spine.date_day) as quarter,
    month(spine.date_day) as month,
    monthname(spine.date_day) as month_name,
    cast(date_trunc('month', spine.date_day) as date) as month_start,
    day(spine.date_day) as day_of_month,
    isodow(spine.date_day) - 1 as day_of_week,
    dayname(spine.date_day) as day_name,
    weekofyear(spine.date_day) as iso_week,
    isodow(spine.date_day) >= 6 as is_weekend,
    {{ season('month(spine.date_day)') }} as season,
    holidays.holiday_calendars is not null as is_holiday_somewhere,
    holidays.holiday_calendars
from spine
left join holidays on spine.date_day = holidays.local_date
