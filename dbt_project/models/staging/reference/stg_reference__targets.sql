-- Sales targets: a row targets a rep (rep_id set) or a whole team (rep_id empty).
-- Latest reference batch on or before the run date, like the roster.
with

source as (
    select * from {{ source('raw', 'targets') }}
    where export_date <= {{ as_of() }}
),

latest_batch as (
    select * from source
    where export_date = (select max(export_date) from source)
),

ranked as (
    -- one row per (rep or team, period_start): the latest by modified time, then file / line
    select
        *,
        row_number() over (
            partition by nullif(trim(rep_id), ''), nullif(trim(team), ''), period_start
            order by modified_at desc nulls last, source_file desc, source_line desc
        ) as version_rank
    from latest_batch
    where period_start is not null and period_end is not null
      and (nullif(trim(rep_id), '') is not null or nullif(trim(team), '') is not null)
),

renamed as (
    select
        nullif(trim(rep_id), '') as rep_id,
        nullif(trim(team), '') as team,
        case when nullif(trim(rep_id), '') is not null then 'rep' else 'team' end as target_level,
        period_start,
        period_end,
        target_amount,
        nullif(upper(trim(currency)), '') as currency,
        export_date,
        source_file,
        source_line
    from ranked
    where version_rank = 1
)

select
    {{ dbt.concat(["target_level", "':'", "coalesce(rep_id, team)", "':'", dbt.cast("period_start", dbt.type_string())]) }} as target_id,
    *
from renamed
