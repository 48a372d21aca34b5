{#-
  The picklist map in force for one kind (stage / status / activity_type): the seed's rows
  (built-in CRMs, user edits) plus the rules user profiles declare in YAML (source
  raw.profile_maps, written by every run's landing manifest from profiles/*.yml). A seed row
  wins over a profile row for the same source and raw value (matched lower-cased and
  trimmed), so an edit in the seed is never overridden. int_stage_map, int_status_map and
  int_activity_type_map are this macro; join_source_map (macros/resolve.sql) looks values up
  in them, in models and in the raw source tests alike.
    seed        the seed of the built-in rules, e.g. 'stage_map'
    kind        profile_maps.kind of the profile rules, e.g. 'stage'
    key_column  the raw-value column, e.g. 'stage_raw' (profile_maps.raw_value)
    columns     what a raw value maps to, e.g. ['stage', 'is_won', 'is_lost', 'default_probability']
-#}
{% macro map_in_force(seed, kind, key_column, columns) -%}
with

seed as (
    select source_system, {{ key_column }}, {{ columns | join(', ') }}
    from {{ ref(seed) }}
),

from_profiles as (
    select source_system, raw_value as {{ key_column }}, {{ columns | join(', ') }}
    from {{ source('raw', 'profile_maps') }}
    where kind = '{{ kind }}'
),

final as (
    select * from seed
    union all
    select p.*
    from from_profiles as p
    where not exists (
        select 1 from seed as s
        where s.source_system = p.source_system
            and lower(trim(s.{{ key_column }})) = lower(trim(p.{{ key_column }}))
    )
)

select * from final
{%- endmacro %}
