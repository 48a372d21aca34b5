-- Tier movement (客户换档) per as-of date (history): the accounts of customer_tier_list per
-- (previous_tier, tier), unchanged pairs included.
--   previous_tier 'new': the account was not in the previous run (on the first snapshot:
--   every account, since there is nothing to compare with; is_first_snapshot says so).
--   movement: up / down by seed service_levels.tier_order (A is the best tier), same, or new;
--   is_change: the account was in the previous run at another tier.
-- previous_tier is recomputed over the whole customer_tier_list history by a post-hook
-- (macros/history.sql), so this table is rebuilt from that whole history on every run (a
-- table, not an incremental, as lifecycle_transitions): it never depends on the order the
-- dates ran in.
with

tier_list as (
    select * from {{ ref('customer_tier_list') }}
),

tier_order as (
    select tier, tier_order from {{ ref('service_levels') }}
),

final as (
    select
        l.as_of_date,
        coalesce(l.previous_tier, 'new') as previous_tier,
        l.tier,
        count(*) as accounts,
        case
            when l.previous_tier is null then 'new'
            when p.tier_order > c.tier_order then 'up'
            when p.tier_order < c.tier_order then 'down'
            else 'same'
        end as movement,
        coalesce(l.previous_tier <> l.tier, false) as is_change,
        l.previous_tier is null as is_new_account,
        l.is_first_snapshot
    from tier_list as l
    left join tier_order as c on c.tier = l.tier
    left join tier_order as p on p.tier = l.previous_tier
    group by
        l.as_of_date, coalesce(l.previous_tier, 'new'), l.tier,
        case
            when l.previous_tier is null then 'new'
            when p.tier_order > c.tier_order then 'up'
            when p.tier_order < c.tier_order then 'down'
            else 'same'
        end,
        coalesce(l.previous_tier <> l.tier, false), l.previous_tier is null, l.is_first_snapshot
)

select * from final
order by as_of_date, previous_tier, tier
