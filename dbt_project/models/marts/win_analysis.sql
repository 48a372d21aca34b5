{{ config(**history_config()) }}
-- Win analysis (成功案例分析) per as-of date (history): deals closed in the last
-- var win_analysis_window_days (default 365) by lead_source, industry, size_band,
-- region (the account's) and tier (the account's current tier); unknown values
-- are grouped as 'unknown'.
{%- set dimensions = {
    'lead_source': 'd.lead_source',
    'industry': 'a.industry',
    'size_band': 'a.size_band',
    'region': 'a.region',
    'tier': 'a.tier',
} %}
with

closed as (
    select * from {{ ref('int_opportunities') }}
    where not is_open
      and closed_date <= {{ as_of() }}
      and {{ days_between('closed_date', as_of()) }} < {{ var('win_analysis_window_days') }}
),

accounts as (
    select * from {{ ref('int_customer_tiers') }}
),

dimensioned as (
    {%- for name, expr in dimensions.items() %}
    select
        '{{ name }}' as dimension,
        coalesce(cast({{ expr }} as {{ dbt.type_string() }}), 'unknown') as dimension_value,
        d.*
    from closed as d
    left join accounts as a on a.account_id = d.account_id
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

aggregated as (
    select
        dimension,
        dimension_value,
        count(case when is_won then 1 end) as won_count,
        count(case when is_lost then 1 end) as lost_count,
        coalesce(sum(case when is_won then amount_value end), 0) as bookings,
        coalesce(sum(case when is_lost then amount_value end), 0) as lost_amount,
        avg(case when is_won then cycle_days end) as sales_cycle_days
    from dimensioned
    group by dimension, dimension_value
),

lead_sources as (
    -- leads created in the window per source, and how many of them converted by the run date
    select
        'lead_source' as dimension,
        coalesce(cast(lead_source as {{ dbt.type_string() }}), 'unknown') as dimension_value,
        count(*) as leads,
        count(case when is_converted then 1 end) as converted_leads
    from {{ ref('int_leads') }}
    where {{ days_between('created_date', as_of()) }} between 0 and {{ var('win_analysis_window_days') }} - 1
    group by 2
),

keys as (
    select dimension, dimension_value from aggregated
    union
    select dimension, dimension_value from lead_sources
),

combined as (
    select
        k.dimension,
        k.dimension_value,
        coalesce(a.won_count, 0) as won_count,
        coalesce(a.lost_count, 0) as lost_count,
        coalesce(a.bookings, 0) as bookings,
        coalesce(a.lost_amount, 0) as lost_amount,
        a.sales_cycle_days,
        case when k.dimension = 'lead_source' then coalesce(l.leads, 0) end as leads,
        case when k.dimension = 'lead_source' then coalesce(l.converted_leads, 0) end as converted_leads
    from keys as k
    left join aggregated as a on a.dimension = k.dimension and a.dimension_value = k.dimension_value
    left join lead_sources as l on l.dimension = k.dimension and l.dimension_value = k.dimension_value
),

final as (
    select
        {{ as_of() }} as as_of_date,
        dimension,
        dimension_value,
        won_count,
        lost_count,
        leads,
        converted_leads,
        {{ r4('converted_leads / nullif(leads, 0)') }} as lead_conversion_rate,
        {{ r4('won_count / nullif(won_count + lost_count, 0)') }} as win_rate,
        {{ r4('bookings / nullif(bookings + lost_amount, 0)') }} as win_rate_amount,
        {{ r2('bookings / nullif(won_count, 0)') }} as avg_deal_size,
        {{ r2('sales_cycle_days') }} as sales_cycle_days,
        {{ r2('bookings') }} as bookings,
        cast({{ dbt.dateadd('day', 1 - var('win_analysis_window_days'), as_of()) }} as date) as window_start
    from combined
)

-- every money figure of a row is in its currency: the reporting currency (var reporting_currency)
select *, {{ reporting_currency() }} as currency from final
order by dimension, dimension_value
