{{ config(materialized=current_state_materialization()) }}
-- Accounts of every CRM source, latest version per record as of the run date.
-- One model for all sources: every profile maps onto the same canonical columns.
with

source as (
    {{ raw_batches('accounts') }}
),

renamed as (
    select
        {{ canonical_id('source_system', 'source_record_id') }} as account_id,
        source_system,
        source_record_id,
        trim(name) as account_name,
        {{ normalize_name('name') }} as account_name_norm,
        nullif(trim(owner_name), '') as owner_name,
        nullif(trim(owner_id), '') as owner_id,
        nullif(trim(industry), '') as industry,
        employees,
        annual_revenue,
        nullif(trim(currency), '') as currency,
        nullif(trim(region), '') as region,
        crm_rating,
        account_type,
        parent_account,
        deal_status,
        last_activity_at,
        created_at,
        modified_at,
        export_date,
        source_file,
        source_line
    from source
)

{{ latest_versions('renamed') }}
