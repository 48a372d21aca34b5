-- The activity-type map in force: activity_type_map seed plus user-profile `activity_types:` (seed wins).
with

seed as (
    select source_system, activity_type_raw, activity_type
    from {{ ref('activity_type_map') }}
),

from_profiles as (
    select source_system, raw_value as activity_type_raw, activity_type
    from {{ source('raw', 'profile_maps') }}
    where kind = 'activity_type'
),

final as (
    select * from seed
    union all
    select p.*
    from from_profiles as p
    where not exists (
        select 1 from seed as s
        where s.source_system = p.source_system
            and lower(trim(s.activity_type_raw)) = lower(trim(p.activity_type_raw))
    )
)

select * from final
