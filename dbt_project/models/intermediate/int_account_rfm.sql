-- RFM and ABC over the trailing window (var rfm_window_days, default 365), per
-- purchasing account (SPEC §4).
--   recency   = days since the last purchase in the window
--   frequency = purchases in the window; monetary = their amount
--   monetary is an exact DECIMAL sum (macros/as_of.sql stable_sum): the same purchases
--   give the same ranks and classes on every run
--   scores 1-5 by quintile of the mid-rank percentile (macros/as_of.sql quintile_score)
--   p = (accounts below + half the accounts tied) / accounts, score = max(1, ceil(5 p)),
--   so ties share a score, the best value always scores 5 and an all-equal column
--   scores 3 (neutral); recency is reversed (most recent = 5)
--   ABC: accounts ranked by monetary; the cumulative share of an account is the share
--   of the window's purchases held by the accounts with at least its monetary (tied
--   accounts all count, so ties share a class); <= 80 % -> A, <= 95 % -> B, else C;
--   the largest account(s) are always A (else one dominant customer would be B).
--   Shares are rounded by r4 before they are compared.
with

purchases as (
    select * from {{ ref('int_purchases') }}
    where {{ days_between('purchase_date', as_of()) }} < {{ var('rfm_window_days') }}
),

per_account as (
    select
        account_id,
        max(purchase_date) as last_purchase_in_window,
        count(*) as frequency,
        {{ stable_sum('amount') }} as monetary
    from purchases
    group by account_id
),

scored as (
    select
        *,
        {{ days_between('last_purchase_in_window', as_of()) }} as recency_days,
        {{ quintile_score(days_between('last_purchase_in_window', as_of()) ~ ' * -1') }} as rfm_recency_score,
        {{ quintile_score('frequency') }} as rfm_frequency_score,
        {{ quintile_score('monetary') }} as rfm_monetary_score,
        sum(monetary) over () as total_monetary,
        -- ties included: every account with at least this monetary (RANGE, not ROWS)
        sum(monetary) over (order by monetary desc range between unbounded preceding and current row) as cumulative_monetary,
        rank() over (order by monetary desc) as monetary_rank
    from per_account
),

classed as (
    select
        *,
        -- fm: rounded mean of the frequency and monetary scores (the segment map's second axis)
        cast(round((rfm_frequency_score + rfm_monetary_score) / 2.0) as integer) as rfm_fm_score,
        {{ r4('cumulative_monetary / nullif(total_monetary, 0)') }} as cumulative_share,
        {{ r4('monetary / nullif(total_monetary, 0)') }} as monetary_share
    from scored
),

segments as (
    select * from {{ ref('rfm_segments') }}
),

segment_match as (
    -- the first segment (by priority) whose R and FM ranges hold the account's scores
    select
        c.account_id,
        s.rfm_segment,
        row_number() over (partition by c.account_id order by s.priority) as pick
    from classed as c
    inner join segments as s
        on c.rfm_recency_score between s.r_min and s.r_max
        and c.rfm_fm_score between s.fm_min and s.fm_max
),

final as (
    select
        c.account_id,
        c.last_purchase_in_window,
        c.recency_days,
        c.frequency,
        c.monetary,
        c.monetary_rank,
        c.monetary_share,
        c.cumulative_share,
        c.rfm_recency_score,
        c.rfm_frequency_score,
        c.rfm_monetary_score,
        c.rfm_fm_score,
        case
            when c.monetary_rank = 1 or c.cumulative_share <= {{ var('abc_a_max_cumulative_share') }} then 'A'
            when c.cumulative_share <= {{ var('abc_b_max_cumulative_share') }} then 'B'
            else 'C'
        end as abc_class,
        seg.rfm_segment
    from classed as c
    left join segment_match as seg on seg.account_id = c.account_id and seg.pick = 1
)

select * from final
