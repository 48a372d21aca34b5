-- Satisfaction per account over the trailing window (var satisfaction_window_days):
-- mean normalised score (0-1), responses, and NPS (% promoters - % detractors)
-- over the 0-10 responses. The mean is an exact DECIMAL sum / count rounded to 4
-- decimals (macros/as_of.sql stable_avg) and NPS is rounded by r4, so the same feedback
-- gives the same value (and the same tier_reason / alert text) on every run.
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
        {{ stable_avg('score_normalized') }} as satisfaction,
        count(score_normalized) as satisfaction_responses,
        {{ r4("100.0 * (count(case when is_promoter then 1 end) - count(case when is_detractor then 1 end))
            / nullif(count(case when scale = 'nps_0_10' then 1 end), 0)") }} as nps
    from feedback
    group by account_id
)

select * from final
