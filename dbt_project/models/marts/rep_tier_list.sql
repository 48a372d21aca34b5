{{ config(**history_config(previous=[
    {'key': 'rep_id', 'value': 'rep_tier', 'previous': 'previous_rep_tier', 'changed': 'is_rep_tier_changed'}],
    first_snapshot='is_first_snapshot')) }}
-- Rep tier list per as-of date (history): tier, training focus, incentive band and
-- suggested next-period target per active rep (definitions: int_rep_tiers).
-- Leaderboard: reps rank by attainment when any rep has a target this period, else by
-- bookings (leaderboard_basis says which; attainment stays NULL without a target, never 0);
-- tied reps share a rank; a rep without the measure has no rank.
with

rep_tiers as (
    select * from {{ ref('int_rep_tiers') }}
),

reps as (
    select * from {{ ref('int_reps') }}
),

final as (
    select
        {{ as_of() }} as as_of_date,
        t.rep_id,
        t.rep_name,
        t.manager_rep_id,
        m.rep_name as manager_name,
        t.team,
        t.region,
        t.hire_date,
        t.tenure_months,
        t.rep_tier,
        t.rep_tier_order,
        cast(null as {{ dbt.type_string() }}) as previous_rep_tier,     -- post-hook (macros/history.sql)
        cast(null as boolean) as is_rep_tier_changed,   -- post-hook
        t.period_type as tier_period_type,
        t.period_start as tier_period_start,
        {{ r2('t.bookings') }} as bookings,
        {{ r2('t.target_amount') }} as target_amount,
        {{ r4('t.attainment') }} as attainment,
        {{ r4('t.win_rate') }} as win_rate,
        {{ r4('t.attainment_pct') }} as attainment_percentile,
        {{ r4('t.win_rate_pct') }} as win_rate_percentile,
        t.tier_score,   -- rounded by r4 in int_rep_tiers
        t.training_focus,
        t.weakest_stage,
        {{ r4('t.weakest_stage_conversion') }} as weakest_stage_conversion,
        {{ r4('t.weakest_stage_team_conversion') }} as weakest_stage_team_conversion,
        t.incentive_band,
        t.next_period_start,
        t.next_period_end,
        {{ r2('t.next_period_target') }} as next_period_target,
        t.tier_reason,
        {{ first_snapshot_expr() }} as is_first_snapshot   -- post-hook keeps it right on backfills
    from rep_tiers as t
    left join reps as m on m.rep_id = t.manager_rep_id
),

based as (
    select
        *,
        case when count(attainment) over () > 0 then 'attainment' else 'bookings' end as leaderboard_basis
    from final
),

{%- set measure = "case when leaderboard_basis = 'attainment' then attainment else bookings end" %}
select
    *,
    case when {{ measure }} is not null
         then rank() over (order by {{ measure }} desc nulls last) end as leaderboard_rank,
    -- every money figure of a row is in its currency: the reporting currency (var reporting_currency)
    {{ reporting_currency() }} as currency
from based
order by rep_id
