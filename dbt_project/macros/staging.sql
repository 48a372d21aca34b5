{#-
  Record versions of one raw module visible at the run's as-of date: only batches
  with export_date <= as_of_date count; version_rank = 1 is the latest version of
  each (source_system, source_record_id), by modified_at then export_date (file and
  line break the remaining ties so the choice is deterministic); first_export_date is
  the first batch that carried the record. The latest-version staging models keep
  `where version_rank = 1`.
-#}
{% macro raw_versions(module) -%}
    select
        *,
        row_number() over (
            partition by source_system, source_record_id
            order by modified_at desc nulls last, export_date desc, source_file desc, source_line desc
        ) as version_rank,
        -- the first batch that carried the record (e.g. when a feedback "came")
        min(export_date) over (partition by source_system, source_record_id) as first_export_date
    from {{ source('raw', module) }}
    where export_date <= {{ as_of() }}
      and source_record_id is not null
{%- endmacro %}

{#- Canonical id: <source_system>:<source_record_id> -#}
{% macro canonical_id(source_system, record_id) -%}
    ({{ source_system }} || ':' || trim(cast({{ record_id }} as {{ dbt.type_string() }})))
{%- endmacro %}
