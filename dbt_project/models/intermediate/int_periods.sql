-- Reporting periods of a run: every month and quarter from the first month with
-- data (bounded by var history_months) up to the one containing the run date, and
-- the trailing 90 days. Closed-in-period metrics only count days up to the run date.
-- due_start / due_end bound the "rest of the period" used for pipeline coverage:
-- [as_of, period_end] for the current month / quarter, the next 90 days for
-- trailing_90d, none for past periods.
{%- set this_month = "cast(" ~ dbt.date_trunc('month', as_of()) ~ " as date)" %}
with

events as (
    select min(closed_date) as first_date from {{ ref('int_opportunities') }} where closed_date is not null
    union all
    select min(occurred_date) from {{ ref('int_activities') }} where is_counted
    union all
    select min(period_start) from {{ ref('stg_reference__targets') }} where period_start <= {{ as_of() }}
),

bounds as (
    select
        cast({{ dbt.date_trunc('month', 'coalesce(min(first_date), ' ~ as_of() ~ ')') }} as date) as first_data_month
    from events
    where first_date <= {{ as_of() }} or first_date is null
),

month_offsets as (
    -- 0 = the run's month, 1 = the month before, ... up to history_months - 1
    {{ dbt.generate_series(var('history_months')) }}
),

months as (
    select cast({{ dbt.dateadd('month', '1 - o.generated_number', this_month) }} as date) as period_start
    from month_offsets as o
    cross join bounds as b
    where cast({{ dbt.dateadd('month', '1 - o.generated_number', this_month) }} as date) >= b.first_data_month
),

month_periods as (
    select
        'month' as period_type,
        period_start,
        cast({{ dbt.last_day('period_start', 'month') }} as date) as period_end
    from months
),

quarter_periods as (
    select distinct
        'quarter' as period_type,
        cast({{ dbt.date_trunc('quarter', 'period_start') }} as date) as period_start,
        cast({{ dbt.last_day('period_start', 'quarter') }} as date) as period_end
    from months
),

trailing_window as (
    select
        'trailing_90d' as period_type,
        cast({{ dbt.dateadd('day', -89, as_of()) }} as date) as period_start,
        {{ as_of() }} as period_end
),

unioned as (
    select * from month_periods
    union all
    select * from quarter_periods
    union all
    select * from trailing_window
),

final as (
    select
        period_type,
        period_start,
        period_end,
        {{ as_of() }} between period_start and period_end as is_current,
        case
            when period_type = 'trailing_90d' then {{ as_of() }}
            when period_end >= {{ as_of() }} then {{ as_of() }}
        end as due_start,
        case
            when period_type = 'trailing_90d' then cast({{ dbt.dateadd('day', 89, as_of()) }} as date)
            when period_end >= {{ as_of() }} then period_end
        end as due_end
    from unioned
)

select * from final
