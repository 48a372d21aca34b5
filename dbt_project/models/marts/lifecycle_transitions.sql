{{ config(**history_config()) }}
-- Lifecycle flow between the previous run and this one (history): accounts per
-- (from_stage, to_stage), unchanged pairs included. from_stage 'none' = the account
-- was not in the previous run (or this is the first run).
with

lifecycle as (
    select * from {{ ref('customer_lifecycle') }}
    where as_of_date = {{ as_of() }}
),

final as (
    select
        as_of_date,
        coalesce(previous_stage, 'none') as from_stage,
        lifecycle_stage as to_stage,
        count(*) as accounts,
        coalesce(previous_stage, 'none') <> lifecycle_stage as is_change
    from lifecycle
    group by as_of_date, coalesce(previous_stage, 'none'), lifecycle_stage
)

select * from final
order by from_stage, to_stage
