{#- Meteorological season of a month (northern hemisphere, where the simulated meters are). -#}
{% macro season(month) -%}
    case
        when {{ month }} in (12, 1, 2) then 'winter'
        when {{ month }} in (3, 4, 5) then 'spring'
        when {{ month }} in (6, 7, 8) then 'summer'
        else 'autumn'
    end
{%- endmacro %}
