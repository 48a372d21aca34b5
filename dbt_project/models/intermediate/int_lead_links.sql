-- Which lead each deal came from (SPEC §2): the deal names its lead (opportunities.lead_ref_id
-- = the lead's record id), or the lead names the deal it became
-- (leads.converted_opportunity_ref = the deal's record id, else its normalised name), within
-- one source. A deal linked to several leads takes the lead with the smallest id.
with

deals as (
    select opportunity_id, source_system, source_record_id, opportunity_name_norm, lead_ref_id
    from {{ ref('stg_crm__opportunities') }}
),

leads as (
    select lead_id, source_system, source_record_id, converted_opportunity_ref, lead_source, created_at
    from {{ ref('stg_crm__leads') }}
),

candidates as (
    select d.opportunity_id, l.lead_id
    from deals as d
    inner join leads as l
        on l.source_system = d.source_system and l.source_record_id = d.lead_ref_id

    union all

    select d.opportunity_id, l.lead_id
    from leads as l
    inner join deals as d
        on d.source_system = l.source_system
        and (d.source_record_id = l.converted_opportunity_ref
             or d.opportunity_name_norm = {{ normalize_name('l.converted_opportunity_ref') }})
    where l.converted_opportunity_ref is not null
),

final as (
    select c.opportunity_id, min(c.lead_id) as lead_id
    from candidates as c
    group by c.opportunity_id
)

select
    final.opportunity_id,
    final.lead_id,
    leads.lead_source as lead_lead_source,
    leads.created_at as lead_created_at
from final
inner join leads on leads.lead_id = final.lead_id
