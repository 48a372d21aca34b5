{#-
  The tier pivots: one count column per tier, written once.
    customer_tiers()  the customer tiers, best first (the tier letters of seeds
                      tier_matrix / service_levels; a pivot needs them at compile time)
    rep_tiers()       the rep tiers, best first (seed rep_tier_rules)
    value_counts(column, values, name)
                      count(case when column = 'v' then 1 end) as <name with {} -> v lower-cased>,
                      one per value, comma-separated (portable: no filter clause, no pivot)
    tier_counts(tier_column, name='tier_{}_accounts')
                      value_counts over customer_tiers(): tier_a_accounts .. tier_d_accounts
    tier_count_names(name='tier_{}_accounts')
                      the column names tier_counts writes, as a list (for loops over them)
  Usage: select owner_rep_id, {{ tier_counts('tier') }}, count(*) as accounts from ... group by owner_rep_id
-#}
{% macro customer_tiers() -%}
    {{ return(['A', 'B', 'C', 'D']) }}
{%- endmacro %}

{% macro rep_tiers() -%}
    {{ return(['top', 'core', 'developing']) }}
{%- endmacro %}

{% macro value_counts(column, values, name) -%}
    {%- for v in values %}
    count(case when {{ column }} = '{{ v }}' then 1 end) as {{ name | replace('{}', v | lower) }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro tier_counts(tier_column, name='tier_{}_accounts') -%}
    {{ value_counts(tier_column, customer_tiers(), name) }}
{%- endmacro %}

{% macro tier_count_names(name='tier_{}_accounts') -%}
    {%- set names = [] -%}
    {%- for v in customer_tiers() -%}
        {%- do names.append(name | replace('{}', v | lower)) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
