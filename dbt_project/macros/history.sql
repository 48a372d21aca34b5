{#-
  Historical marts (grain starts with as_of_date) are incremental tables that keep
  every as-of date. On each run the rows of the run's as_of_date are deleted
  (pre-hook) and the new ones appended, so:
    - re-running a date replaces exactly that date (no duplicates, same rows);
    - running dates out of order never touches other dates' own numbers.
  Columns that compare a run with the previous one (previous_tier, previous_stage,
  previous_rep_tier) are NOT computed from "whatever ran last": the model writes
  them as NULL and a post-hook (refresh_previous_values) recomputes them from the
  table's whole history, for the run's date and every later date. The previous
  value of a row is the value of the same key at the latest earlier as-of date in
  the table (NULL when the key was not in that run). So the history is the same
  whatever order the dates ran in, and a rerun of a date is identical.
  First snapshot: a run whose as-of date is the earliest in the table has nothing to
  compare with, so its previous values are NULL and its changes are not counted. A
  model can carry that as a flag: history_config(first_snapshot='is_first_snapshot')
  adds a post-hook (refresh_first_snapshot) that sets the boolean column to
  "as_of_date is the earliest date in the table" for the run's date and every later
  date (a backfill of an earlier date turns the later dates' flag off);
  first_snapshot_kpi='<kpi name>' does the same for the value (1 / 0) of that KPI row
  of a long KPI table (kpi_snapshot). The model computes the flag too
  (first_snapshot_expr()), so a first build is right before the hook runs.
  Usage in a model:
    {{ config(**history_config()) }}
    {{ config(**history_config(previous=[{'key': 'account_id', 'value': 'tier',
                                          'previous': 'previous_tier', 'changed': 'is_tier_changed'}],
                               first_snapshot='is_first_snapshot')) }}
-#}
{% macro history_config(date_column='as_of_date', previous=[], first_snapshot=none, first_snapshot_kpi=none) -%}
    {%- set post_hooks = [] -%}
    {%- for p in previous -%}
        {%- do post_hooks.append("{{ refresh_previous_values('" ~ p['key'] ~ "', '" ~ p['value'] ~ "', '"
                                 ~ p['previous'] ~ "', " ~ (("'" ~ p['changed'] ~ "'") if p.get('changed') else 'none')
                                 ~ ", '" ~ date_column ~ "') }}") -%}
    {%- endfor -%}
    {%- if first_snapshot -%}
        {%- do post_hooks.append("{{ refresh_first_snapshot('" ~ first_snapshot ~ "', '" ~ date_column ~ "') }}") -%}
    {%- endif -%}
    {%- if first_snapshot_kpi -%}
        {%- do post_hooks.append("{{ refresh_first_snapshot_kpi('" ~ first_snapshot_kpi ~ "', '" ~ date_column ~ "') }}") -%}
    {%- endif -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'append_new_columns',
        'pre_hook': ["{{ delete_as_of_rows('" ~ date_column ~ "') }}"],
        'post_hook': post_hooks,
    }) }}
{%- endmacro %}

