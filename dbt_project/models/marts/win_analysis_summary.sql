{{ config(**history_config()) }}
-- Win analysis summary per as-of date (history): per dimension of win_analysis, all its
-- values together - the deals won and lost in the window and the overall win rate that
-- every value of the dimension is compared with (the report's average line). Read from
-- win_analysis of the run's as-of date; every column is a function of the run's date alone
-- (history independent of run order).
with

wins as (
    select * from {{ ref('win_analysis') }}
    where as_of_date = {{ as_of() }}
),

per_dimension as (
    select
        dimension,
        count(*) as dimension_values,
        sum(won_count) as won_count,
        sum(lost_count) as lost_count
    from wins
    group by dimension
),

final as (
    select
        {{ as_of() }} as as_of_date,
        dimension,
        cast(dimension_values as {{ dbt.type_bigint() }}) as dimension_values,
        cast(won_count as {{ dbt.type_bigint() }}) as won_count,
        cast(lost_count as {{ dbt.type_bigint() }}) as lost_count,
        {{ r4('won_count / nullif(won_count + lost_count, 0)') }} as win_rate
    from per_dimension
)

select * from final
order by dimension
