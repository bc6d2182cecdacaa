{#- The column's total per group equals another relation's total for the same group (within
    `tolerance`): a mart that drops or doubles energy fails. Groups missing on either side fail. -#}
{% test sums_match(model, column_name, compare_to, compare_column, group_by, compare_group_by, tolerance=0.000001) %}
with here as (
    select {{ group_by }} as group_key, coalesce(sum({{ column_name }}), 0) as total
    from {{ model }}
    group by 1
),

there as (
    select {{ compare_group_by }} as group_key, coalesce(sum({{ compare_column }}), 0) as total
    from {{ compare_to }}
    group by 1
)

select
    coalesce(here.group_key, there.group_key) as group_key,
    here.total as model_total,
    there.total as compared_total
from here
full outer join there on here.group_key = there.group_key
where here.group_key is null
    or there.group_key is null
    or abs(here.total - there.total) > {{ tolerance }}
{% endtest %}