{#- true when no earlier as-of date is in the table (always true on a first build) -#}
{% macro first_snapshot_expr(date_column='as_of_date') -%}
    {%- if is_incremental() -%}
        not exists (select 1 from {{ this }} as earlier where earlier.{{ date_column }} < {{ as_of() }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Recompute a first-snapshot flag column for the run's date and every later date. -#}
{% macro refresh_first_snapshot(column, date_column='as_of_date') -%}
    update {{ this }}
    set {{ column }} = ({{ date_column }} = (select min(all_rows.{{ date_column }}) from {{ this }} as all_rows))
    where {{ date_column }} >= {{ as_of() }}
      and {{ column }} is distinct from ({{ date_column }} = (select min(all_rows.{{ date_column }}) from {{ this }} as all_rows))
{%- endmacro %}

{#- The same for the value (1 / 0) of one KPI row of a long KPI table. -#}
{% macro refresh_first_snapshot_kpi(kpi, date_column='as_of_date') -%}
    update {{ this }}
    set value = case when {{ date_column }} = (select min(all_rows.{{ date_column }}) from {{ this }} as all_rows) then 1 else 0 end
    where kpi = '{{ kpi }}'
      and {{ date_column }} >= {{ as_of() }}
      and value is distinct from case when {{ date_column }} = (select min(all_rows.{{ date_column }}) from {{ this }} as all_rows) then 1 else 0 end
{%- endmacro %}

{% macro delete_as_of_rows(date_column='as_of_date') -%}
    {%- set existing = load_relation(this) if execute else none -%}
    {%- if existing is not none and not should_full_refresh() -%}
        delete from {{ this }} where {{ date_column }} = {{ as_of() }}
    {%- else -%}
        select 1 /* nothing to delete: first build or full refresh */
    {%- endif -%}
{%- endmacro %}

{#- Recompute <previous> (and <changed> = value differs from previous) for the rows
    of the run's date and every later date from the whole history. Only rows whose
    value changes are written. Standard UPDATE ... FROM; an adapter without it can
    override duckdb__/<adapter>__refresh_previous_values. -#}
{% macro refresh_previous_values(key, value, previous, changed=none, date_column='as_of_date') -%}
    {{ return(adapter.dispatch('refresh_previous_values', 'salestier')(key, value, previous, changed, date_column)) }}
{%- endmacro %}

{% macro default__refresh_previous_values(key, value, previous, changed, date_column) -%}
    update {{ this }} as target_rows
    set {{ previous }} = recomputed.previous_value
        {%- if changed %},
        {{ changed }} = coalesce(recomputed.previous_value <> recomputed.current_value, false)
        {%- endif %}
    from (
        with
        run_dates as (
            select distinct {{ date_column }} as run_date from {{ this }}
        ),
        previous_dates as (
            select run_date, lag(run_date) over (order by run_date) as previous_run_date
            from run_dates
        )
        select
            h.{{ date_column }} as run_date,
            h.{{ key }} as row_key,
            h.{{ value }} as current_value,
            prior.{{ value }} as previous_value
        from {{ this }} as h
        inner join previous_dates as d on d.run_date = h.{{ date_column }}
        left join {{ this }} as prior
            on prior.{{ key }} = h.{{ key }}
            and prior.{{ date_column }} = d.previous_run_date
        where h.{{ date_column }} >= {{ as_of() }}
    ) as recomputed
    where target_rows.{{ date_column }} = recomputed.run_date
      and target_rows.{{ key }} = recomputed.row_key
      and (
          target_rows.{{ previous }} is distinct from recomputed.previous_value
          {%- if changed %}
          or target_rows.{{ changed }} is distinct from coalesce(recomputed.previous_value <> recomputed.current_value, false)
          {%- endif %}
      )
{%- endmacro %}

{#-
  Latest-only marts (customer_segments, opportunities, ingest_quarantine) hold the
  NEWEST as-of date that has run, not the last run: a backfill of an older date
  must not replace today's view. They are incremental tables: when the run's date
  is the newest (or equal), the pre-hook empties the table and the run's rows go in;
  when it is older, nothing is deleted and keep_newest_filter() inserts nothing.
  Usage: {{ config(**latest_only_config()) }} ... select * from final {{ keep_newest_filter() }}
-#}
{% macro latest_only_config(date_column='as_of_date') -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'append_new_columns',
        'pre_hook': ["{{ delete_if_not_newer('" ~ date_column ~ "') }}"],
    }) }}
{%- endmacro %}

{% macro delete_if_not_newer(date_column='as_of_date') -%}
    {%- set existing = load_relation(this) if execute else none -%}
    {%- if existing is not none and not should_full_refresh() -%}
        delete from {{ this }} where (select max({{ date_column }}) from {{ this }}) <= {{ as_of() }}
    {%- else -%}
        select 1 /* nothing to delete: first build or full refresh */
    {%- endif -%}
{%- endmacro %}

{% macro keep_newest_filter(date_column='as_of_date') -%}
    {%- if is_incremental() %}
    where {{ as_of() }} >= (select coalesce(max({{ date_column }}), {{ as_of() }}) from {{ this }})
    {%- endif %}
{%- endmacro %}
