{{ config(**history_config()) }}
-- Rep tier summary (销售分层汇总) per as-of date (history): the rep tier list of the run's
-- as-of date counted per team x manager (level 'team_manager') and for all reps (level
-- 'total', one row, none when the list is empty): top / core / developing reps, the
-- suggested next-period targets and the tier period's bookings and targets. The XLSX
-- summary sheet and BI tools read it as is: nothing is added up after dbt.
-- Read from rep_tier_list, so the summary always adds up to the published list; every
-- column is a function of the run's date alone (history independent of run order).
with

rep_list as (
    select * from {{ ref('rep_tier_list') }}
    where as_of_date = {{ as_of() }}
),

{%- set money = ['next_period_target', 'bookings', 'target_amount'] %}
{%- set counts = value_counts('rep_tier', rep_tiers(), '{}_reps') %}
per_manager as (
    select
        'team_manager' as level,
        team,
        manager_rep_id,
        manager_name,
        {{- counts }},
        count(*) as reps,
        {%- for m in money %}
        {{ stable_sum(m, 2) }} as {{ m }}{{ ',' if not loop.last }}
        {%- endfor %}
    from rep_list
    group by team, manager_rep_id, manager_name
),

total as (
    select
        'total' as level,
        cast(null as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as manager_rep_id,
        cast(null as {{ dbt.type_string() }}) as manager_name,
        {{- counts }},
        count(*) as reps,
        {%- for m in money %}
        coalesce({{ stable_sum(m, 2) }}, 0) as {{ m }}{{ ',' if not loop.last }}
        {%- endfor %}
    from rep_list
    having count(*) > 0
),

{%- set columns = ['level', 'team', 'manager_rep_id', 'manager_name'] %}
{%- for t in rep_tiers() %}{% do columns.append(t ~ '_reps') %}{% endfor %}
{%- do columns.append('reps') %}
unioned as (
    select {{ (columns + money) | join(', ') }} from per_manager
    union all
    select {{ (columns + money) | join(', ') }} from total
),

final as (
    select
        {{ as_of() }} as as_of_date,
        {{ columns | join(',\n        ') }},
        {%- for m in money %}
        {{ r2(m) }} as {{ m }},
        {%- endfor %}
        -- every money figure of a row is in its currency: the reporting currency (var reporting_currency)
        {{ reporting_currency() }} as currency
    from unioned
)

select * from final
order by level, team, manager_rep_id
