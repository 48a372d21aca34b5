{{ config(**latest_only_config()) }}
-- Customer segments (latest run only): firmographics, ABC value class and RFM.
-- Accounts with no purchase in the window have no RFM scores; their segment is
-- 'Lost' when they purchased before, 'No Purchase' when they never did.
with

tiers as (
    select * from {{ ref('int_customer_tiers') }}
),

final as (
    select
        {{ as_of() }} as as_of_date,
        account_id,
        account_name,
        source_system,
        industry,
        size_band,
        employees,
        {{ r2('annual_revenue') }} as annual_revenue,
        region,
        coalesce(abc_class, 'none') as abc_class,
        rfm_recency_score,
        rfm_frequency_score,
        rfm_monetary_score,
        case
            when rfm_segment is not null then rfm_segment
            when last_purchase_date is not null then 'Lost'
            else 'No Purchase'
        end as rfm_segment,
        days_since_last_purchase as rfm_recency_days,
        coalesce(purchase_count_365d, 0) as rfm_frequency,
        {{ r2('coalesce(purchases_365d, 0)') }} as rfm_monetary,
        tier,
        lifecycle_stage
    from tiers
)

-- every money figure of a row is in its currency: the reporting currency (var reporting_currency)
select *, {{ reporting_currency() }} as currency from final
{{ keep_newest_filter() }}
order by account_id
