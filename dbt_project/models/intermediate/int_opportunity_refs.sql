-- Deals with their account and owner resolved (SPEC §2), before any metric:
-- activities and orders link to deals by name through this table.
with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

resolved as (
    select
        o.opportunity_id,
        o.source_system,
        o.opportunity_name,
        o.opportunity_name_norm,
        {{ resolved_account('o') }} as account_id,
        {{ resolved_rep('o') }} as owner_rep_id
    from opportunities as o
    {{ join_account('o', 'o.source_system', 'o.account_ref_id', 'o.account_name_norm') }}
    {{ join_rep('o', 'o.owner_id', 'o.owner_name') }}
)

select * from resolved
