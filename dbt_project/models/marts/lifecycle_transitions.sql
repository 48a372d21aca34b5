-- Lifecycle flow between consecutive runs (history, SPEC §5.2): for every as-of date
-- in customer_lifecycle that has an earlier one, the accounts per (from_stage at the
-- previous as-of date, to_stage at this one), unchanged pairs included.
--   The first as-of date kept has no row at all: there is no earlier snapshot, so
--   nothing moved (customer_lifecycle.is_first_snapshot says so for that date).
--   from_stage 'none' = an account first seen at this date (not in the previous run):
--   it is a new account (is_new_account), not a stage change (is_change false).
-- Rebuilt from the whole customer_lifecycle history on every run (a table, not an
-- incremental), so it never depends on the order the dates ran in.
with

lifecycle as (
    select * from {{ ref('customer_lifecycle') }}
),

run_dates as (
    select distinct as_of_date from lifecycle
),

previous_dates as (
    select as_of_date, lag(as_of_date) over (order by as_of_date) as previous_as_of_date
    from run_dates
),

final as (
    select
        l.as_of_date,
        d.previous_as_of_date,
        coalesce(l.previous_stage, 'none') as from_stage,
        l.lifecycle_stage as to_stage,
        count(*) as accounts,
        coalesce(l.previous_stage <> l.lifecycle_stage, false) as is_change,
        l.previous_stage is null as is_new_account
    from lifecycle as l
    inner join previous_dates as d on d.as_of_date = l.as_of_date
    where d.previous_as_of_date is not null
    group by l.as_of_date, d.previous_as_of_date, coalesce(l.previous_stage, 'none'), l.lifecycle_stage,
        coalesce(l.previous_stage <> l.lifecycle_stage, false), l.previous_stage is null
)

select * from final
order by as_of_date, from_stage, to_stage
