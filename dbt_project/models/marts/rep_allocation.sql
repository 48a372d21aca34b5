{{ config(**history_config()) }}
-- Resource allocation (销售资源配置) per as-of date (history): per active rep, the
-- A/B/C/D accounts owned, their value, the workload (service_levels.load_weight per
-- account) against the team median and the capacity (var rep_capacity_load), and
-- suggested reassignments:
--   * tier-A accounts owned by a developing rep -> the top / core team peer with the
--     lowest load
--   * a rep above capacity while a team peer has room -> that peer
--   * accounts with no owner, or whose owner is no longer on the roster -> one row
--     with rep_id 'unassigned'
with

accounts as (
    select t.*, sl.load_weight
    from {{ ref('int_customer_tiers') }} as t
    left join {{ ref('service_levels') }} as sl on sl.tier = t.tier
),

rep_tiers as (
    select * from {{ ref('int_rep_tiers') }}
),

owned as (
    select
        owner_rep_id as rep_id,
        {{- tier_counts('tier') }},
        count(*) as accounts_owned,
        sum(coalesce(purchases_365d, 0)) as owned_value,
        sum(open_pipeline) as owned_open_pipeline,
        sum(load_weight) as load
    from accounts
    where owner_rep_id is not null
    group by owner_rep_id
),

per_rep as (
    select
        r.rep_id,
        r.rep_name,
        r.team,
        r.rep_tier,
        coalesce(o.tier_a_accounts, 0) as tier_a_accounts,
        coalesce(o.tier_b_accounts, 0) as tier_b_accounts,
        coalesce(o.tier_c_accounts, 0) as tier_c_accounts,
        coalesce(o.tier_d_accounts, 0) as tier_d_accounts,
        coalesce(o.accounts_owned, 0) as accounts_owned,
        coalesce(o.owned_value, 0) as owned_value,
        coalesce(o.owned_open_pipeline, 0) as owned_open_pipeline,
        coalesce(o.load, 0) as load
    from rep_tiers as r
    left join owned as o on o.rep_id = r.rep_id
),

team_medians as (
    select team, percentile_cont(0.5) within group (order by load) as team_median_load
    from per_rep
    group by team
),

with_median as (
    select
        p.*,
        tm.team_median_load,
        p.load > {{ var('rep_capacity_load') }} as over_capacity
    from per_rep as p
    left join team_medians as tm on coalesce(tm.team, '~') = coalesce(p.team, '~')
),

peer_candidates as (
    select
        a.rep_id,
        b.rep_id as peer_id,
        b.load as peer_load,
        b.rep_tier as peer_tier,
        row_number() over (
            partition by a.rep_id, case when b.rep_tier in ('top', 'core') then 1 else 0 end
            order by b.load, b.rep_id
        ) as strong_rank,
        row_number() over (
            partition by a.rep_id, case when b.load < {{ var('rep_capacity_load') }} then 1 else 0 end
            order by b.load, b.rep_id
        ) as roomy_rank
    from with_median as a
    inner join with_median as b on b.team = a.team and b.rep_id <> a.rep_id
),

peers as (
    -- for each rep, the team peer with the lowest load (top / core peers for tier-A handover)
    select
        rep_id,
        max(case when peer_tier in ('top', 'core') and strong_rank = 1 then peer_id end) as strong_peer,
        max(case when peer_load < {{ var('rep_capacity_load') }} and roomy_rank = 1 then peer_id end) as roomy_peer,
        min(case when peer_load < {{ var('rep_capacity_load') }} then peer_load end) as roomy_peer_load
    from peer_candidates
    group by rep_id
),

actions as (
    select
        m.*,
        m.load / nullif(m.team_median_load, 0) as load_vs_team_median,
        -- the non-empty suggestions joined with '; ' (portable concat_ws)
        nullif(substr(
            coalesce('; ' || (
                case when m.rep_tier = 'developing' and m.tier_a_accounts > 0 then
                    'reassign ' || m.tier_a_accounts || ' tier-A account(s) to '
                    || coalesce(p.strong_peer, 'a top / core rep') || ' (developing rep)'
                end
            ), '') ||
            coalesce('; ' || (
                case when m.over_capacity and p.roomy_peer is not null then
                    'over capacity (load ' || {{ format_number('m.load', 1) }} || ' > ' || {{ var('rep_capacity_load') }}
                    || '): move accounts to ' || p.roomy_peer || ' (load ' || {{ format_number('p.roomy_peer_load', 1) }} || ')'
                end
            ), '') ||
            coalesce('; ' || (
                case when m.over_capacity and p.roomy_peer is null then
                    'over capacity (load ' || {{ format_number('m.load', 1) }} || ' > ' || {{ var('rep_capacity_load') }}
                    || ') and no team peer has room'
                end
            ), ''),
            3), '') as suggested_action
    from with_median as m
    left join peers as p on p.rep_id = m.rep_id
),

unowned as (
    select
        'unassigned' as rep_id,
        cast(null as {{ dbt.type_string() }}) as rep_name,
        cast(null as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as rep_tier,
        {{- tier_counts('tier') }},
        count(*) as accounts_owned,
        sum(coalesce(purchases_365d, 0)) as owned_value,
        sum(open_pipeline) as owned_open_pipeline,
        sum(load_weight) as load
    from accounts
    where owner_rep_id is null
       or owner_rep_id not in (select rep_id from rep_tiers)
    having count(*) > 0
),

final as (
    select
        rep_id, rep_name, team, rep_tier,
        tier_a_accounts, tier_b_accounts, tier_c_accounts, tier_d_accounts, accounts_owned,
        owned_value, owned_open_pipeline, load, team_median_load, load_vs_team_median,
        over_capacity,
        coalesce(suggested_action, 'none') as suggested_action
    from actions

    union all

    select
        rep_id, rep_name, team, rep_tier,
        tier_a_accounts, tier_b_accounts, tier_c_accounts, tier_d_accounts, accounts_owned,
        owned_value, owned_open_pipeline, load, null, null,
        false,
        'assign ' || accounts_owned || ' account(s) with no active owner (A ' || tier_a_accounts
            || ', B ' || tier_b_accounts || ', C ' || tier_c_accounts || ', D ' || tier_d_accounts || ')'
    from unowned
)

select
    {{ as_of() }} as as_of_date,
    rep_id,
    rep_name,
    team,
    rep_tier,
    tier_a_accounts,
    tier_b_accounts,
    tier_c_accounts,
    tier_d_accounts,
    accounts_owned,
    {{ r2('owned_value') }} as owned_value,
    {{ r2('owned_open_pipeline') }} as owned_open_pipeline,
    {{ reporting_currency() }} as currency,
    {{ r2('load') }} as load,
    {{ r2('team_median_load') }} as team_median_load,
    {{ r4('load_vs_team_median') }} as load_vs_team_median,
    {{ var('rep_capacity_load') }} as capacity_load,
    over_capacity,
    suggested_action
from final
order by rep_id
