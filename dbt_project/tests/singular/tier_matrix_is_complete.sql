-- The editable tier matrix (seed tier_matrix) has exactly one tier for every value band
-- x intent band (H / M / L each), so every account gets exactly one tier.
with

bands as (
    select 'H' as band union all select 'M' union all select 'L'
),

cells as (
    select v.band as value_band, i.band as intent_band
    from bands as v
    cross join bands as i
),

matrix as (
    select value_band, intent_band, count(*) as n
    from {{ ref('tier_matrix') }}
    group by value_band, intent_band
)

select c.value_band, c.intent_band, coalesce(m.n, 0) as tiers
from cells as c
left join matrix as m on m.value_band = c.value_band and m.intent_band = c.intent_band
where coalesce(m.n, 0) <> 1
