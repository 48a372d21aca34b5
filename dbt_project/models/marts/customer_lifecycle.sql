{{ config(**history_config(previous=[
    {'key': 'account_id', 'value': 'lifecycle_stage', 'previous': 'previous_stage', 'changed': 'is_stage_changed'}])) }}
-- Customer lifecycle stage per account per as-of date (history, SPEC §5.2).
-- previous_stage: the stage at the latest earlier as-of date in this table (NULL when
-- the account was not in that run), filled in by a post-hook over the whole history
-- (macros/history.sql), so it does not depend on the order the dates ran in.
with

lifecycle as (
    select * from {{ ref('int_account_lifecycle') }}
),

final as (
    select
        {{ as_of() }} as as_of_date,
        l.account_id,
        l.lifecycle_stage,
        cast(null as {{ dbt.type_string() }}) as previous_stage,     -- post-hook
        cast(null as boolean) as is_stage_changed,   -- post-hook
        l.first_purchase_date,
        l.last_purchase_date,
        l.days_since_last_purchase,
        l.lifetime_purchases
    from lifecycle as l
)

select * from final
order by account_id
