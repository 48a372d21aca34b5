{{ config(**history_config()) }}
-- Ingest run log (one row per file attempt per run), kept for every as-of date.
-- A run adds its own as-of date's rows; the first build backfills every earlier run
-- found in the raw layer.
with

source as (
    select * from {{ source('raw', 'ingest_files') }}
    {% if is_incremental() %}
    where as_of_date = {{ as_of() }}
    {% else %}
    where as_of_date <= {{ as_of() }}
    {% endif %}
),

final as (
    select
        as_of_date,
        source_system,
        module,
        source_file,
        file_sha256,
        rows_read,
        rows_loaded,
        rows_quarantined,
        coalesce(rows_blank, 0) as rows_blank,
        coalesce(cells_nulled, 0) as cells_nulled,
        status,
        error
    from source
)

select * from final
order by as_of_date, source_system, module, source_file, file_sha256
