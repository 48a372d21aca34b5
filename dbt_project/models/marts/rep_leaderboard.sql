{{ config(**history_config()) }}
-- Rep leaderboard (销售排行) per as-of date (history): every rep of rep_tier_list with the
-- tier period's numbers (var rep_tier_period: bookings, target, attainment, win rate, the
-- leaderboard basis and rank of rep_tier_list) and the satisfaction of the same period
-- (rep_performance). The report's leaderboard and satisfaction charts read it as is.
-- leaderboard_value is the number the rank is based on (attainment, or bookings when no rep
-- has a target). Every column is a function of the run's date alone (history independent
-- of run order).
with

rep_list as (
    select * from {{ ref('rep_tier_list') }}
    where as_of_date = {{ as_of() }}
),

performance as (
    select * from {{ ref('rep_performance') }}
    where as_of_date = {{ as_of() }}
),

final as (
    select
        {{ as_of() }} as as_of_date,
        r.rep_id,
        r.rep_name,
        r.team,
        r.manager_rep_id,
        r.manager_name,
        r.rep_tier,
        r.incentive_band,
        r.tier_period_type as period_type,
        r.tier_period_start as period_start,
        r.bookings,
        r.target_amount,
        r.attainment,
        r.win_rate,
        p.satisfaction,
        coalesce(p.satisfaction_responses, 0) as satisfaction_responses,
        r.leaderboard_basis,
        case when r.leaderboard_basis = 'attainment' then r.attainment else r.bookings end as leaderboard_value,
        r.leaderboard_rank,
        r.currency
    from rep_list as r
    left join performance as p
        on p.rep_id = r.rep_id
        and p.period_type = r.tier_period_type
        and p.period_start = r.tier_period_start
)

select * from final
order by rep_id
