{{ config(**latest_only_config()) }}
-- Rows rejected by ingest in the batches that count for the latest run
-- (export_date <= as_of_date): file, line, column, raw value and reason.
with

source as (
    select * from {{ source('raw', 'ingest_quarantine') }}
    where export_date <= {{ as_of() }}
),

final as (
    select
        {{ as_of() }} as as_of_date,
        source_system,
        export_date,
        module,
        source_file,
        file_sha256,
        line_number,
        column_name,
        raw_value,
        reason,
        coalesce(action, 'row_quarantined') as action
    from source
)

select * from final
{{ keep_newest_filter() }}
order by source_system, export_date, source_file, line_number, column_name
