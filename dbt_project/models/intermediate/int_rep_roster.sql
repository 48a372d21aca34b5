-- Roster history (SPEC §1.1 reps.csv valid_from / valid_to): one row per roster row,
-- with the dates it is used for when crediting a dated fact (a deal's close date,
-- an activity, a feedback) to a team, region and manager:
--   attribution_from = valid_from (the rep's first row: from the beginning of time)
--   attribution_to   = the day before the rep's next row starts (last row: forever)
-- so every rep has exactly one row on every date. valid_to is inclusive; where two
-- rows overlap, the later valid_from wins from its first day (so an exclusive
-- valid_to = next valid_from gives the same result); a gap, or the time after the
-- last row ends, stays with the earlier row (a deal closed after a rep left still
-- counts for the team the rep was last in). A row without valid_from / valid_to is
-- valid always.
with

roster as (
    select * from {{ ref('int_roster_rows') }}
),

managers as (
    -- a rep is a manager when any roster row names them as manager
    select distinct manager_rep_id as rep_id
    from roster
    where manager_rep_id is not null
),

ordered as (
    select
        roster.*,
        row_number() over (partition by rep_id order by valid_from nulls first, source_line) as row_seq,
        lead(valid_from) over (partition by rep_id order by valid_from nulls first, source_line) as next_valid_from
    from roster
),

final as (
    select
        o.rep_id,
        o.row_seq,
        o.rep_name,
        o.manager_rep_id,
        o.team,
        o.region,
        o.hire_date,
        o.level,
        o.valid_from,
        o.valid_to,
        case when o.row_seq = 1 then cast('0001-01-01' as date) else o.valid_from end as attribution_from,
        coalesce(
            cast({{ dbt.dateadd('day', -1, 'o.next_valid_from') }} as date),
            cast('9999-12-31' as date)
        ) as attribution_to,
        managers.rep_id is not null as is_manager
    from ordered as o
    left join managers on managers.rep_id = o.rep_id
)

select * from final
