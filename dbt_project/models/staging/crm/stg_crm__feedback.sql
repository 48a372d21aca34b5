{{ config(materialized=current_state_materialization()) }}
with

source as (
    {{ raw_batches('feedback') }}
),

renamed as (
    select
        {{ canonical_id('source_system', 'source_record_id') }} as feedback_id,
        source_system,
        source_record_id,
        nullif(trim(account_ref_id), '') as account_ref_id,
        nullif(trim(account_name), '') as account_name,
        {{ normalize_name('account_name') }} as account_name_norm,
        nullif(trim(owner_name), '') as owner_name,
        received_at,
        nullif(lower(trim(channel)), '') as channel,
        score,
        nullif(lower(trim(scale)), '') as scale,
        comment,
        modified_at,
        export_date,
        source_file,
        source_line
    from source
)

-- first_export_date: the first batch that carried this feedback, when it "came" as far as the
-- exports show (the account owner of that batch is credited)
{{ latest_versions('renamed') }}
