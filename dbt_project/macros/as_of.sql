{#- The run's as-of date. Everything is a function of it (never now()/current_date).
    The orchestrator passes it in the environment (SALESTIER_AS_OF_DATE), read only while executing:
    parsing never sees it, so a new date does not invalidate dbt's partial parse (a changed --vars
    value would force a full re-parse of the project every night). `--vars '{as_of_date: ...}'` still
    works for runs by hand and wins over the environment. Executing without either is an error. -#}
{% macro as_of_date_str() -%}
    {%- set d = var('as_of_date', none) -%}
    {%- if d is none and execute -%}
        {%- set d = env_var('SALESTIER_AS_OF_DATE', '') | trim or none -%}
    {%- endif -%}
    {%- if d is none -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error("the as-of date is required: set SALESTIER_AS_OF_DATE=YYYY-MM-DD or pass --vars '{as_of_date: YYYY-MM-DD}'") }}
        {%- endif -%}
        {%- set d = '1970-01-01' -%}
    {%- endif -%}
    {%- set d = d | string | trim -%}
    {%- if not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', d) -%}
        {{ exceptions.raise_compiler_error("the as-of date must be YYYY-MM-DD, got " ~ d) }}
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

{#-
  Deterministic numbers. A DOUBLE aggregate (sum / avg) is added up in parallel in no
  fixed order, so its last bits differ between runs; formatted or compared as is, 0.825
  becomes 0.82 on one run and 0.83 on the next. So every score, rate, share and mean is
  rounded ONCE, by r4 (money by r2), before it reaches a text, a rank or a threshold;
  means come from an exact DECIMAL sum (stable_avg) and money sums are DECIMAL
  (stable_sum). Rounding goes through a DECIMAL: half away from zero (0.825 -> 0.83),
  whatever the binary value of the double.
-#}
{#- r4: THE rounding of a score / rate / share / mean (4 decimals); r2: money (2 decimals) -#}
{% macro r2(expr) -%} {{ round_double(expr, 2) }} {%- endmacro %}
{% macro r4(expr) -%} {{ round_double(expr, 4) }} {%- endmacro %}
{#- round through a decimal (round(double, n) does not exist everywhere), publish a double -#}
{% macro round_double(expr, decimals) -%}
    cast(round(cast({{ expr }} as decimal(38, 10)), {{ decimals }}) as {{ type_double() }})
{%- endmacro %}

{#- an order-independent sum: every value as DECIMAL(38, decimals), added exactly -#}
{% macro stable_sum(expr, decimals=4) -%}
    sum(cast({{ expr }} as decimal(38, {{ decimals }})))
{%- endmacro %}

{#- an order-independent mean (NULLs skipped, NULL when none), rounded by r4 -#}
{% macro stable_avg(expr) -%}
    {{ r4(stable_sum(expr, 10) ~ ' / nullif(count(' ~ expr ~ '), 0)') }}
{%- endmacro %}

{#- a number as text with `decimals` decimals, rounded half away from zero ('0.83'):
    what a reason / detail text shows of an already rounded value -#}
{% macro number_text(expr, decimals) -%}
    {{ format_number(round_double(expr, decimals), decimals) }}
{%- endmacro %}

{#- Percentile of `expr` among the rows of `partition` that ties cannot mislead:
    (rows strictly below) / (rows strictly below + rows strictly above), so equal values
    get equal percentiles, the best value is always 1 and the worst 0 (= percent_rank
    when there is no tie); 0.5 when every row has the same value (nothing to rank). -#}
{% macro tied_percentile(expr, partition) -%}
    {%- set over_asc = 'over (partition by ' ~ partition ~ ' order by ' ~ expr ~ ')' -%}
    {%- set over_desc = 'over (partition by ' ~ partition ~ ' order by ' ~ expr ~ ' desc)' -%}
    {{ r4('coalesce(cast(rank() ' ~ over_asc ~ ' - 1 as ' ~ type_double() ~ ') / nullif(rank() ' ~ over_asc
          ~ ' - 1 + rank() ' ~ over_desc ~ ' - 1, 0), 0.5)') }}
{%- endmacro %}

{#- 1-5 quintile score of an expression by mid-rank percentile (ties share a score):
    p = (rows below + half the rows tied) / rows, score = max(1, ceil(5 p)); the best
    value always scores 5 and an all-equal column scores 3 (neutral). -#}
{% macro quintile_score(expr) -%}
    cast(case
        when min({{ expr }}) over () = max({{ expr }}) over () then 3
        when {{ expr }} = max({{ expr }}) over () then 5
        else greatest(1, ceil(5 * (
            (rank() over (order by {{ expr }}) - 1)
            + count(*) over (partition by {{ expr }}) / 2.0
        ) / count(*) over ()))
    end as integer)
{%- endmacro %}

{#- a SQL list literal from a list var, case kept: ('A', 'B') -#}
{% macro sql_list_raw(values) -%}
    ({%- for v in values -%}'{{ v | string | replace("'", "''") }}'{%- if not loop.last -%}, {% endif -%}{%- endfor -%})
{%- endmacro %}
