-- Targets per roll-up key and reporting period. A target row is prorated by the
-- days its period overlaps the reporting period (a quarterly target gives a month a
-- day-weighted share), and a rep row by the days the rep spent in each roster row
-- (int_level_map): a rep who moves team mid-quarter takes the part of the target of
-- the days spent in each team to that team (and region, manager).
--   rep:              the rep's own rows (all roster rows together = the whole target)
--   region / manager: sum of their reps' rows, over the days the rep was theirs
--   team:             the team's own rows (rep_id empty) where they exist; a rep row's
--                     share for a team is superseded when a row of that team overlaps it
--   company:          sum of the teams
--   tier:             no target
-- A rep row for a rep_id that is not on the roster counts as 'unassigned'. The team
-- column of a rep row is informational (the roster decides the team).
-- due_target_amount is the target share of the "rest of the period" window
-- (int_periods.due_*), the coverage target of trailing_90d.
with

targets as (
    -- a target in another currency is converted at the rate of its period's first day
    select
        t.target_id, t.rep_id, t.team, t.target_level, t.period_start, t.period_end,
        {{ to_reporting('t.target_amount', 't', 't.currency', 't.period_start') }} as target_amount,
        t.export_date, t.source_file, t.source_line
    from {{ ref('stg_reference__targets') }} as t
    {{ join_fx('t', 't.currency', 't.period_start') }}
    where t.period_end >= t.period_start
),

periods as (
    select * from {{ ref('int_periods') }}
),

level_map as (
    select * from {{ ref('int_level_map') }}
    where level <> 'company'
),

roster_reps as (
    select distinct rep_id from {{ ref('int_rep_roster') }}
),

rep_rows as (
    select
        t.*,
        case when rr.rep_id is not null then t.rep_id else '~unassigned' end as rep_key
    from targets as t
    left join roster_reps as rr on rr.rep_id = t.rep_id
    where t.target_level = 'rep'
),

rep_segments as (
    -- a rep row split by the roster rows it overlaps
    select
        r.target_id,
        r.target_amount,
        r.period_start as target_start,
        r.period_end as target_end,
        m.level,
        m.level_key,
        greatest(r.period_start, m.attribution_from) as segment_start,
        least(r.period_end, m.attribution_to) as segment_end
    from rep_rows as r
    inner join level_map as m
        on m.rep_key = r.rep_key
        and m.attribution_from <= r.period_end
        and m.attribution_to >= r.period_start
),

team_rows as (
    select
        target_id,
        target_amount,
        period_start as target_start,
        period_end as target_end,
        'team' as level,
        team as level_key,
        period_start as segment_start,
        period_end as segment_end
    from targets
    where target_level = 'team'
),

segments as (
    select
        s.*,
        s.level = 'team' and exists (
            select 1 from team_rows as tr
            where tr.level_key = s.level_key
              and tr.segment_start <= s.segment_end
              and tr.segment_end >= s.segment_start
        ) as is_superseded
    from rep_segments as s

    union all

    select tr.*, false from team_rows as tr
),

prorated as (
    select
        s.level,
        s.level_key,
        p.period_type,
        p.period_start,
        s.target_amount
            * greatest({{ days_between('greatest(s.segment_start, p.period_start)', 'least(s.segment_end, p.period_end)') }} + 1, 0)
            / ({{ days_between('s.target_start', 's.target_end') }} + 1) as target_amount,
        case when p.due_start is not null then
            s.target_amount
                * greatest({{ days_between('greatest(s.segment_start, p.due_start)', 'least(s.segment_end, p.due_end)') }} + 1, 0)
                / ({{ days_between('s.target_start', 's.target_end') }} + 1)
        end as due_target_amount
    from segments as s
    inner join periods as p
        on s.segment_start <= coalesce(p.due_end, p.period_end)
        and s.segment_end >= p.period_start
    where not s.is_superseded
),

by_key as (
    select level, level_key, period_type, period_start,
           sum(target_amount) as target_amount, sum(due_target_amount) as due_target_amount
    from prorated
    group by 1, 2, 3, 4
),

final as (
    select * from by_key

    union all

    select 'company', 'all', period_type, period_start, sum(target_amount), sum(due_target_amount)
    from by_key
    where level = 'team'
    group by period_type, period_start
)

select * from final
