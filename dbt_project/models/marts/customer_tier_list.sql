{{ config(**history_config(previous=[
    {'key': 'account_id', 'value': 'tier', 'previous': 'previous_tier', 'changed': 'is_tier_changed'}],
    first_snapshot='is_first_snapshot')) }}
-- Customer tier list (客户分层): one row per account per as-of date (history).
-- previous_tier is the account's tier at the latest earlier as-of date in this table
-- (NULL when the account was not in that run), filled in by a post-hook over the
-- whole history so it does not depend on the order the dates ran in (macros/history.sql).
-- is_first_snapshot: no earlier as-of date in this table, so previous_tier is NULL for
-- every account and nothing "changed tier" (post-hook, same history rule).
with

tiers as (
    select * from {{ ref('int_customer_tiers') }}
),

reps as (
    select * from {{ ref('int_reps') }}
),

final as (
    select
        {{ as_of() }} as as_of_date,
        t.account_id,
        t.account_name,
        t.source_system,
        t.owner_rep_id,
        coalesce(r.rep_name, t.crm_owner_name) as owner_name,
        r.manager_rep_id,
        m.rep_name as manager_name,
        r.team,
        t.tier,
        cast(null as {{ dbt.type_string() }}) as previous_tier,     -- post-hook
        cast(null as boolean) as is_tier_changed,   -- post-hook
        t.value_band,
        t.intent_band,
        t.tier_reason,
        t.abc_class,
        t.size_band,
        t.lifecycle_stage,
        cast(t.last_activity_at as date) as last_activity_date,
        t.days_since_last_activity,
        t.days_since_contact,
        t.has_activity_export,
        t.service_level_days,
        t.is_past_service_level,
        t.open_deals,
        {{ r2('t.open_pipeline') }} as open_pipeline,
        {{ r2('t.weighted_pipeline') }} as weighted_pipeline,
        t.max_open_stage,
        {{ r2('t.bookings_365d') }} as bookings_365d,
        {{ r2('coalesce(t.purchases_365d, 0)') }} as purchases_365d,
        t.activities_30d,
        t.activities_90d,
        {{ r4('t.satisfaction') }} as satisfaction,
        coalesce(t.satisfaction_responses, 0) as satisfaction_responses,
        {{ r2('t.nps') }} as nps,
        t.is_synthetic as is_account_missing_from_export,
        {{ first_snapshot_expr() }} as is_first_snapshot   -- post-hook keeps it right on backfills
    from tiers as t
    left join reps as r on r.rep_id = t.owner_rep_id
    left join reps as m on m.rep_id = r.manager_rep_id
)

-- every money figure of a row is in its currency: the reporting currency (var reporting_currency)
select *, {{ reporting_currency() }} as currency from final
order by account_id
