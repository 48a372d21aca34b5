-- Which roll-up keys each rep's numbers count towards (company / region / team /
-- manager / rep). Deals, activities and feedback with no resolvable rep count
-- under rep_key '~unassigned' (company total, 'unassigned' region / team / rep).
-- A manager's key collects their direct reports and their own numbers.
with

reps as (
    select * from {{ ref('int_reps') }}
),

rep_keys as (
    select rep_id as rep_key, rep_id, team, region, manager_rep_id, is_manager from reps
    union all
    select '~unassigned', null, null, null, null, false
),

final as (
    select 'company' as level, 'all' as level_key, rep_key from rep_keys
    union all
    select 'region', coalesce(region, 'unassigned'), rep_key from rep_keys
    union all
    select 'team', coalesce(team, 'unassigned'), rep_key from rep_keys
    union all
    select 'manager', manager_rep_id, rep_key from rep_keys where manager_rep_id is not null
    union all
    select 'manager', rep_id, rep_key from rep_keys where is_manager
    union all
    select 'rep', coalesce(rep_id, 'unassigned'), rep_key from rep_keys
)

select distinct * from final
