{{ config(**history_config()) }}
-- Tier distribution (客户等级分布) per as-of date (history): every customer tier of seed
-- service_levels (zero when no account is in it) with its accounts, accounts past the
-- service level, open pipeline and trailing-year bookings, from customer_tier_list of the
-- run's as-of date. The report's tier donut reads it as is. Every column is a function of
-- the run's date alone (history independent of run order).
with

tiers as (
    select tier, tier_order from {{ ref('service_levels') }}
),

tier_list as (
    select * from {{ ref('customer_tier_list') }}
    where as_of_date = {{ as_of() }}
),

per_tier as (
    select
        tier,
        count(*) as accounts,
        count(case when is_past_service_level then 1 end) as accounts_past_service_level,
        {{ stable_sum('open_pipeline', 2) }} as open_pipeline,
        {{ stable_sum('bookings_365d', 2) }} as bookings_365d
    from tier_list
    group by tier
),

final as (
    select
        {{ as_of() }} as as_of_date,
        t.tier,
        t.tier_order,
        coalesce(p.accounts, 0) as accounts,
        coalesce(p.accounts_past_service_level, 0) as accounts_past_service_level,
        {{ r2('coalesce(p.open_pipeline, 0)') }} as open_pipeline,
        {{ r2('coalesce(p.bookings_365d, 0)') }} as bookings_365d,
        -- every money figure of a row is in its currency: the reporting currency (var reporting_currency)
        {{ reporting_currency() }} as currency
    from tiers as t
    left join per_tier as p on p.tier = t.tier
)

select * from final
order by tier_order
