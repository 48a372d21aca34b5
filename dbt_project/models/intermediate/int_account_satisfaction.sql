-- Satisfaction per account over the trailing window (var satisfaction_window_days):
-- mean normalised score (0-1), responses and NPS, as macros/satisfaction.sql defines
-- them (the same definition as int_performance's). A response is a counted feedback
-- with a score on a known scale (count(score_normalized)): the rows the mean averages.
-- The mean is an exact DECIMAL sum / count rounded to 4 decimals (macros/as_of.sql
-- stable_avg) and NPS is rounded by r4, so the same feedback gives the same value (and
-- the same tier_reason / alert text) on every run.
with

feedback as (
    select * from {{ ref('int_feedback') }}
    where is_counted
      and account_id is not null
      and {{ days_between('received_date', as_of()) }} < {{ var('satisfaction_window_days') }}
),

final as (
    select
        f.account_id,
        {{ satisfaction_metrics('f') }}
    from feedback as f
    group by f.account_id
)

select * from final
