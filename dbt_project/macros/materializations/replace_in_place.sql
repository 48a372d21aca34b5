{#-
  Tables and views on DuckDB, replaced in place inside one transaction.

  dbt-duckdb's own table and view materialisations build a temporary relation, rename the old one to a
  backup, rename the new one in, drop the backup and look each name up in the relation cache: eight
  statements and as many rounds of Jinja and event logging per model, ≈ 0.1 s of Python each on this
  machine while the SQL itself takes milliseconds on a small home. DuckDB's DDL is transactional, so
  dropping the old relation and creating the new one in one transaction is just as atomic for a reader.
  Everything else is dbt's: the contract checks and typed create (create_table_as), pre- and post-hooks,
  the relation cache. Only DuckDB is overridden; other adapters keep their own materialisations.
-#}

{#- Hooks, one main statement in the transaction, commit: every materialisation here. -#}
{% macro salestier_run_main(target, main_sql, pre_hooks, post_hooks) %}
  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {% call statement('main') -%} {{ main_sql }} {%- endcall %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target]}) }}
{% endmacro %}

{% macro salestier_replace_relation(target, create_sql, pre_hooks, post_hooks) %}
  {%- set existing = load_cached_relation(this) -%}
  {%- set main_sql -%}
    {%- if existing is not none %} drop {{ existing.type }} if exists {{ existing }}; {% endif %}
    {{ create_sql }}
  {%- endset -%}
  {{ return(salestier_run_main(target, main_sql, pre_hooks, post_hooks)) }}
{% endmacro %}

{% materialization table, adapter="duckdb", supported_languages=['sql'] %}
  {%- set target = this.incorporate(type='table') -%}
  {{ return(salestier_replace_relation(target, create_table_as(False, target, sql), pre_hooks, post_hooks)) }}
{% endmaterialization %}

{% materialization view, adapter="duckdb" %}
  {%- set target = this.incorporate(type='view') -%}
  {%- set create_sql -%} create view {{ target }} as ({{ sql }}); {%- endset -%}
  {{ return(salestier_replace_relation(target, create_sql, pre_hooks, post_hooks)) }}
{% endmaterialization %}

{#- The current-state tables (macros/current_state.sql): brought forward by the night's new batches when
    state_since() allows it, else built in full like a table. The new latest versions of the records the
    new batches touch are computed first (they read the stored rows), then those records are replaced. -#}
{% materialization current_state, adapter="duckdb", supported_languages=['sql'] %}
  {%- set target = this.incorporate(type='table') -%}
  {%- if state_since() is none -%}
    {{ return(salestier_replace_relation(target, create_table_as(False, target, sql), pre_hooks, post_hooks)) }}
  {%- endif -%}
  {%- set delta = adapter.quote(this.identifier ~ '__new_versions') -%}
  {%- set main_sql -%}
    create or replace temp table {{ delta }} as ({{ sql }});
    delete from {{ target }} as stored
    where exists (
        select 1 from {{ delta }} as fresh
        where fresh.source_system = stored.source_system and fresh.source_record_id = stored.source_record_id
    );
    insert into {{ target }} by name select * from {{ delta }};
    drop table {{ delta }};
  {%- endset -%}
  {{ return(salestier_run_main(target, main_sql, pre_hooks, post_hooks)) }}
{% endmaterialization %}
