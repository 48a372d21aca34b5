-- Satisfaction per account over the trailing window (var satisfaction_window_days):
-- mean normalised score (0-1), responses, and NPS (% promoters - % detractors)
-- over the 0-10 responses.
with

feedback as (
    select * from {{ ref('int_feedback') }}
    where is_counted
      and account_id is not null
      and {{ days_between('received_date', as_of()) }} < {{ var('satisfaction_window_days') }}
),

final as (
    select
        account_id,
        avg(score_normalized) as satisfaction,
        count(score_normalized) as satisfaction_responses,
        100.0 * (count(case when is_promoter then 1 end) - count(case when is_detractor then 1 end))
            / nullif(count(case when scale = 'nps_0_10' then 1 end), 0) as nps
    from feedback
    group by account_id
)

select * from final
