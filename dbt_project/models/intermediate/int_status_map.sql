-- The deal-status map in force: status_map seed plus user-profile `statuses:` (seed wins).
with

seed as (
    select source_system, status_raw, is_won, is_lost, is_void
    from {{ ref('status_map') }}
),

from_profiles as (
    select source_system, raw_value as status_raw, is_won, is_lost, is_void
    from {{ source('raw', 'profile_maps') }}
    where kind = 'status'
),

final as (
    select * from seed
    union all
    select p.*
    from from_profiles as p
    where not exists (
        select 1 from seed as s
        where s.source_system = p.source_system and lower(trim(s.status_raw)) = lower(trim(p.status_raw))
    )
)

select * from final
