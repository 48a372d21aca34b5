{{ config(materialized=current_state_materialization()) }}
with

source as (
    {{ raw_batches('leads') }}
),

renamed as (
    select
        {{ canonical_id('source_system', 'source_record_id') }} as lead_id,
        source_system,
        source_record_id,
        trim(name) as lead_name,
        trim(company) as company,
        {{ normalize_name('company') }} as company_norm,
        nullif(trim(lead_source), '') as lead_source,
        nullif(trim(status), '') as status,
        nullif(trim(industry), '') as industry,
        employees,
        rating,
        nullif(trim(owner_name), '') as owner_name,
        nullif(trim(owner_id), '') as owner_id,
        nullif(trim(converted), '') as converted_raw,
        nullif(trim(converted_account_name), '') as converted_account_name,
        nullif(trim(converted_opportunity_ref), '') as converted_opportunity_ref,
        -- converted: the flag, the status or a converted-to account or deal says so
        (
            lower(trim(coalesce(converted, ''))) in {{ sql_list(var('lead_converted_values')) }}
            or lower(trim(coalesce(status, ''))) in {{ sql_list(var('lead_converted_values')) }}
            or nullif(trim(converted_account_name), '') is not null
            or nullif(trim(converted_opportunity_ref), '') is not null
        ) as is_converted,
        created_at,
        modified_at,
        export_date,
        source_file,
        source_line
    from source
)

{{ latest_versions('renamed') }}
