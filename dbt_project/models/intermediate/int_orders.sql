-- Sales orders with account, deal and rep resolved. is_counted: dated on or before
-- the run date and not cancelled (var order_excluded_statuses).
with

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

deal_names as (
    select source_system, opportunity_name_norm, min(opportunity_id) as opportunity_id
    from {{ ref('int_opportunity_refs') }}
    where opportunity_name_norm is not null
    group by source_system, opportunity_name_norm
),

final as (
    select
        o.order_id,
        o.source_system,
        o.source_record_id,
        {{ resolved_account('o') }} as account_id,
        deal_names.opportunity_id,
        {{ resolved_rep('o') }} as rep_id,
        o.owner_name,
        o.order_date,
        {{ to_reporting('o.amount', 'o', 'o.currency', 'o.order_date') }} as amount,
        {{ reporting_currency() }} as currency,
        o.amount as amount_original,
        upper(coalesce(o.currency, {{ reporting_currency() }})) as currency_original,
        o.status,
        (
            o.order_date <= {{ as_of() }}
            and o.amount is not null
            and lower(coalesce(o.status, '')) not in {{ sql_list(var('order_excluded_statuses')) }}
        ) as is_counted
    from orders as o
    {{ join_account('o', 'o.source_system', 'o.account_ref_id', 'o.account_name_norm') }}
    {{ join_rep('o', 'null', 'o.owner_name') }}
    {{ join_fx('o', 'o.currency', 'o.order_date') }}
    left join deal_names
        on deal_names.source_system = o.source_system
        and deal_names.opportunity_name_norm = o.opportunity_name_norm
)

select * from final
