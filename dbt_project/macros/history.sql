{#-
  Historical marts (grain starts with as_of_date) are incremental tables that keep
  every as-of date. On each run the rows of the run's as_of_date are deleted
  (pre-hook) and the new ones appended, so:
    - re-running a date replaces exactly that date (no duplicates, same rows);
    - running dates out of order never touches other dates.
  Usage in a model:
    {{ config(**history_config()) }}
-#}
{% macro history_config(date_column='as_of_date') -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'append_new_columns',
        'pre_hook': ["{{ delete_as_of_rows('" ~ date_column ~ "') }}"],
    }) }}
{%- endmacro %}

{% macro delete_as_of_rows(date_column='as_of_date') -%}
    {%- set existing = load_relation(this) if execute else none -%}
    {%- if existing is not none and not should_full_refresh() -%}
        delete from {{ this }} where {{ date_column }} = {{ as_of() }}
    {%- else -%}
        select 1 /* nothing to delete: first build or full refresh */
    {%- endif -%}
{%- endmacro %}

{#- The latest earlier run in this model's own history (for previous_tier / previous_stage).
    Renders to a query returning (<key>, <value> as previous_<value>) or an empty
    relation on the first build. -#}
{% macro previous_run_values(key, value, value_type='varchar') -%}
    {%- if is_incremental() -%}
        select {{ key }}, {{ value }} as previous_value
        from {{ this }}
        where as_of_date = (select max(as_of_date) from {{ this }} where as_of_date < {{ as_of() }})
    {%- else -%}
        select cast(null as varchar) as {{ key }}, cast(null as {{ value_type }}) as previous_value
        where false
    {%- endif -%}
{%- endmacro %}
