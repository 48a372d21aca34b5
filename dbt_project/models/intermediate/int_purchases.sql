-- Purchases (SPEC §4): a source's orders when that source exports orders, else its
-- won deals at their close date. Only purchases on or before the run date.
with

orders as (
    select * from {{ ref('int_orders') }} where is_counted and account_id is not null
),

sources_with_orders as (
    select distinct source_system from orders
),

won_deals as (
    select * from {{ ref('int_opportunities') }}
    where is_won and account_id is not null and closed_date <= {{ as_of() }}
),

final as (
    select
        order_id as purchase_id,
        'order' as purchase_type,
        source_system,
        account_id,
        rep_id,
        order_date as purchase_date,
        amount
    from orders

    union all

    select
        opportunity_id,
        'won_deal',
        source_system,
        account_id,
        owner_rep_id,
        closed_date,
        amount_value
    from won_deals
    where source_system not in (select source_system from sources_with_orders)
)

select * from final
