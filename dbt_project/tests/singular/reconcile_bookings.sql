{{ config(meta={'dagster': {'ref': {'name': 'rep_performance'}}}) }}
-- Reconciliation (issue 4): for every reporting period of the run,
--   Σ bookings / won / lost over the reps of rep_performance (incl. 'unassigned')
--   = the won amounts / won / lost deals of the opportunities mart closed in the period
--   = the company bookings / won / lost of kpi_snapshot (current month, quarter, trailing 90 d),
-- and for the current quarter, the team rows of kpi_snapshot = the opportunities of the team
-- each deal counts for (its owner's team on its close date). Returns what disagrees.
-- Amounts are rounded to cents per row when published, so sums may differ by half a cent a row.
-- The opportunities of the run's date: the mart when it holds that date; on a backfill of an
-- older date the latest-only mart keeps the newest date, so use the fact it is copied from.
with

opps as (
    select opportunity_id, closed_date, is_won, is_lost, amount, team
    from {{ ref('opportunities') }}
    where as_of_date = {{ as_of() }}
    union all
    select opportunity_id, closed_date, is_won, is_lost, amount, attributed_team as team
    from {{ ref('int_opportunities') }}
    where not exists (select 1 from {{ ref('opportunities') }} where as_of_date = {{ as_of() }})
),

reps as (
    select
        period_type, period_start, period_end,
        sum(bookings) as bookings, sum(won_count) as won_count, sum(lost_count) as lost_count,
        count(*) as rows_summed
    from {{ ref('rep_performance') }}
    where as_of_date = {{ as_of() }}
    group by period_type, period_start, period_end
),

deals as (
    select
        r.period_type, r.period_start,
        coalesce(sum(case when o.is_won then o.amount end), 0) as bookings,
        count(case when o.is_won then 1 end) as won_count,
        count(case when o.is_lost then 1 end) as lost_count,
        count(o.opportunity_id) as rows_summed
    from reps as r
    left join opps as o
        on o.closed_date between r.period_start and r.period_end
    group by r.period_type, r.period_start
),

company as (
    select
        period_type, period_start,
        max(case when kpi = 'bookings_' || suffix then value end) as bookings,
        max(case when kpi = 'won_count_' || suffix then value end) as won_count,
        max(case when kpi = 'lost_count_' || suffix then value end) as lost_count
    from (
        select
            *,
            case period_type when 'month' then 'mtd' when 'quarter' then 'qtd' else 't90d' end as suffix
        from {{ ref('kpi_snapshot') }}
        where as_of_date = {{ as_of() }} and level = 'company' and period_type is not null
    ) as k
    group by period_type, period_start
),

rep_vs_deals as (
    select 'rep_performance vs opportunities' as check_name, r.period_type, r.period_start,
           r.bookings as left_bookings, d.bookings as right_bookings
    from reps as r
    inner join deals as d using (period_type, period_start)
    where abs(r.bookings - d.bookings) > 0.005 * (r.rows_summed + d.rows_summed)
       or r.won_count <> d.won_count
       or r.lost_count <> d.lost_count
),

rep_vs_company as (
    select 'rep_performance vs kpi_snapshot company', r.period_type, r.period_start, r.bookings, c.bookings
    from reps as r
    inner join company as c using (period_type, period_start)
    where abs(r.bookings - c.bookings) > 0.005 * r.rows_summed
       or r.won_count <> c.won_count
       or r.lost_count <> c.lost_count
),

current_periods_missing as (
    -- the current month / quarter / trailing 90 days must be in both
    select 'current period missing in kpi_snapshot', r.period_type, r.period_start, r.bookings, null
    from reps as r
    left join company as c using (period_type, period_start)
    where r.period_end >= {{ as_of() }} and c.period_type is null
),

team_kpis as (
    select level_key as team, period_start, period_end, value as bookings
    from {{ ref('kpi_snapshot') }}
    where as_of_date = {{ as_of() }} and level = 'team' and kpi = 'bookings_qtd'
),

team_deals as (
    select t.team, coalesce(sum(case when o.is_won then o.amount end), 0) as bookings, count(o.opportunity_id) as rows_summed
    from team_kpis as t
    left join opps as o
        on coalesce(o.team, 'unassigned') = t.team
        and o.closed_date between t.period_start and t.period_end
    group by t.team
),

team_vs_deals as (
    select 'kpi_snapshot team vs opportunities by team at close (' || t.team || ')', 'quarter', t.period_start, t.bookings, d.bookings
    from team_kpis as t
    inner join team_deals as d using (team)
    where abs(t.bookings - d.bookings) > 0.005 * (d.rows_summed + 1)
)

select * from rep_vs_deals
union all select * from rep_vs_company
union all select * from current_periods_missing
union all select * from team_vs_deals
