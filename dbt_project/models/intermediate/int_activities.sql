-- Activities with canonical type, account, deal and rep resolved.
-- Account: by account_ref_id / name (same source); else through the deal the
-- activity names; else the "Related To" value may itself be a deal name (Zoho).
-- is_counted: happened on or before the run date and not cancelled / not started.
with

activities as (
    select * from {{ ref('stg_crm__activities') }}
),

deal_names as (
    -- one deal per (source, normalised name): the smallest id on a clash
    select
        source_system,
        opportunity_name_norm,
        min(opportunity_id) as opportunity_id,
        min(account_id) as account_id
    from {{ ref('int_opportunity_refs') }}
    where opportunity_name_norm is not null
    group by source_system, opportunity_name_norm
),

resolved as (
    select
        a.activity_id,
        a.source_system,
        a.source_record_id,
        a.activity_type_raw,
        coalesce({{ source_map_value('tm', 'activity_type_raw', 'activity_type') }}, 'note') as activity_type,
        {{ source_map_matched('tm', 'activity_type_raw') }} as is_type_mapped,
        a.subject,
        a.status,
        a.occurred_at,
        cast(a.occurred_at as date) as occurred_date,
        coalesce(
            {{ resolved_account('a') }},
            by_deal.account_id,
            related_deal.account_id
        ) as account_id,
        coalesce(by_deal.opportunity_id, related_deal.opportunity_id) as opportunity_id,
        {{ resolved_rep('a') }} as rep_id,
        a.owner_name,
        a.duration_minutes
    from activities as a
    {{ join_source_map('tm', 'int_activity_type_map', 'activity_type_raw', 'a.source_system', 'a.activity_type_raw') }}
    {{ join_account('a', 'a.source_system', 'a.account_ref_id', 'a.account_name_norm') }}
    {{ join_rep('a', 'null', 'a.owner_name') }}
    left join deal_names as by_deal
        on by_deal.source_system = a.source_system
        and by_deal.opportunity_name_norm = a.opportunity_name_norm
    left join deal_names as related_deal
        on related_deal.source_system = a.source_system
        and related_deal.opportunity_name_norm = a.account_name_norm
        and a.opportunity_name_norm is null
),

final as (
    select
        *,
        (
            occurred_date <= {{ as_of() }}
            and lower(coalesce(status, '')) not in {{ sql_list(var('activity_excluded_statuses')) }}
        ) as is_counted
    from resolved
)

select * from final
