{{ config(**history_config()) }}
-- Customer tier summary (客户分层汇总) per as-of date (history): the customer tier list of
-- the run's as-of date counted per manager x owner (level 'owner') and for the whole list
-- (level 'total', one row, none when the list is empty): A/B/C/D accounts, accounts past
-- their service level, open pipeline and trailing-year bookings. The XLSX summary sheet and
-- BI tools read it as is: nothing is added up after dbt.
-- Read from customer_tier_list, so the summary always adds up to the published list; an
-- owner not on the roster (owner_rep_id NULL) is one row per CRM owner name. Every column
-- is a function of the run's date alone (no previous values), so the history does not
-- depend on the order the dates ran in.
with

tier_list as (
    select * from {{ ref('customer_tier_list') }}
    where as_of_date = {{ as_of() }}
),

per_owner as (
    select
        'owner' as level,
        manager_rep_id,
        manager_name,
        team,
        owner_rep_id,
        owner_name,
        {{- tier_counts('tier') }},
        count(*) as accounts,
        count(case when is_past_service_level then 1 end) as accounts_past_service_level,
        {{ stable_sum('open_pipeline', 2) }} as open_pipeline,
        {{ stable_sum('bookings_365d', 2) }} as bookings_365d
    from tier_list
    group by manager_rep_id, manager_name, team, owner_rep_id, owner_name
),

total as (
    select
        'total' as level,
        cast(null as {{ dbt.type_string() }}) as manager_rep_id,
        cast(null as {{ dbt.type_string() }}) as manager_name,
        cast(null as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as owner_rep_id,
        cast(null as {{ dbt.type_string() }}) as owner_name,
        {{- tier_counts('tier') }},
        count(*) as accounts,
        count(case when is_past_service_level then 1 end) as accounts_past_service_level,
        coalesce({{ stable_sum('open_pipeline', 2) }}, 0) as open_pipeline,
        coalesce({{ stable_sum('bookings_365d', 2) }}, 0) as bookings_365d
    from tier_list
    having count(*) > 0
),

{%- set columns = ['level', 'manager_rep_id', 'manager_name', 'team', 'owner_rep_id', 'owner_name']
                  + tier_count_names() + ['accounts', 'accounts_past_service_level'] %}
unioned as (
    select {{ columns | join(', ') }}, open_pipeline, bookings_365d from per_owner
    union all
    select {{ columns | join(', ') }}, open_pipeline, bookings_365d from total
),

final as (
    select
        {{ as_of() }} as as_of_date,
        {{ columns | join(',\n        ') }},
        {{ r2('open_pipeline') }} as open_pipeline,
        {{ r2('bookings_365d') }} as bookings_365d,
        -- every money figure of a row is in its currency: the reporting currency (var reporting_currency)
        {{ reporting_currency() }} as currency
    from unioned
)

select * from final
order by level, manager_rep_id, owner_rep_id, owner_name
