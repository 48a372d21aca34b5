-- How CRM owners resolve to rep_id (SPEC §2): by id when the CRM owner id equals a
-- roster rep_id, else by normalised name (lower / trim) against rep_name. A name
-- shared by two reps resolves to the smallest rep_id (deterministic).
with

roster as (
    select * from {{ ref('int_roster_rows') }}
),

by_id as (
    select distinct
        'id' as key_type,
        rep_id as match_key,
        rep_id
    from roster
),

by_name as (
    select
        'name' as key_type,
        rep_name_norm as match_key,
        min(rep_id) as rep_id
    from roster
    where rep_name_norm is not null
    group by rep_name_norm
),

final as (
    select * from by_id
    union all
    select * from by_name
)

select * from final
