{#-
  The few engine-specific pieces of SQL, behind adapter.dispatch so another adapter
  can override them (macro <adapter>__<name> in this project or a package) without
  touching the models. Everything else uses ANSI SQL and dbt's cross-database macros
  (dbt.dateadd, dbt.datediff, dbt.date_trunc, dbt.last_day, dbt.bool_or,
  dbt.generate_series, dbt.type_string, ...). The default implementations run on
  DuckDB, Postgres, Snowflake and Redshift.
-#}

{#- A double-precision float type (dbt.type_float() is a 4-byte REAL on DuckDB). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'salestier')()) }}
{%- endmacro %}

{% macro default__type_double() -%} double precision {%- endmacro %}
{% macro bigquery__type_double() -%} float64 {%- endmacro %}

{#- A number as text with a fixed number of decimals ('4500.00'), for the reason / detail
    texts. `expr` is SQL text or a number; NULL stays NULL. -#}
{% macro format_number(expr, decimals) -%}
    {{ return(adapter.dispatch('format_number', 'salestier')(expr, decimals)) }}
{%- endmacro %}

{% macro default__format_number(expr, decimals) -%}
    cast(cast(round(cast({{ expr }} as {{ type_double() }}), {{ decimals }}) as decimal(38, {{ decimals }})) as {{ dbt.type_string() }})
{%- endmacro %}

{#- greatest() of the non-NULL arguments (NULL only when all are NULL), whatever the
    engine's greatest() does with NULLs (DuckDB / Postgres skip them, Snowflake /
    BigQuery return NULL): every argument is coalesced with the others. -#}
{% macro greatest_non_null(args) -%}
    greatest(
    {%- for a in args -%}
        coalesce({{ a }}{% for b in args if b != a %}, {{ b }}{% endfor %}){% if not loop.last %}, {% endif %}
    {%- endfor -%}
    )
{%- endmacro %}

{#- Replace every match of a regular expression. -#}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'salestier')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{#- Snowflake / BigQuery / Redshift replace every match by default -#}
{% macro snowflake__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}
{% macro bigquery__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, r'{{ pattern }}', '{{ replacement }}')
{%- endmacro %}
{% macro redshift__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{#- Fail the query with a message built from the data (a missing FX rate names its currency and date):
    the run stops before publish, and the message reaches the alert. -#}
{% macro raise_data_error(message_expr) -%}
    {{ return(adapter.dispatch('raise_data_error', 'salestier')(message_expr)) }}
{%- endmacro %}

{% macro default__raise_data_error(message_expr) -%} error({{ message_expr }}) {%- endmacro %}
{% macro spark__raise_data_error(message_expr) -%} raise_error({{ message_expr }}) {%- endmacro %}
