{{ config(**history_config()) }}
-- Customer lifecycle stage per account per as-of date (history, SPEC §5.2).
-- previous_stage: the stage at the latest earlier as-of date kept here.
with

lifecycle as (
    select * from {{ ref('int_account_lifecycle') }}
),

previous as (
    {{ previous_run_values('account_id', 'lifecycle_stage') }}
),

final as (
    select
        {{ as_of() }} as as_of_date,
        l.account_id,
        l.lifecycle_stage,
        p.previous_value as previous_stage,
        l.first_purchase_date,
        l.last_purchase_date,
        l.days_since_last_purchase,
        l.lifetime_purchases
    from lifecycle as l
    left join previous as p on p.account_id = l.account_id
)

select * from final
order by account_id
