{{ config(meta={'dagster': {'ref': {'name': 'kpi_snapshot'}}}) }}
-- Reconciliation: company bookings in kpi_snapshot (current month, quarter and
-- trailing 90 days) = the won amounts of the opportunities mart closed in the same
-- window. Returns the windows that disagree.
with

kpis as (
    select kpi, period_start, period_end, value
    from {{ ref('kpi_snapshot') }}
    where as_of_date = {{ as_of() }}
      and level = 'company'
      and kpi in ('bookings_mtd', 'bookings_qtd', 'bookings_t90d')
),

deals as (
    select k.kpi, coalesce(sum(o.amount) filter (where o.is_won), 0) as won_amount
    from kpis as k
    left join {{ ref('opportunities') }} as o
        on o.closed_date between k.period_start and k.period_end
    group by k.kpi
)

select k.kpi, k.value, d.won_amount
from kpis as k
inner join deals as d using (kpi)
where abs(k.value - d.won_amount) > 0.01
