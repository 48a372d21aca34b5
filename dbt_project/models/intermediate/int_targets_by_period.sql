-- Targets per roll-up key and reporting period. A target row is prorated by the
-- days its period overlaps the reporting period (a quarterly target gives a month a
-- day-weighted share).
--   rep:              the rep's own rows
--   region / manager: sum of their reps' rows
--   team:             the team's own rows (rep_id empty) where they exist; a rep row
--                     whose period overlaps a row of the rep's team is superseded
--                     for the team roll-up
--   company:          sum of the teams
--   tier:             no target
-- due_target_amount is the target share of the "rest of the period" window
-- (int_periods.due_*), the coverage target of trailing_90d.
with

targets as (
    select * from {{ ref('stg_reference__targets') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

level_map as (
    select * from {{ ref('int_level_map') }}
),

reps as (
    select * from {{ ref('int_reps') }}
),

target_rows as (
    select
        t.*,
        coalesce(t.team, reps.team, 'unassigned') as team_key,
        -- a rep row is superseded for the team roll-up by an overlapping team row
        t.target_level = 'rep' and exists (
            select 1 from targets as tt
            where tt.target_level = 'team'
              and tt.team = coalesce(reps.team, 'unassigned')
              and tt.period_start <= t.period_end
              and tt.period_end >= t.period_start
        ) as is_superseded_for_team
    from targets as t
    left join reps on reps.rep_id = t.rep_id
    where t.period_end >= t.period_start
),

prorated as (
    select
        t.target_level,
        t.rep_id,
        t.team_key,
        t.is_superseded_for_team,
        p.period_type,
        p.period_start,
        t.target_amount
            * greatest({{ days_between('greatest(t.period_start, p.period_start)', 'least(t.period_end, p.period_end)') }} + 1, 0)
            / ({{ days_between('t.period_start', 't.period_end') }} + 1) as target_amount,
        case when p.due_start is not null then
            t.target_amount
                * greatest({{ days_between('greatest(t.period_start, p.due_start)', 'least(t.period_end, p.due_end)') }} + 1, 0)
                / ({{ days_between('t.period_start', 't.period_end') }} + 1)
        end as due_target_amount
    from target_rows as t
    inner join periods as p
        on t.period_start <= coalesce(p.due_end, p.period_end)
        and t.period_end >= p.period_start
),

rep_rollups as (
    select m.level, m.level_key, r.period_type, r.period_start,
           sum(r.target_amount) as target_amount, sum(r.due_target_amount) as due_target_amount
    from prorated as r
    inner join level_map as m on m.rep_key = r.rep_id
    where r.target_level = 'rep' and m.level in ('rep', 'region', 'manager')
    group by 1, 2, 3, 4
),

team_targets as (
    select team_key as team, period_type, period_start,
           sum(target_amount) as target_amount, sum(due_target_amount) as due_target_amount
    from prorated
    where target_level = 'team' or not is_superseded_for_team
    group by 1, 2, 3
),

final as (
    select level, level_key, period_type, period_start, target_amount, due_target_amount
    from rep_rollups

    union all

    select 'team', team, period_type, period_start, target_amount, due_target_amount
    from team_targets

    union all

    select 'company', 'all', period_type, period_start, sum(target_amount), sum(due_target_amount)
    from team_targets
    group by period_type, period_start
)

select * from final
