-- Rep tier (销售团队分层, SPEC §5.3) for every active roster rep as of the run date.
--   Attainment and win rate over the current var rep_tier_period period, rounded by r4
--   (macros/as_of.sql) before they are ranked, banded or written in the reason.
--   Comparable reps: reps with a target or a closed deal in the period.
--   percentile of a comparable rep within the team, per metric (macros/as_of.sql
--           tied_percentile): comparable team-mates strictly below / (strictly below +
--           strictly above), so tied reps get the same percentile, the best value is
--           always 1 and the worst 0; 0.5 when every comparable rep has the same value
--           (e.g. all at a 100 % win rate). A metric nobody in the team has (e.g. no
--           targets at all) is left out; a missing value ranks as 0.
--   score = mean of the two percentiles (r4); top >= rep_tier_top_min_score,
--           developing <= rep_tier_developing_max_score, else core
--   a team with fewer than var rep_tier_min_team_size comparable reps is not ranked:
--           its reps are core (score 0.5) and the reason says so; a rep with no target
--           and no closed deal is not ranked either (core, 0.5)
--   training_focus: the stage whose conversion is furthest below the team's
--           (stages with >= training_min_deals of the rep's deals reached)
--   incentive_band: incentive_bands by attainment
--   next_period_target: next quarter = max(current quarter target, trailing-90-day
--           bookings) x rep_tier_rules.next_target_multiplier (NULL when both are 0 / missing)
with

reps as (
    select * from {{ ref('int_reps') }} where is_active
),

performance as (
    select * from {{ ref('int_performance') }} where level = 'rep' and is_current
),

tier_period as (
    select * from performance where period_type = '{{ var("rep_tier_period") }}'
),

quarter_now as (
    select * from performance where period_type = 'quarter'
),

trailing_now as (
    select * from performance where period_type = 'trailing_90d'
),

base as (
    select
        r.rep_id,
        r.rep_name,
        r.manager_rep_id,
        r.team,
        r.region,
        r.hire_date,
        r.tenure_months,
        tp.period_type,
        tp.period_start,
        tp.bookings,
        tp.target_amount,
        {{ r4('tp.attainment') }} as attainment,
        {{ r4('tp.win_rate') }} as win_rate,
        tp.won_count,
        tp.lost_count,
        q.target_amount as quarter_target,
        t90.bookings as trailing_90d_bookings,
        count(*) over (partition by r.team) as team_size
    from reps as r
    left join tier_period as tp on tp.level_key = r.rep_id
    left join quarter_now as q on q.level_key = r.rep_id
    left join trailing_now as t90 on t90.level_key = r.rep_id
),

rankable as (
    select
        *,
        attainment is not null or coalesce(won_count + lost_count, 0) > 0 as is_rankable
    from base
),

ranked as (
    select
        *,
        count(case when is_rankable then 1 end) over (partition by team) as team_rankable,
        count(case when is_rankable then attainment end) over (partition by team) as team_with_attainment,
        count(case when is_rankable then win_rate end) over (partition by team) as team_with_win_rate,
        {{ tied_percentile('coalesce(attainment, 0)', 'team, is_rankable') }} as raw_attainment_pct,
        {{ tied_percentile('coalesce(win_rate, 0)', 'team, is_rankable') }} as raw_win_rate_pct
    from rankable
),

scored as (
    select
        *,
        is_rankable and team_rankable >= {{ var('rep_tier_min_team_size') }} as is_ranked,
        case when is_rankable and team_rankable >= {{ var('rep_tier_min_team_size') }} and team_with_attainment > 0
             then raw_attainment_pct end as attainment_pct,
        case when is_rankable and team_rankable >= {{ var('rep_tier_min_team_size') }} and team_with_win_rate > 0
             then raw_win_rate_pct end as win_rate_pct
    from ranked
),

scored_final as (
    select
        *,
        coalesce({{ r4('(coalesce(attainment_pct, 0) + coalesce(win_rate_pct, 0))
                / nullif((case when attainment_pct is not null then 1 else 0 end) + (case when win_rate_pct is not null then 1 else 0 end), 0)') }},
            0.5) as tier_score
    from scored
),

tiered as (
    select
        s.*,
        case
            when not s.is_ranked then 'core'
            when s.tier_score >= {{ var('rep_tier_top_min_score') }} then 'top'
            when s.tier_score <= {{ var('rep_tier_developing_max_score') }} then 'developing'
            else 'core'
        end as rep_tier
    from scored_final as s
),

-- training focus: rep vs team conversion per stage
rep_funnel as (
    select f.level_key as rep_id, f.stage_order, f.reached, f.conversion_rate
    from {{ ref('int_funnel') }} as f
    where f.level = 'rep'
),

team_funnel as (
    select f.level_key as team, f.stage_order, f.conversion_rate
    from {{ ref('int_funnel') }} as f
    where f.level = 'team'
),

stage_gaps as (
    select
        t.rep_id,
        rf.stage_order,
        rf.conversion_rate as rep_conversion,
        tf.conversion_rate as team_conversion,
        rf.conversion_rate - tf.conversion_rate as gap,
        row_number() over (partition by t.rep_id order by rf.conversion_rate - tf.conversion_rate, rf.stage_order) as gap_rank
    from tiered as t
    inner join rep_funnel as rf on rf.rep_id = t.rep_id
    inner join team_funnel as tf on tf.team = coalesce(t.team, 'unassigned') and tf.stage_order = rf.stage_order
    where rf.conversion_rate is not null
      and tf.conversion_rate is not null
      and rf.reached >= {{ var('training_min_deals') }}
),

weakest as (
    select g.*, s.stage, s.training_focus
    from stage_gaps as g
    inner join {{ ref('stages') }} as s on s.stage_order = g.stage_order
    where g.gap_rank = 1
),

final as (
    select
        t.*,
        case
            when w.rep_id is null then 'insufficient data (fewer than {{ var("training_min_deals") }} deals reached at every stage)'
            when w.gap < 0 then w.training_focus
            else 'none: at or above the team at every stage'
        end as training_focus,
        w.stage as weakest_stage,
        w.rep_conversion as weakest_stage_conversion,
        w.team_conversion as weakest_stage_team_conversion,
        coalesce(ib.incentive_band, 'no target') as incentive_band,
        cast({{ dbt.dateadd('month', 3, dbt.date_trunc('quarter', as_of())) }} as date) as next_period_start,
        cast({{ dbt.last_day(dbt.dateadd('month', 3, dbt.date_trunc('quarter', as_of())), 'quarter') }} as date) as next_period_end,
        nullif({{ greatest_non_null(['t.quarter_target', 't.trailing_90d_bookings']) }}, 0) * rr.next_target_multiplier as next_period_target,
        rr.next_target_multiplier,
        rr.tier_order as rep_tier_order   -- best first (seed rep_tier_rules): how lists sort the tiers
    from tiered as t
    left join weakest as w on w.rep_id = t.rep_id
    left join {{ ref('incentive_bands') }} as ib
        on t.attainment is not null
        and t.attainment >= coalesce(ib.min_attainment, -1e18)
        and t.attainment < coalesce(ib.max_attainment, 1e18)
    left join {{ ref('rep_tier_rules') }} as rr on rr.rep_tier = t.rep_tier
)

select
    *,
    case when is_rankable then
        'attainment ' || coalesce({{ number_text('100 * attainment', 1) }} || '%', 'n/a (no target)')
        || coalesce(' (team percentile ' || {{ number_text('attainment_pct', 2) }} || ')', '') || ', win rate '
        || coalesce({{ number_text('100 * win_rate', 1) }} || '%', 'n/a (no closed deal)')
        || coalesce(' (team percentile ' || {{ number_text('win_rate_pct', 2) }} || ')', '')
        || ' over ' || coalesce(period_type, '{{ var("rep_tier_period") }}')
    else 'no target and no closed deal over ' || coalesce(period_type, '{{ var("rep_tier_period") }}') || ' (not ranked)'
    end
        || case
            when is_rankable and not is_ranked
                then '; team ' || coalesce(team, 'unassigned') || ' has ' || team_rankable || ' comparable rep(s), fewer than '
                     || {{ var('rep_tier_min_team_size') }} || ' (rep_tier_min_team_size): not ranked -> ' || rep_tier
            else '; score ' || {{ number_text('tier_score', 2) }} || ' -> ' || rep_tier
           end
        || '; tenure ' || coalesce(tenure_months || ' months', 'unknown') as tier_reason
from final
