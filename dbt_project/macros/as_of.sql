{#- The run's as-of date. Everything is a function of it (never now()/current_date).
    Parsing does not need it; executing without it is an error. -#}
{% macro as_of_date_str() -%}
    {%- set d = var('as_of_date', none) -%}
    {%- if d is none -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error("var 'as_of_date' is required: dbt build --vars '{as_of_date: YYYY-MM-DD}'") }}
        {%- endif -%}
        {%- set d = '1970-01-01' -%}
    {%- endif -%}
    {%- set d = d | string | trim -%}
    {%- if not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', d) -%}
        {{ exceptions.raise_compiler_error("var 'as_of_date' must be YYYY-MM-DD, got " ~ d) }}
    {%- endif -%}
    {{- d -}}
{%- endmacro %}

{% macro as_of() -%}
    cast('{{ as_of_date_str() }}' as date)
{%- endmacro %}

{#- lower / trim / collapse inner whitespace: how names are matched across files -#}
{% macro normalize_name(expr) -%}
    nullif(lower(trim({{ regexp_replace_all('cast(' ~ expr ~ ' as ' ~ dbt.type_string() ~ ')', '\\s+', ' ') }})), '')
{%- endmacro %}

{#- days between two dates (b - a) using the cross-database macro -#}
{% macro days_between(a, b) -%}
    {{ dbt.datediff('cast(' ~ a ~ ' as date)', 'cast(' ~ b ~ ' as date)', 'day') }}
{%- endmacro %}

{#- a SQL list literal from a list var, lower-cased: ('a', 'b') -#}
{% macro sql_list(values) -%}
    ({%- for v in values -%}'{{ v | string | lower | replace("'", "''") }}'{%- if not loop.last -%}, {% endif -%}{%- endfor -%})
{%- endmacro %}

{#- round a double for publication so reruns are byte-identical -#}
{% macro r2(expr) -%} {{ round_double(expr, 2) }} {%- endmacro %}
{% macro r4(expr) -%} {{ round_double(expr, 4) }} {%- endmacro %}
{#- round through a decimal (round(double, n) does not exist everywhere), publish a double -#}
{% macro round_double(expr, decimals) -%}
    cast(round(cast({{ expr }} as decimal(38, 10)), {{ decimals }}) as {{ type_double() }})
{%- endmacro %}

{#- 1-5 quintile score of an expression by mid-rank percentile (ties share a score) -#}
{% macro quintile_score(expr) -%}
    cast(greatest(1, ceil(5 * (
        (rank() over (order by {{ expr }}) - 1)
        + count(*) over (partition by {{ expr }}) / 2.0
    ) / count(*) over ())) as integer)
{%- endmacro %}

{#- a SQL list literal from a list var, case kept: ('A', 'B') -#}
{% macro sql_list_raw(values) -%}
    ({%- for v in values -%}'{{ v | string | replace("'", "''") }}'{%- if not loop.last -%}, {% endif -%}{%- endfor -%})
{%- endmacro %}
