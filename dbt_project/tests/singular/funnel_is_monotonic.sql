{{ config(meta={'dagster': {'ref': {'name': 'funnel_conversion'}}}) }}
-- reached(k+1) <= reached(k) everywhere, and the company's deals at stage 1 are
-- all the deals in the funnel window.
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
    select count(*) as n
    from {{ ref('opportunities') }}
    where coalesce({{ days_between('created_at', as_of()) }}, 0) between 0 and {{ var('funnel_lookback_days') }} - 1
),

company_stage_1 as (
    select 'company', 'all', 1, 'deals_reached(1) <> deals in window'
    from funnel, deals
    where funnel.level = 'company' and funnel.stage_order = 1 and funnel.deals_reached <> deals.n
)

select * from non_monotonic
union all
select * from company_stage_1
