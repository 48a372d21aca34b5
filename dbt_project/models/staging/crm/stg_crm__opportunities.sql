{{ config(materialized=current_state_materialization()) }}
-- Deals of every CRM source, latest version per record as of the run date.
with

source as (
    {{ raw_batches('opportunities') }}
),

renamed as (
    select
        {{ canonical_id('source_system', 'source_record_id') }} as opportunity_id,
        source_system,
        source_record_id,
        trim(name) as opportunity_name,
        {{ normalize_name('name') }} as opportunity_name_norm,
        nullif(trim(account_ref_id), '') as account_ref_id,
        nullif(trim(account_name), '') as account_name,
        {{ normalize_name('account_name') }} as account_name_norm,
        nullif(trim(owner_name), '') as owner_name,
        nullif(trim(owner_id), '') as owner_id,
        nullif(trim(owner_department), '') as owner_department,
        nullif(trim(deal_type), '') as deal_type,
        nullif(trim(lead_source), '') as lead_source,
        contact_name,
        amount,
        nullif(trim(currency), '') as currency,
        nullif(trim(stage_raw), '') as stage_raw,
        nullif(trim(status_raw), '') as status_raw,
        probability,
        close_date,
        stage_changed_at,
        nullif(trim(lost_reason), '') as lost_reason,
        created_at,
        nullif(trim(lead_ref_id), '') as lead_ref_id,
        nullif(trim(account_industry), '') as account_industry,
        nullif(trim(account_region), '') as account_region,
        nullif(trim(account_type), '') as account_type,
        account_employees,
        account_annual_revenue,
        modified_at,
        export_date,
        source_file,
        source_line
    from source
)

{{ latest_versions('renamed') }}
