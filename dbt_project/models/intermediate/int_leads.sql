-- Leads with owner resolved. Leads not yet converted count as lead_identified
-- in the funnel (SPEC §3).
with

leads as (
    select * from {{ ref('stg_crm__leads') }}
),

final as (
    select
        l.lead_id,
        l.source_system,
        l.source_record_id,
        l.lead_name,
        l.company,
        l.lead_source,
        l.status,
        l.industry,
        l.employees,
        {{ resolved_rep('l') }} as owner_rep_id,
        l.is_converted,
        l.created_at,
        cast(l.created_at as date) as created_date
    from leads as l
    {{ join_rep('l', 'l.owner_id', 'l.owner_name') }}
    where coalesce(cast(l.created_at as date), l.export_date) <= {{ as_of() }}
)

select * from final
