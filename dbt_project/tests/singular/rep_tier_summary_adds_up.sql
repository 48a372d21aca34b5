{{ config(meta={'dagster': {'ref': {'name': 'rep_tier_summary'}}}) }}
-- The rep summary the XLSX shows adds up to the published list of the run's as-of date:
-- rep_tier_summary's team x manager rows and its total row each count every rep of
-- rep_tier_list, per rep tier. Returns one row per summary level that disagrees.
with

rep_list as (
    select count(*) as reps, {{ value_counts('rep_tier', rep_tiers(), '{}_reps') }}
    from {{ ref('rep_tier_list') }}
    where as_of_date = {{ as_of() }}
),

rep_summary as (
    select
        level,
        sum(reps) as reps
        {%- for t in rep_tiers() %},
        sum({{ t }}_reps) as {{ t }}_reps
        {%- endfor %}
    from {{ ref('rep_tier_summary') }}
    where as_of_date = {{ as_of() }}
    group by level
)

select 'rep_tier_summary' as model, s.level, s.reps as summary_count, l.reps as list_count
from rep_summary as s
cross join rep_list as l
where s.reps <> l.reps
    {%- for t in rep_tiers() %}
    or s.{{ t }}_reps <> l.{{ t }}_reps
    {%- endfor %}

union all

-- a list with reps and a summary level missing altogether is a mismatch too
select 'rep_tier_summary', e.level, 0, l.reps
from (select 'team_manager' as level union all select 'total') as e
cross join rep_list as l
where l.reps > 0
  and not exists (select 1 from rep_summary as s where s.level = e.level)
