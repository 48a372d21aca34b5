{#- `union all` of CTEs / relations by column name, not position: every relation is read
    as `select <columns>`, in the order given, so a rule that misses or misnames a column
    fails to compile instead of shifting its values into a neighbour's column.
    Usage: {{ union_by_name(['stale_deal', 'overdue_deal'], ['alert_type', 'detail']) }} -#}
{% macro union_by_name(relations, columns) -%}
    {%- for relation in relations %}
    select {{ columns | join(', ') }} from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
