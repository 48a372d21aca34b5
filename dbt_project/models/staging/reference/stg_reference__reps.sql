-- The sales roster. reference/reps.csv is a snapshot re-stamped on every run, so
-- the roster is the latest reference batch on or before the run date (a rep
-- removed from the file disappears, unlike CRM records that carry over).
with

source as (
    select * from {{ source('raw', 'reps') }}
    where export_date <= {{ as_of() }}
),

latest_batch as (
    select * from source
    where export_date = (select max(export_date) from source)
),

ranked as (
    -- one row per (rep, valid_from): the latest by modified time, then file / line
    select
        *,
        row_number() over (
            partition by trim(rep_id), valid_from
            order by modified_at desc nulls last, source_file desc, source_line desc
        ) as version_rank
    from latest_batch
    where nullif(trim(rep_id), '') is not null
),

renamed as (
    select
        trim(rep_id) as rep_id,
        trim(rep_name) as rep_name,
        {{ normalize_name('rep_name') }} as rep_name_norm,
        nullif(trim(manager_rep_id), '') as manager_rep_id,
        nullif(trim(team), '') as team,
        nullif(trim(region), '') as region,
        hire_date,
        nullif(trim(level), '') as level,
        valid_from,
        valid_to,
        export_date,
        source_file,
        source_line
    from ranked
    where version_rank = 1
)

select * from renamed
