{{ config(meta={'dagster': {'ref': {'name': 'kpi_snapshot'}}}) }}
-- Reconciliation: for every current-period KPI that adds up (bookings, won / lost
-- counts, activity count) the company value equals the sum over reps (including
-- 'unassigned') and the sum over tiers. Returns the KPIs that disagree.
{%- set kpis = [] -%}
{%- for m in ['bookings', 'won_count', 'lost_count', 'activity_count'] -%}
{%- for p in ['mtd', 'qtd', 't90d'] -%}
{%- do kpis.append("'" ~ m ~ '_' ~ p ~ "'") -%}
{%- endfor -%}
{%- endfor %}
with

kpis as (
    select level, level_key, kpi, value
    from {{ ref('kpi_snapshot') }}
    where as_of_date = {{ as_of() }}
      and kpi in ({{ kpis | join(', ') }})
),

company as (
    select kpi, value from kpis where level = 'company'
),

by_level as (
    select level, kpi, sum(value) as value
    from kpis
    where level in ('rep', 'tier', 'team', 'region')
    group by level, kpi
)

select c.kpi, b.level, c.value as company_value, b.value as level_sum
from company as c
inner join by_level as b using (kpi)
where abs(c.value - b.value) > 0.01
