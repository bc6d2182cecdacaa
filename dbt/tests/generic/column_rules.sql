{#-
  Several column rules of a model in one query (one scan, one dbt node): `unique_key` (columns
  that together identify one row: no combination twice, none null), `not_null` (columns),
  `ranges` (column: {min, max, where}: every value within the bounds, either optional, on the
  rows matching `where`) and `accepted_values` (column: values; nulls are left to `not_null`).
  `window_column` bounds the check to the run's window (macros/window.sql). Its result is one
  row per broken rule, naming the column and the rule, with the rows that break it; the test's
  failure count is the sum of those rows.
-#}
{% test column_rules(model, unique_key=[], not_null=[], ranges={}, accepted_values={}, window_column=none) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
{#- rule name -> the SQL counting the rows that break it -#}
{%- set rules = {} -%}
{%- if unique_key -%}
    {%- set key = unique_key | join(', ') -%}
    {%- set has_null = unique_key | join(' is null or ') ~ ' is null' -%}
    {%- do rules.update({
        '(' ~ key ~ ') repeated': 'count(*) filter (where not (' ~ has_null ~ ')) - '
            ~ 'count(distinct (' ~ key ~ ')) filter (where not (' ~ has_null ~ '))',
        '(' ~ key ~ ') has a null': 'count(*) filter (where ' ~ has_null ~ ')',
    }) -%}
{%- endif -%}
{%- for column in not_null -%}
    {%- do rules.update({column ~ ' is null': 'count(*) filter (where ' ~ column ~ ' is null)'}) -%}
{%- endfor -%}
{%- for column, bounds in ranges.items() -%}
    {%- set outside = [] -%}
    {%- if bounds.get('min') is not none -%}{%- do outside.append(column ~ ' < ' ~ bounds['min']) -%}{%- endif -%}
    {%- if bounds.get('max') is not none -%}{%- do outside.append(column ~ ' > ' ~ bounds['max']) -%}{%- endif -%}
    {%- set broken = outside | join(' or ') -%}
    {%- set where = bounds.get('where') -%}
    {%- do rules.update({broken ~ (' where ' ~ where if where else ''): 'count(*) filter (where '
        ~ ('(' ~ where ~ ') and (' ~ broken ~ ')' if where else broken) ~ ')'}) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set listed = [] -%}
    {%- for value in values -%}{%- do listed.append("'" ~ value ~ "'") -%}{%- endfor -%}
    {%- do rules.update({column ~ ' not in (' ~ values | join(', ') ~ ')':
        'count(*) filter (where ' ~ column ~ ' not in (' ~ listed | join(', ') ~ '))'}) -%}
{%- endfor %}
with counts as (
    select
        {%- for name, counted in rules.items() %}
        {{ counted }} as "{{ name | replace('"', "'") }}"{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
    where {{ in_window(window_column) if window_column else 'true' }}
),

rules as (
    unpivot counts on columns(*) into name rule value failing_rows
)

select
    rule,
    failing_rows
from rules
where failing_rows > 0
{% endtest %}
