{#- Every non-null value of the column is a `field` of `to` (a relationship), on the rows of the
    run's window (`window_column`, macros/window.sql). -#}
{% test present_in(model, column_name, to, field, window_column=none) %}
select child.{{ column_name }}, count(*) as rows_without_parent
from {{ model }} as child
left join {{ to }} as parent on child.{{ column_name }} = parent.{{ field }}
where child.{{ column_name }} is not null
    and parent.{{ field }} is null
    and {{ in_window('child.' ~ window_column) if window_column else 'true' }}
group by 1
{% endtest %}
