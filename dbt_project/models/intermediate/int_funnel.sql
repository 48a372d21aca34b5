-- Funnel per company / team / rep (SPEC §4), over the deals created in the last
-- var funnel_lookback_days (a deal with no creation date is included):
--   reached(k)    = deals whose furthest stage >= k (a won deal reached every stage),
--                   so reached(1) = the number of deals in the window
--   conversion(k) = reached(k+1) / reached(k) (deal-based), rounded by r4
--   bottleneck    = the stage with the lowest conversion among the candidate stages
--                   (lowest stage on a tie); a candidate has at least var
--                   funnel_min_deals deals reached and loses deals: its conversion is
--                   below 100 % (reached(k+1) < reached(k)) and below var
--                   funnel_bottleneck_max_conversion. No candidate, no bottleneck
--                   (e.g. every stage converts 100 %).
-- Unconverted leads (SPEC §3: they count as lead_identified) are reported on the
-- stage-1 row only, in leads_reached and reached_incl_leads (= reached + leads), when
-- var funnel_include_unconverted_leads; they never enter the conversion rates.
-- Team / rep: a closed deal counts for the team its owner was in when it closed, an
-- open deal (and a lead) for the owner's team today.
with

deals as (
    select opportunity_id, owner_rep_id, furthest_stage_order, attribution_date
    from {{ ref('int_opportunities') }}
    where coalesce({{ days_between('created_date', as_of()) }}, 0) between 0 and {{ var('funnel_lookback_days') }} - 1
),

leads as (
    select lead_id, owner_rep_id
    from {{ ref('int_leads') }}
    where {{ 'true' if var('funnel_include_unconverted_leads') else 'false' }}
      and not is_converted
      and coalesce({{ days_between('created_date', as_of()) }}, 0) between 0 and {{ var('funnel_lookback_days') }} - 1
),

level_map as (
    select * from {{ ref('int_level_map') }}
    where level in ('company', 'team', 'rep')
),

deal_levels as (
    select m.level, m.level_key, d.opportunity_id, d.furthest_stage_order
    from deals as d
    inner join level_map as m
        on m.rep_key = coalesce(d.owner_rep_id, '~unassigned')
        and d.attribution_date between m.attribution_from and m.attribution_to
),

lead_levels as (
    select m.level, m.level_key, count(*) as leads
    from leads as l
    inner join level_map as m
        on m.rep_key = coalesce(l.owner_rep_id, '~unassigned')
        and m.is_current
    group by m.level, m.level_key
),

keys as (
    select 'company' as level, 'all' as level_key
    union
    select distinct level, level_key from level_map where rep_key <> '~unassigned' and is_current
    union
    select distinct level, level_key from deal_levels
    union
    select level, level_key from lead_levels
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
        count(dl.opportunity_id) as reached
    from keys as k
    cross join stages as s
    left join deal_levels as dl
        on dl.level = k.level and dl.level_key = k.level_key
        and dl.furthest_stage_order >= s.stage_order
    group by 1, 2, 3, 4
),

converted as (
    select
        r.*,
        case when r.stage_order = (select min(stage_order) from stages) then coalesce(ll.leads, 0) else 0 end as leads_reached,
        lead(r.reached) over (partition by r.level, r.level_key order by r.stage_order) as reached_next
    from reached as r
    left join lead_levels as ll on ll.level = r.level and ll.level_key = r.level_key
),

rated as (
    select
        *,
        reached + leads_reached as reached_incl_leads,
        {{ r4('cast(reached_next as ' ~ type_double() ~ ') / nullif(reached, 0)') }} as conversion_rate,
        reached_next is not null and reached > 0 and reached >= {{ var('funnel_min_deals') }}
            and reached_next < reached
            and {{ r4('cast(reached_next as ' ~ type_double() ~ ') / nullif(reached, 0)') }} < {{ var('funnel_bottleneck_max_conversion') }}
            as is_bottleneck_candidate
    from converted
),

ranked as (
    select
        *,
        case when is_bottleneck_candidate then
            row_number() over (partition by level, level_key, is_bottleneck_candidate order by conversion_rate, stage_order)
        end as weakness_rank
    from rated
)

select
    level,
    level_key,
    stage_order,
    stage,
    reached,
    leads_reached,
    reached_incl_leads,
    reached_next,
    conversion_rate,
    is_bottleneck_candidate,
    coalesce(weakness_rank = 1, false) as is_bottleneck
from ranked
