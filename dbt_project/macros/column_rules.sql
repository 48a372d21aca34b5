{#- Helpers of the generic test column_rules (tests/generic/column_rules.sql). -#}

{#- One rule's violations: rows of `relation` matching `condition`, with their value (SQL or 'null') as text. -#}
{% macro column_rule_select(rule, column, value, relation, condition) -%}
    select {{ column_rule_literal(rule) }} as rule, {{ column_rule_literal(column) }} as column_name,
        cast({{ value }} as {{ dbt.type_string() }}) as value
    from {{ relation }}
    where {{ condition }}
{%- endmacro %}

{#- A rule or column name as a SQL string literal (the text comes from the yml, one line). -#}
{% macro column_rule_literal(text) -%}
    {%- if text is none -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        '{{ (text | string).split() | join(" ") | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}
