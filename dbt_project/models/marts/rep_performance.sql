{{ config(**history_config()) }}
-- Rep performance per as-of date (history): one row per roster rep per period
-- (every month and quarter of the history window up to the one containing the
-- run date, and the trailing 90 days), plus rep_id 'unassigned' for deals,
-- activities and feedback whose owner is not on the roster (when there are any), so
-- the reps add up to the company. Definitions: int_performance. manager_rep_id /
-- team / region are the rep's roster row today; the team / region / manager roll-ups
-- in kpi_snapshot credit each closed deal to the roster row of its close date.
with

performance as (
    select * from {{ ref('int_performance') }}
    where level = 'rep'
),

reps as (
    select * from {{ ref('int_reps') }}
),

tier_mix as (
    select
        owner_rep_id as rep_id,
        {{ tier_counts('tier') }},
        count(*) as accounts_owned
    from {{ ref('int_customer_tiers') }}
    where owner_rep_id is not null
    group by owner_rep_id
),

final as (
    select
        {{ as_of() }} as as_of_date,
        p.level_key as rep_id,
        coalesce(r.rep_name, 'unassigned') as rep_name,
        r.manager_rep_id,
        r.team,
        r.region,
        r.level as rep_level,
        r.tenure_months,
        r.is_active,
        p.period_type,
        p.period_start,
        p.period_end,
        p.is_current as is_current_period,
        {{ r2('p.bookings') }} as bookings,
        p.won_count,
        p.lost_count,
        {{ r4('p.win_rate') }} as win_rate,
        {{ r4('p.win_rate_amount') }} as win_rate_amount,
        {{ r2('p.avg_deal_size') }} as avg_deal_size,
        {{ r2('p.sales_cycle_days') }} as sales_cycle_days,
        p.open_deals,
        {{ r2('p.open_pipeline') }} as open_pipeline,
        {{ r2('p.weighted_pipeline') }} as weighted_pipeline,
        {{ r2('p.pipeline_due') }} as pipeline_due,
        p.overdue_deals,
        p.stale_deals,
        p.activity_count,
        {{ r2('p.target_amount') }} as target_amount,
        {{ r4('p.attainment') }} as attainment,
        {{ r2('p.remaining_target') }} as remaining_target,
        {{ r4('p.pipeline_coverage') }} as pipeline_coverage,
        {{ r2('p.sales_velocity') }} as sales_velocity,
        {{ r4('p.satisfaction') }} as satisfaction,
        p.satisfaction_responses,
        {{ r2('p.nps') }} as nps,
        coalesce(m.accounts_owned, 0) as accounts_owned,
        coalesce(m.tier_a_accounts, 0) as tier_a_accounts,
        coalesce(m.tier_b_accounts, 0) as tier_b_accounts,
        coalesce(m.tier_c_accounts, 0) as tier_c_accounts,
        coalesce(m.tier_d_accounts, 0) as tier_d_accounts
    from performance as p
    left join reps as r on r.rep_id = p.level_key
    left join tier_mix as m on m.rep_id = p.level_key
    where r.rep_id is not null or p.level_key = 'unassigned'
)

-- every money figure of a row is in its currency: the reporting currency (var reporting_currency)
select *, {{ reporting_currency() }} as currency from final
order by rep_id, period_type, period_start
