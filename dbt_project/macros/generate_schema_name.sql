{#- Use the folder schema (staging / intermediate / marts / seeds) as-is instead of
    dbt's default "<target_schema>_<custom>": the publisher reads marts.<table>. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
