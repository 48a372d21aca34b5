{{ config(meta={'dagster': {'ref': {'name': 'funnel_conversion'}}}) }}
-- reached(k+1) <= reached(k) everywhere; the company's reached(1) is the number of
-- deals in the funnel window (reached counts deals only: leads are in leads_reached);
-- the teams and the reps each add up to the company at every stage.
with

funnel as (
    select * from {{ ref('funnel_conversion') }} where as_of_date = {{ as_of() }}
),

non_monotonic as (
    select f.level, f.level_key, f.stage_order, 'reached grows' as problem
    from funnel as f
    inner join funnel as n
        on n.level = f.level and n.level_key = f.level_key and n.stage_order = f.stage_order + 1
    where n.reached > f.reached
),

deals as (
    -- the run's deals (the latest-only opportunities mart keeps the newest date on a backfill)
    select count(*) as n
    from {{ ref('int_opportunities') }}
    where coalesce({{ days_between('created_at', as_of()) }}, 0) between 0 and {{ var('funnel_lookback_days') }} - 1
),

company_stage_1 as (
    select 'company', 'all', 1, 'reached(1) <> deals in window'
    from funnel, deals
    where funnel.level = 'company' and funnel.stage_order = 1 and funnel.reached <> deals.n
),

level_sums as (
    select level, stage_order, sum(reached) as reached, sum(leads_reached) as leads_reached
    from funnel
    where level in ('team', 'rep')
    group by level, stage_order
),

levels_add_up as (
    select s.level, 'sum', s.stage_order, 'sum over ' || s.level || ' <> company'
    from level_sums as s
    inner join funnel as c on c.level = 'company' and c.stage_order = s.stage_order
    where s.reached <> c.reached or s.leads_reached <> c.leads_reached
)

select * from non_monotonic
union all
select * from company_stage_1
union all
select * from levels_add_up
