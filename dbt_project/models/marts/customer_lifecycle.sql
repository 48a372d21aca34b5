{{ config(**history_config(previous=[
    {'key': 'account_id', 'value': 'lifecycle_stage', 'previous': 'previous_stage', 'changed': 'is_stage_changed'}],
    first_snapshot='is_first_snapshot')) }}
-- Customer lifecycle stage per account per as-of date (history, SPEC §5.2).
-- previous_stage: the stage at the latest earlier as-of date in this table (NULL when
-- the account was not in that run), filled in by a post-hook over the whole history
-- (macros/history.sql), so it does not depend on the order the dates ran in. An account
-- first seen at this date has no previous stage (NULL) and is not "changed".
-- is_first_snapshot: no earlier as-of date in this table (post-hook, same history rule):
-- every previous_stage is NULL and lifecycle_transitions has no row for this date.
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
        l.lifetime_purchases,
        {{ first_snapshot_expr() }} as is_first_snapshot   -- post-hook keeps it right on backfills
    from lifecycle as l
)

select * from final
order by account_id
