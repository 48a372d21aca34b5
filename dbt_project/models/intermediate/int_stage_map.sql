-- The stage map in force: the stage_map seed (built-in CRMs, user edits) plus the
-- `stages:` a user profile declares in its YAML. A seed row wins over a profile row
-- for the same source and raw stage, so an edit in the seed is never overridden.
with

seed as (
    select source_system, stage_raw, stage, is_won, is_lost, default_probability
    from {{ ref('stage_map') }}
),

from_profiles as (
    select source_system, raw_value as stage_raw, stage, is_won, is_lost, default_probability
    from {{ source('raw', 'profile_maps') }}
    where kind = 'stage'
),

final as (
    select * from seed
    union all
    select p.*
    from from_profiles as p
    where not exists (
        select 1 from seed as s
        where s.source_system = p.source_system and lower(trim(s.stage_raw)) = lower(trim(p.stage_raw))
    )
)

select * from final
