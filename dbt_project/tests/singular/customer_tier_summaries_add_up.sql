{{ config(meta={'dagster': {'ref': {'name': 'customer_tier_summary'}}}) }}
-- The customer summaries the XLSX and the report show add up to the published list of the
-- run's as-of date: customer_tier_summary's owner rows, its total row and tier_distribution
-- each count every account of customer_tier_list, per tier, with its pipeline and bookings.
-- Returns one row per summary level that disagrees.
with

customer_list as (
    select
        count(*) as accounts,
        {{ tier_counts('tier') }},
        coalesce({{ stable_sum('open_pipeline', 2) }}, 0) as open_pipeline,
        coalesce({{ stable_sum('bookings_365d', 2) }}, 0) as bookings_365d
    from {{ ref('customer_tier_list') }}
    where as_of_date = {{ as_of() }}
),

customer_summary as (
    select
        level,
        sum(accounts) as accounts,
        {%- for c in tier_count_names() %}
        sum({{ c }}) as {{ c }},
        {%- endfor %}
        coalesce({{ stable_sum('open_pipeline', 2) }}, 0) as open_pipeline,
        coalesce({{ stable_sum('bookings_365d', 2) }}, 0) as bookings_365d
    from {{ ref('customer_tier_summary') }}
    where as_of_date = {{ as_of() }}
    group by level
    union all
    select
        'tier_distribution',
        sum(accounts),
        {%- for t in customer_tiers() %}
        sum(case when tier = '{{ t }}' then accounts else 0 end),
        {%- endfor %}
        coalesce({{ stable_sum('open_pipeline', 2) }}, 0),
        coalesce({{ stable_sum('bookings_365d', 2) }}, 0)
    from {{ ref('tier_distribution') }}
    where as_of_date = {{ as_of() }}
)

select 'customer_tier_summary' as model, s.level, s.accounts as summary_count, l.accounts as list_count
from customer_summary as s
cross join customer_list as l
where s.accounts <> l.accounts
    {%- for c in tier_count_names() %}
    or s.{{ c }} <> l.{{ c }}
    {%- endfor %}
    or abs(s.open_pipeline - l.open_pipeline) > 0.005
    or abs(s.bookings_365d - l.bookings_365d) > 0.005

union all

-- a list with accounts and a summary level missing altogether is a mismatch too
select 'customer_tier_summary', e.level, 0, l.accounts
from (
    select 'owner' as level union all select 'total' union all select 'tier_distribution'
) as e
cross join customer_list as l
where l.accounts > 0
  and not exists (select 1 from customer_summary as s where s.level = e.level)
