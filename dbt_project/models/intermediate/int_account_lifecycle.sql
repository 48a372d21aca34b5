-- Customer lifecycle stage per account as of the run date (SPEC §5.2):
--   prospect     never purchased
--   new          first purchase <= lifecycle_new_days (90) ago
--   reactivated  a purchase <= 90 days ago after a gap of > lifecycle_reactivation_gap_days (365)
--   active       last purchase <= lifecycle_active_days (180) ago
--   at_risk      last purchase 181..lifecycle_churn_days (365) ago
--   churned      last purchase > 365 days ago
with

accounts as (
    select account_id from {{ ref('int_accounts') }}
),

purchases as (
    select
        account_id,
        purchase_date,
        lag(purchase_date) over (partition by account_id order by purchase_date, purchase_id) as previous_purchase_date
    from {{ ref('int_purchases') }}
),

per_account as (
    select
        account_id,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        count(*) as lifetime_purchases,
        -- a recent purchase that ended a long gap
        max(case
            when {{ days_between('purchase_date', as_of()) }} <= {{ var('lifecycle_new_days') }}
             and previous_purchase_date is not null
             and {{ days_between('previous_purchase_date', 'purchase_date') }} > {{ var('lifecycle_reactivation_gap_days') }}
            then 1 else 0
        end) = 1 as has_reactivation
    from purchases
    group by account_id
),

final as (
    select
        a.account_id,
        p.first_purchase_date,
        p.last_purchase_date,
        coalesce(p.lifetime_purchases, 0) as lifetime_purchases,
        {{ days_between('p.first_purchase_date', as_of()) }} as days_since_first_purchase,
        {{ days_between('p.last_purchase_date', as_of()) }} as days_since_last_purchase,
        case
            when p.last_purchase_date is null then 'prospect'
            when {{ days_between('p.first_purchase_date', as_of()) }} <= {{ var('lifecycle_new_days') }} then 'new'
            when p.has_reactivation then 'reactivated'
            when {{ days_between('p.last_purchase_date', as_of()) }} <= {{ var('lifecycle_active_days') }} then 'active'
            when {{ days_between('p.last_purchase_date', as_of()) }} <= {{ var('lifecycle_churn_days') }} then 'at_risk'
            else 'churned'
        end as lifecycle_stage
    from accounts as a
    left join per_account as p on p.account_id = a.account_id
)

select * from final
