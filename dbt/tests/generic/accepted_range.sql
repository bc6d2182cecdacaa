{#- Every value lies in [min_value, max_value] (either bound optional), on rows matching `where`. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, where_sql='true') %}
select {{ column_name }}
from {{ model }}
where ({{ where_sql }})
    and (
        false
        {% if min_value is not none %} or {{ column_name }} < {{ min_value }}{% endif %}
        {% if max_value is not none %} or {{ column_name }} > {{ max_value }}{% endif %}
    )
{% endtest %}
