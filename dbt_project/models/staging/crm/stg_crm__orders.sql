{{ config(materialized=current_state_materialization()) }}
with

source as (
    {{ raw_batches('orders') }}
),

renamed as (
    select
        {{ canonical_id('source_system', 'source_record_id') }} as order_id,
        source_system,
        source_record_id,
        nullif(trim(account_ref_id), '') as account_ref_id,
        nullif(trim(account_name), '') as account_name,
        {{ normalize_name('account_name') }} as account_name_norm,
        nullif(trim(opportunity_name), '') as opportunity_name,
        {{ normalize_name('opportunity_name') }} as opportunity_name_norm,
        nullif(trim(owner_name), '') as owner_name,
        order_date,
        amount,
        nullif(trim(currency), '') as currency,
        nullif(trim(status), '') as status,
        created_at,
        modified_at,
        export_date,
        source_file,
        source_line
    from source
)

{{ latest_versions('renamed') }}
