-- Which roll-up keys a rep's numbers count towards (company / region / team /
-- manager / rep), and on which dates (int_rep_roster.attribution_from / _to): a
-- dated fact is credited to the keys of the roster row in force on its date (a
-- won / lost deal: its close date; an activity: its date; a feedback: its date);
-- open pipeline and owned accounts use the run date. Deals, activities and
-- feedback with no resolvable rep count under rep_key '~unassigned' (company total,
-- 'unassigned' region / team / rep). A manager's key collects their direct reports
-- (of that date) and their own numbers.
with

roster as (
    select * from {{ ref('int_rep_roster') }}
),

rep_keys as (
    select rep_id as rep_key, rep_id, team, region, manager_rep_id, is_manager, attribution_from, attribution_to
    from roster
    union all
    select '~unassigned', null, null, null, null, false, cast('0001-01-01' as date), cast('9999-12-31' as date)
),

final as (
    select 'company' as level, 'all' as level_key, rep_key, attribution_from, attribution_to from rep_keys
    union all
    select 'region', coalesce(region, 'unassigned'), rep_key, attribution_from, attribution_to from rep_keys
    union all
    select 'team', coalesce(team, 'unassigned'), rep_key, attribution_from, attribution_to from rep_keys
    union all
    select 'manager', manager_rep_id, rep_key, attribution_from, attribution_to from rep_keys where manager_rep_id is not null
    union all
    select 'manager', rep_id, rep_key, attribution_from, attribution_to from rep_keys where is_manager
    union all
    select 'rep', coalesce(rep_id, 'unassigned'), rep_key, attribution_from, attribution_to from rep_keys
)

select distinct
    *,
    {{ as_of() }} between attribution_from and attribution_to as is_current
from final
