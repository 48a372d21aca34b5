{#-
  Current state: the latest version of every CRM record as of the run date, kept as a table
  and brought forward by each night's new batches instead of re-ranking every version ever
  exported (at 100x the demo, ranking 2 M activity versions took 6.8 s a night).

  A latest-version staging model is written as
      {{ config(materialized=current_state_materialization()) }}
      with source as ({{ raw_batches('activities') }}),
      renamed as (select <row-wise renames> from source)
      {{ latest_versions('renamed') }}
  and is, on every engine, "rank 1 of all raw versions with export_date <= as-of date".

  Incremental (DuckDB only, materialization current_state): when the orchestrator says the table
  holds the state as of an earlier date P (env SALESTIER_STATE_SINCE=P: it checks that every raw
  batch dated <= P is the one the table was built from, that the project code is the same and that
  P <= the as-of date; see salestier_pipeline/state_mark.py), raw_batches reads only the batches
  dated (P, as-of], latest_versions ranks those together with the stored rows of the same records,
  and the materialization deletes those records and inserts their new latest versions. The
  version order is total (modified_at, export_date, file, line), so rank 1 of (stored rank 1 of
  <= P) and (new versions) is rank 1 of everything <= as-of: the table is the one a full build
  gives (tests/test_incremental_state.py compares the published tables over five dates).
  Anything else (no SALESTIER_STATE_SINCE, --full-refresh, a first build) builds the table from
  every batch. Other engines use their own table materialization and always build in full.
-#}

{% macro current_state_materialization() -%}
    {{ return(adapter.dispatch('current_state_materialization', 'salestier')()) }}
{%- endmacro %}
{% macro default__current_state_materialization() -%} {{ return('table') }} {%- endmacro %}
{% macro duckdb__current_state_materialization() -%} {{ return('current_state') }} {%- endmacro %}

{#- The date the stored state is as of, when this build may bring it forward; else none. -#}
{% macro state_since() -%}
    {%- if not execute or should_full_refresh() or config.get('materialized') != 'current_state' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set since = env_var('SALESTIER_STATE_SINCE', '') | trim -%}
    {%- if not since -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', since) or since > as_of_date_str() -%}
        {{ exceptions.raise_compiler_error("SALESTIER_STATE_SINCE must be a YYYY-MM-DD date not after the as-of date, got " ~ since) }}
    {%- endif -%}
    {%- set existing = load_relation(this) -%}
    {{ return(since if existing is not none and existing.is_table else none) }}
{%- endmacro %}

{#- The raw versions a build reads: all up to the as-of date, or only the batches after the state's date. -#}
{% macro raw_batches(module) -%}
    {%- set since = state_since() -%}
    select * from {{ source('raw', module) }}
    where export_date <= {{ as_of() }}
      and source_record_id is not null
      {%- if since %}
      and export_date > cast('{{ since }}' as date)
      {%- endif %}
{%- endmacro %}

{#- Rank 1 per (source_system, source_record_id) of `relation` (a CTE of renamed raw rows), plus
    first_export_date: the first batch that carried the record. -#}
{% macro latest_versions(relation) -%}
    {{ return(adapter.dispatch('latest_versions', 'salestier')(relation)) }}
{%- endmacro %}

{% macro duckdb__latest_versions(relation) -%}
    {%- set since = state_since() -%}
    , versions as (
        select *, export_date as first_export_date from {{ relation }}
        {%- if since %}
        union all by name
        select stored.* from {{ this }} as stored
        where exists (
            select 1 from {{ relation }} as fresh
            where fresh.source_system = stored.source_system and fresh.source_record_id = stored.source_record_id
        )
        {%- endif %}
    ),
    ranked as (
        select
            * replace (min(first_export_date) over by_record as first_export_date),
            row_number() over (by_record order by modified_at desc nulls last, export_date desc,
                               source_file desc, source_line desc) as version_rank
        from versions
        window by_record as (partition by source_system, source_record_id)
    )
    select * exclude (version_rank) from ranked where version_rank = 1
{%- endmacro %}

{#- Other engines (always a full build): standard SQL; the table keeps version_rank (always 1). -#}
{% macro default__latest_versions(relation) -%}
    , ranked as (
        select
            {{ relation }}.*,
            min(export_date) over (partition by source_system, source_record_id) as first_export_date,
            row_number() over (partition by source_system, source_record_id
                               order by modified_at desc nulls last, export_date desc,
                                        source_file desc, source_line desc) as version_rank
        from {{ relation }}
    )
    select * from ranked where version_rank = 1
{%- endmacro %}
