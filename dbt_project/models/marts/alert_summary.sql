{{ config(**history_config()) }}
-- Alert summary (预警汇总) per as-of date (history): the alerts of risk_alerts of the run's
-- as-of date per alert type, counted per severity, with the amount at stake. The report's
-- alert chart reads it as is. Every column is a function of the run's date alone (history
-- independent of run order).
{%- set severities = ['high', 'medium', 'low', 'info'] %}
with

alerts as (
    select * from {{ ref('risk_alerts') }}
    where as_of_date = {{ as_of() }}
),

per_type as (
    select
        alert_type,
        {{- value_counts('severity', severities, '{}_alerts') }},
        count(*) as alerts,
        {{ stable_sum('amount_at_stake', 2) }} as amount_at_stake,
        min(alert_rank) as first_alert_rank
    from alerts
    group by alert_type
),

final as (
    select
        {{ as_of() }} as as_of_date,
        alert_type,
        {%- for s in severities %}
        {{ s }}_alerts,
        {%- endfor %}
        alerts,
        {{ r2('amount_at_stake') }} as amount_at_stake,
        first_alert_rank,
        -- every money figure of a row is in its currency: the reporting currency (var reporting_currency)
        {{ reporting_currency() }} as currency
    from per_type
)

select * from final
order by alert_type
