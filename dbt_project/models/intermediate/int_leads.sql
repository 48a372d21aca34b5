-- Leads with owner resolved. Leads not yet converted count as lead_identified
-- in the funnel (SPEC §3); a lead a deal links to is converted, so the funnel counts
-- that prospect once, as the deal.
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
        -- converted: the export says so, or a deal links to the lead (int_lead_links)
        l.is_converted or links.lead_id is not null as is_converted,
        links.opportunity_id as converted_opportunity_id,
        l.created_at,
        cast(l.created_at as date) as created_date
    from leads as l
    {{ join_rep('l', 'l.owner_id', 'l.owner_name') }}
    left join (
        select lead_id, min(opportunity_id) as opportunity_id from {{ ref('int_lead_links') }} group by lead_id
    ) as links on links.lead_id = l.lead_id
    where coalesce(cast(l.created_at as date), l.export_date) <= {{ as_of() }}
)

select * from final
