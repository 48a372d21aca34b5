-- Every version of every account up to the run date (owner history: feedback is
-- credited to the rep who owned the account when it came).
with

source as (
    {{ raw_versions('accounts') }}
),

renamed as (
    select
        {{ canonical_id('source_system', 'source_record_id') }} as account_id,
        source_system,
        source_record_id,
        nullif(trim(owner_name), '') as owner_name,
        nullif(trim(owner_id), '') as owner_id,
        export_date,
        modified_at,
        version_rank
    from source
)

select * from renamed
