-- Funnel per company / team / rep (SPEC §4): reached(k) = items whose furthest stage
-- >= k (a won deal reached every stage); conversion(k) = reached(k+1) / reached(k).
-- Items: deals created in the last funnel_lookback_days, plus (when
-- funnel_include_unconverted_leads) leads not yet converted, at lead_identified.
-- Bottleneck: the stage with the lowest conversion among stages with at least
-- funnel_min_deals reached (lowest stage on a tie).
with

deals as (
    select opportunity_id as item_id, 'deal' as item_type, owner_rep_id as rep_id, furthest_stage_order
    from {{ ref('int_opportunities') }}
    -- a deal with no creation date is in the window (it is in the exports up to the run date)
    where coalesce({{ days_between('created_date', as_of()) }}, 0) between 0 and {{ var('funnel_lookback_days') }} - 1
),

leads as (
    select lead_id, 'lead', owner_rep_id, 1
    from {{ ref('int_leads') }}
    where {{ 'true' if var('funnel_include_unconverted_leads') else 'false' }}
      and not is_converted
      and coalesce({{ days_between('created_date', as_of()) }}, 0) between 0 and {{ var('funnel_lookback_days') }} - 1
),

items as (
    select * from deals
    union all
    select * from leads
),

level_map as (
    select * from {{ ref('int_level_map') }}
    where level in ('company', 'team', 'rep')
),

item_levels as (
    select m.level, m.level_key, i.*
    from items as i
    inner join level_map as m on m.rep_key = coalesce(i.rep_id, '~unassigned')
),

keys as (
    select 'company' as level, 'all' as level_key
    union
    select distinct level, level_key from level_map where rep_key <> '~unassigned'
    union
    select distinct level, level_key from item_levels
),

stages as (
    select stage_order, stage from {{ ref('stages') }}
),

reached as (
    select
        k.level,
        k.level_key,
        s.stage_order,
        s.stage,
        count(il.item_id) as reached,
        count(il.item_id) filter (where il.item_type = 'deal') as deals_reached,
        count(il.item_id) filter (where il.item_type = 'lead') as leads_reached
    from keys as k
    cross join stages as s
    left join item_levels as il
        on il.level = k.level and il.level_key = k.level_key
        and il.furthest_stage_order >= s.stage_order
    group by 1, 2, 3, 4
),

converted as (
    select
        *,
        lead(reached) over (partition by level, level_key order by stage_order) as reached_next,
        lead(reached) over (partition by level, level_key order by stage_order)
            / nullif(reached, 0) as conversion_rate
    from reached
),

ranked as (
    select
        *,
        case
            when conversion_rate is not null and reached >= {{ var('funnel_min_deals') }}
                then row_number() over (
                    partition by level, level_key,
                        (conversion_rate is not null and reached >= {{ var('funnel_min_deals') }})
                    order by conversion_rate, stage_order
                )
        end as weakness_rank
    from converted
)

select
    level,
    level_key,
    stage_order,
    stage,
    reached,
    deals_reached,
    leads_reached,
    reached_next,
    conversion_rate,
    coalesce(weakness_rank = 1, false) as is_bottleneck
from ranked
