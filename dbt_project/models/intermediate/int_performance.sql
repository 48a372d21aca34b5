-- Sales metrics for every roll-up (company / region / team / manager / rep / tier)
-- and every reporting period of the run (SPEC §4, §5.3). Long-to-wide: one row per
-- (level, level_key, period_type, period_start).
--   closed-in-period: won / lost deals whose closed_date falls in the period (<= run date)
--   open / weighted pipeline: snapshot of open deals at the run date (same on every period row)
--   pipeline_due: open deals expected to close in the rest of the period (int_periods.due_*)
--   coverage = pipeline_due / max(target - bookings, 0) (trailing_90d: / next 90 days' target)
-- Deals are credited to their current owner. Team / region / manager: a won or lost
-- deal counts for the roster row of its owner on its close date (int_level_map), an
-- activity / feedback on its date, open pipeline on the run date. The tier level uses
-- the account's current tier. Company = sum of reps (incl. 'unassigned') = sum of
-- teams = sum of regions = sum of tiers for every additive metric.
with

-- the facts carry only the columns the roll-ups read: each is exploded to one row per roll-up key (six
-- levels), so every column more is copied six times (100x the demo: 2 M activities, 12 M exploded rows)
deals as (
    select
        o.owner_rep_id, o.attribution_date, o.is_open, o.is_won, o.is_lost, o.closed_date, o.close_date,
        o.amount_value, o.weighted_amount, o.cycle_days, o.is_overdue, o.is_stale,
        t.tier as account_tier
    from {{ ref('int_opportunities') }} as o
    left join {{ ref('int_customer_tiers') }} as t on t.account_id = o.account_id
),

activities as (
    -- only counted: one row per rep, day and account tier with its number of activities
    select a.rep_id, a.occurred_date, t.tier as account_tier, count(*) as activities
    from {{ ref('int_activities') }} as a
    left join {{ ref('int_customer_tiers') }} as t on t.account_id = a.account_id
    where a.is_counted
    group by a.rep_id, a.occurred_date, t.tier
),

feedback as (
    select
        f.rep_id, f.received_date, f.score_normalized, f.is_promoter, f.is_detractor, f.is_nps_response,
        t.tier as account_tier
    from {{ ref('int_feedback') }} as f
    left join {{ ref('int_customer_tiers') }} as t on t.account_id = f.account_id
    where f.is_counted
),

level_map as (
    select * from {{ ref('int_level_map') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

-- each fact once per roll-up key it counts towards
deal_levels as (
    {{ explode_levels('deals', 'owner_rep_id', 'f.attribution_date') }}
),

activity_levels as (
    {{ explode_levels('activities', 'rep_id', 'f.occurred_date') }}
),

feedback_levels as (
    {{ explode_levels('feedback', 'rep_id', 'f.received_date') }}
),

spine as (
    -- every roll-up key of the roster and every tier, plus any key that has facts
    select 'company' as level, 'all' as level_key
    union
    select distinct level, level_key from level_map where rep_key <> '~unassigned' and is_current
    union
    select 'tier', tier from {{ ref('service_levels') }}
    union
    select distinct level, level_key from deal_levels
    union
    select distinct level, level_key from activity_levels
),

closed as (
    select
        dl.level, dl.level_key, p.period_type, p.period_start,
        count(case when dl.is_won then 1 end) as won_count,
        count(case when dl.is_lost then 1 end) as lost_count,
        coalesce(sum(case when dl.is_won then dl.amount_value end), 0) as bookings,
        coalesce(sum(case when dl.is_lost then dl.amount_value end), 0) as lost_amount,
        {{ stable_avg('case when dl.is_won then dl.cycle_days end') }} as sales_cycle_days
    from deal_levels as dl
    inner join periods as p
        on dl.closed_date between p.period_start and p.period_end
    where not dl.is_open and dl.closed_date <= {{ as_of() }}
    group by 1, 2, 3, 4
),

open_snapshot as (
    select
        level, level_key,
        count(*) as open_deals,
        sum(amount_value) as open_pipeline,
        sum(weighted_amount) as weighted_pipeline,
        count(case when is_overdue then 1 end) as overdue_deals,
        count(case when is_stale then 1 end) as stale_deals
    from deal_levels
    where is_open
    group by 1, 2
),

open_due as (
    select dl.level, dl.level_key, p.period_type, p.period_start,
           sum(dl.amount_value) as pipeline_due
    from deal_levels as dl
    inner join periods as p
        on p.due_start is not null
        and dl.close_date between p.due_start and p.due_end
    where dl.is_open
    group by 1, 2, 3, 4
),

activity_counts as (
    select al.level, al.level_key, p.period_type, p.period_start,
           cast(sum(al.activities) as bigint) as activity_count
    from activity_levels as al
    inner join periods as p on al.occurred_date between p.period_start and p.period_end
    group by 1, 2, 3, 4
),

satisfaction as (
    -- satisfaction, responses and NPS as macros/satisfaction.sql defines them (as per account)
    select fl.level, fl.level_key, p.period_type, p.period_start,
           {{ satisfaction_metrics('fl') }}
    from feedback_levels as fl
    inner join periods as p on fl.received_date between p.period_start and p.period_end
    group by 1, 2, 3, 4
),

joined as (
    select
        s.level,
        s.level_key,
        p.period_type,
        p.period_start,
        p.period_end,
        p.is_current,
        coalesce(c.bookings, 0) as bookings,
        coalesce(c.won_count, 0) as won_count,
        coalesce(c.lost_count, 0) as lost_count,
        coalesce(c.lost_amount, 0) as lost_amount,
        c.sales_cycle_days,
        coalesce(o.open_deals, 0) as open_deals,
        coalesce(o.open_pipeline, 0) as open_pipeline,
        coalesce(o.weighted_pipeline, 0) as weighted_pipeline,
        coalesce(o.overdue_deals, 0) as overdue_deals,
        coalesce(o.stale_deals, 0) as stale_deals,
        case when p.due_start is not null then coalesce(d.pipeline_due, 0) end as pipeline_due,
        coalesce(a.activity_count, 0) as activity_count,
        t.target_amount,
        t.due_target_amount,
        sat.satisfaction,
        coalesce(sat.satisfaction_responses, 0) as satisfaction_responses,
        sat.nps
    from spine as s
    cross join periods as p
    left join closed as c
        on c.level = s.level and c.level_key = s.level_key
        and c.period_type = p.period_type and c.period_start = p.period_start
    left join open_snapshot as o
        on o.level = s.level and o.level_key = s.level_key
    left join open_due as d
        on d.level = s.level and d.level_key = s.level_key
        and d.period_type = p.period_type and d.period_start = p.period_start
    left join activity_counts as a
        on a.level = s.level and a.level_key = s.level_key
        and a.period_type = p.period_type and a.period_start = p.period_start
    left join {{ ref('int_targets_by_period') }} as t
        on t.level = s.level and t.level_key = s.level_key
        and t.period_type = p.period_type and t.period_start = p.period_start
    left join satisfaction as sat
        on sat.level = s.level and sat.level_key = s.level_key
        and sat.period_type = p.period_type and sat.period_start = p.period_start
),

metrics as (
    select
        *,
        won_count / nullif(won_count + lost_count, 0) as win_rate,
        bookings / nullif(bookings + lost_amount, 0) as win_rate_amount,
        bookings / nullif(won_count, 0) as avg_deal_size,
        bookings / nullif(target_amount, 0) as attainment,
        -- still to book in the period; trailing_90d looks forward at the next 90 days' target
        case
            when period_type = 'trailing_90d' then due_target_amount
            when pipeline_due is not null and target_amount is not null then greatest(target_amount - bookings, 0)
        end as remaining_target
    from joined
)

select
    *,
    pipeline_due / nullif(remaining_target, 0) as pipeline_coverage,
    -- velocity (per day): open deals x avg deal size x win rate / cycle days
    open_deals * avg_deal_size * win_rate / nullif(sales_cycle_days, 0) as sales_velocity
from metrics
