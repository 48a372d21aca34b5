{{ config(materialized=current_state_materialization()) }}
with

source as (
    {{ raw_batches('contacts') }}
),

renamed as (
    select
        {{ canonical_id('source_system', 'source_record_id') }} as contact_id,
        source_system,
        source_record_id,
        trim(name) as contact_name,
        nullif(trim(account_ref_id), '') as account_ref_id,
        nullif(trim(account_name), '') as account_name,
        {{ normalize_name('account_name') }} as account_name_norm,
        title,
        email,
        phone,
        nullif(trim(owner_name), '') as owner_name,
        created_at,
        modified_at,
        export_date,
        source_file,
        source_line
    from source
)

{{ latest_versions('renamed') }}
