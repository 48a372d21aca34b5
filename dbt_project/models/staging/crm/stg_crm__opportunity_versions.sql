-- Every exported version of every deal up to the run date: the stage history
-- (furthest stage reached, when the current stage was entered).
with

source as (
    {{ raw_versions('opportunities') }}
),

renamed as (
    select
        {{ canonical_id('source_system', 'source_record_id') }} as opportunity_id,
        source_system,
        source_record_id,
        nullif(trim(stage_raw), '') as stage_raw,
        nullif(trim(status_raw), '') as status_raw,
        stage_changed_at,
        modified_at,
        export_date,
        version_rank
    from source
)

select * from renamed
