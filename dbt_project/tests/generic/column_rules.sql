{#-
  Many rules of one model in ONE query, so a model costs one test node (and one Dagster check) instead of
  one per column and rule (issue 14). Each rule is a small select over the checked rows; they are unioned,
  and every violation is one row: `rule` ('not_null(tier)'), `column_name`, `value` (the offending value
  as text, or the duplicated key), so dbt's failure count is the number of violations and stored failures
  say what failed. Semantics are those of the single tests they replace:

    not_null: [col, ...]                      NULL fails
    unique: [col, ...]                        one row per duplicated non-NULL value
    unique_combinations: [[a, b], ...]        one row per duplicated combination (columns or expressions)
    accepted_values: {col: [v, ...]}          a value not in the list fails; NULL passes
    accepted_range: {col: {min_value, max_value, inclusive}}   either bound optional, inclusive by default;
                                              NULL passes
    relationships: [{column, to, field, where}]   a value without a row in `to` fails; NULL passes;
                                              `where` (optional) limits the checked rows of this rule
    expressions: ["sql boolean", ...]         a row where the expression is not true fails (NULL fails)
    row_filter: "sql boolean"                 only these rows are checked (e.g. as_of_date = as_of()):
                                              a test argument, so it is rendered when the test runs
                                              (a `where` config is rendered once, when dbt parses)
-#}
{% test column_rules(model, not_null=[], unique=[], unique_combinations=[], accepted_values={}, accepted_range={},
                     relationships=[], expressions=[], row_filter=none) %}
{%- set text = dbt.type_string() -%}
{%- set rules = [] -%}
{%- for c in not_null -%}
    {%- do rules.append(column_rule_select('not_null(' ~ c ~ ')', c, 'null', 'checked', c ~ ' is null')) -%}
{%- endfor -%}
{%- for c in unique -%}
    {%- set sql -%}
    select {{ column_rule_literal('unique(' ~ c ~ ')') }} as rule, {{ column_rule_literal(c) }} as column_name,
        cast({{ c }} as {{ text }}) as value
    from checked
    where {{ c }} is not null
    group by {{ c }}
    having count(*) > 1
    {%- endset -%}
    {%- do rules.append(sql) -%}
{%- endfor -%}
{%- for combination in unique_combinations -%}
    {%- set key = combination | join(', ') -%}
    {%- set parts = [] -%}
    {%- for c in combination -%}
        {%- if not loop.first %}{% do parts.append("', '") %}{% endif -%}
        {%- do parts.append("coalesce(cast(" ~ c ~ " as " ~ text ~ "), 'null')") -%}
    {%- endfor -%}
    {%- set sql -%}
    select {{ column_rule_literal('unique_combination(' ~ key ~ ')') }} as rule,
        {{ column_rule_literal(key) }} as column_name, {{ dbt.concat(parts) }} as value
    from checked
    group by {{ key }}
    having count(*) > 1
    {%- endset -%}
    {%- do rules.append(sql) -%}
{%- endfor -%}
{%- for c, values in accepted_values.items() -%}
    {%- do rules.append(column_rule_select('accepted_values(' ~ c ~ ')', c, c, 'checked',
        c ~ ' is not null and ' ~ c ~ ' not in ' ~ sql_list_raw(values))) -%}
{%- endfor -%}
{%- for c, bounds in accepted_range.items() -%}
    {%- set inclusive = bounds.get('inclusive', true) -%}
    {%- set outside = [] -%}
    {%- if bounds.get('min_value') is not none -%}
        {%- do outside.append(c ~ (' < ' if inclusive else ' <= ') ~ bounds['min_value']) -%}
    {%- endif -%}
    {%- if bounds.get('max_value') is not none -%}
        {%- do outside.append(c ~ (' > ' if inclusive else ' >= ') ~ bounds['max_value']) -%}
    {%- endif -%}
    {%- if not outside -%}
        {{ exceptions.raise_compiler_error("column_rules: accepted_range of " ~ c ~ " needs min_value or max_value") }}
    {%- endif -%}
    {%- do rules.append(column_rule_select('accepted_range(' ~ c ~ ')', c, c, 'checked',
        c ~ ' is not null and (' ~ outside | join(' or ') ~ ')')) -%}
{%- endfor -%}
{%- for r in relationships -%}
    {%- set sql -%}
    select {{ column_rule_literal('relationships(' ~ r['column'] ~ ')') }} as rule,
        {{ column_rule_literal(r['column']) }} as column_name, cast(child.{{ r['column'] }} as {{ text }}) as value
    from (select * from checked{% if r.get('where') %} where {{ r['where'] }}{% endif %}) as child
    left join {{ r['to'] }} as parent
        on child.{{ r['column'] }} = parent.{{ r['field'] }}
    where child.{{ r['column'] }} is not null
      and parent.{{ r['field'] }} is null
    {%- endset -%}
    {%- do rules.append(sql) -%}
{%- endfor -%}
{%- for e in expressions -%}
    {%- do rules.append(column_rule_select('expression(' ~ e ~ ')', none, 'null', 'checked',
        'not coalesce((' ~ e ~ '), false)')) -%}
{%- endfor -%}
{%- if not rules -%}
    {{ exceptions.raise_compiler_error("column_rules on " ~ model ~ " declares no rule") }}
{%- endif -%}
with checked as (
    select * from {{ model }}{% if row_filter %} where {{ row_filter }}{% endif %}
)
{% for sql in rules %}
{{ sql }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endtest %}
