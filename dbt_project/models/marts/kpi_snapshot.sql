{{ config(**history_config(first_snapshot_kpi='is_first_snapshot')) }}
-- KPI snapshot (long format) per as-of date (history): for every roll-up
-- (company / region / team / manager / rep / tier) and key:
--   <metric>_mtd / _qtd / _t90d  the current month, quarter and trailing 90 days
--   open_deals, open_pipeline, weighted_pipeline, overdue_deals, stale_deals   open snapshot
--   accounts, accounts_tier_a..d, accounts_past_service_level                   owned accounts
--   is_first_snapshot (company / all only): 1 when no earlier as-of date is in this
--                table (nothing to compare with: no previous tier / stage, no change
--                counted), else 0; kept right on backfills by a post-hook
--   unit         the reporting currency for money KPIs (var reporting_currency), else NULL
-- Definitions: int_performance. period_type / period_start / period_end say which
-- window a period KPI covers (NULL for snapshot KPIs).
{%- set period_kpis = ['bookings', 'won_count', 'lost_count', 'win_rate', 'win_rate_amount',
                       'avg_deal_size', 'sales_cycle_days', 'activity_count', 'target_amount',
                       'attainment', 'pipeline_coverage', 'sales_velocity', 'satisfaction', 'nps'] %}
{%- set snapshot_kpis = ['open_deals', 'open_pipeline', 'weighted_pipeline', 'overdue_deals', 'stale_deals'] %}
{%- set money_kpis = ['bookings', 'avg_deal_size', 'target_amount', 'sales_velocity', 'open_pipeline', 'weighted_pipeline'] %}
{%- set suffix = {'month': 'mtd', 'quarter': 'qtd', 'trailing_90d': 't90d'} %}
{%- set account_kpis = ['accounts'] + tier_count_names('accounts_tier_{}') + ['accounts_past_service_level'] %}
with

performance as (
    select * from {{ ref('int_performance') }} where is_current
),

level_map as (
    select * from {{ ref('int_level_map') }}
),

accounts as (
    select *, tier as account_tier from {{ ref('int_customer_tiers') }}
),

account_levels as (
    {{ explode_levels('accounts', 'owner_rep_id', as_of()) }}
),

account_counts as (
    select
        level, level_key,
        count(*) as accounts,
        {{- tier_counts('tier', 'accounts_tier_{}') }},
        count(case when is_past_service_level then 1 end) as accounts_past_service_level
    from account_levels
    group by level, level_key
),

account_kpis as (
    -- every key of the spine, zero when it owns no account (e.g. a tier nobody is in today)
    select
        k.level, k.level_key,
        {%- for c in account_kpis %}
        coalesce(c.{{ c }}, 0) as {{ c }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select distinct level, level_key from performance
        union
        select level, level_key from account_counts
    ) as k
    left join account_counts as c on c.level = k.level and c.level_key = k.level_key
),

period_long as (
    {%- for kpi in period_kpis %}
    select
        level, level_key,
        case period_type
            {%- for p, s in suffix.items() %} when '{{ p }}' then '{{ kpi }}_{{ s }}'{% endfor %}
        end as kpi,
        period_type, period_start, period_end,
        cast({{ kpi }} as {{ type_double() }}) as value,
        {{ kpi_unit(kpi, money_kpis) }} as unit
    from performance
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

snapshot_long as (
    {%- for kpi in snapshot_kpis %}
    select distinct
        level, level_key, '{{ kpi }}' as kpi,
        cast(null as {{ dbt.type_string() }}) as period_type, cast(null as date) as period_start, cast(null as date) as period_end,
        cast({{ kpi }} as {{ type_double() }}) as value,
        {{ kpi_unit(kpi, money_kpis) }} as unit
    from performance
    where period_type = 'trailing_90d'
    union all
    {%- endfor %}
    {%- for kpi in account_kpis %}
    select
        level, level_key, '{{ kpi }}',
        null, null, null,
        cast({{ kpi }} as {{ type_double() }}),
        {{ kpi_unit(kpi, money_kpis) }}
    from account_kpis
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

first_snapshot as (
    select
        'company' as level, 'all' as level_key, 'is_first_snapshot' as kpi,
        cast(null as {{ dbt.type_string() }}) as period_type, cast(null as date) as period_start, cast(null as date) as period_end,
        cast(case when {{ first_snapshot_expr() }} then 1 else 0 end as {{ type_double() }}) as value,
        {{ kpi_unit('is_first_snapshot', money_kpis) }} as unit
),

unioned as (
    select * from period_long
    union all
    select * from snapshot_long
    union all
    select * from first_snapshot
),

final as (
    select
        {{ as_of() }} as as_of_date,
        level,
        level_key,
        kpi,
        {{ r4('value') }} as value,
        unit,
        period_type,
        period_start,
        period_end
    from unioned
)

select * from final
order by level, level_key, kpi
