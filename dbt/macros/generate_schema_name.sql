{#- Schemas are named after the folder (staging, intermediate, marts), not prefixed by the target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name is not none else target.schema }}
{%- endmacro %}
