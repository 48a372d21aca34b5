{{ config(**history_config()) }}
-- Risk and action list (风险预警, SPEC §5.4) per as-of date (history). One row per
-- alert; each names the account / deal / rep, the owner, the rule and the numbers.
-- Rules, default severities and texts: seed alert_rules; thresholds: vars.
with

deals as (
    select o.*, t.tier as account_tier
    from {{ ref('int_opportunities') }} as o
    left join {{ ref('int_customer_tiers') }} as t on t.account_id = o.account_id
),

accounts as (
    select t.*, sl.neglect_severity
    from {{ ref('int_customer_tiers') }} as t
    left join {{ ref('service_levels') }} as sl on sl.tier = t.tier
),

rules as (
    select * from {{ ref('alert_rules') }}
),

stale_deal as (
    select
        'stale_deal' as alert_type,
        case when amount_value >= {{ var('alert_high_value_deal_amount') }} or account_tier in {{ sql_list_raw(var('alert_high_severity_tiers')) }} then 'high' end as severity_override,
        account_id,
        opportunity_id,
        owner_rep_id as rep_id,
        owner_rep_id,
        opportunity_id as entity_key,
        'open deal ''' || coalesce(opportunity_name, opportunity_id) || ''' at ' || coalesce(stage, 'unmapped stage') || ': ' || days_since_touch
            || ' days since the last activity or stage change (limit ' || stale_days || ' days at this stage); amount '
            || coalesce({{ format_number('amount_value', 2) }}, 'not set') as detail,
        cast(days_since_touch as {{ type_double() }}) as metric_value,
        cast(stale_days as {{ type_double() }}) as threshold
    from deals
    where is_stale
),

overdue_deal as (
    select
        'overdue_deal',
        case when amount_value >= {{ var('alert_high_value_deal_amount') }} or account_tier in {{ sql_list_raw(var('alert_high_severity_tiers')) }} then 'high' end,
        account_id,
        opportunity_id,
        owner_rep_id,
        owner_rep_id,
        opportunity_id,
        'deal ''' || coalesce(opportunity_name, opportunity_id) || ''' expected to close on ' || cast(close_date as {{ dbt.type_string() }}) || ', '
            || {{ days_between('close_date', as_of()) }} || ' days ago, still open at ' || coalesce(stage, 'unmapped stage')
            || '; amount ' || coalesce({{ format_number('amount_value', 2) }}, 'not set'),
        cast({{ days_between('close_date', as_of()) }} as {{ type_double() }}),
        0.0
    from deals
    where is_overdue
),

neglected_account as (
    select
        'neglected_account',
        neglect_severity,
        account_id,
        cast(null as {{ dbt.type_string() }}),
        owner_rep_id,
        owner_rep_id,
        account_id,
        'tier ' || tier || ' account ''' || account_name || ''': '
            || coalesce(days_since_last_activity || ' days since the last contact',
                        'no contact recorded (' || coalesce(days_since_contact || ' days since created', 'creation date unknown') || ')')
            || ' (service level ' || service_level_days || ' days)',
        cast(days_since_contact as {{ type_double() }}),
        cast(service_level_days as {{ type_double() }})
    from accounts
    where is_past_service_level
),

at_risk_high_value as (
    -- the date it turned at_risk is derived from the data (last purchase + the active
    -- window + 1 day), never from earlier runs, so the alert is the same in any run order
    select
        'at_risk_high_value',
        cast(null as {{ dbt.type_string() }}),
        a.account_id,
        cast(null as {{ dbt.type_string() }}),
        a.owner_rep_id,
        a.owner_rep_id,
        a.account_id,
        'ABC ' || a.abc_class || ' account ''' || a.account_name || ''' is at_risk since '
            || cast(cast({{ dbt.dateadd('day', var('lifecycle_active_days') + 1, 'a.last_purchase_date') }} as date) as {{ dbt.type_string() }})
            || ': last purchase ' || a.days_since_last_purchase || ' days ago (' || cast(a.last_purchase_date as {{ dbt.type_string() }})
            || '; active up to ' || {{ var('lifecycle_active_days') }} || ' days), '
            || {{ format_number('coalesce(a.purchases_365d, 0)', 2) }} || ' purchased in the last ' || {{ var('rfm_window_days') }} || ' days',
        cast(a.days_since_last_purchase as {{ type_double() }}),
        {{ var('lifecycle_active_days') }}.0
    from accounts as a
    where a.lifecycle_stage = 'at_risk' and a.abc_class in {{ sql_list_raw(var('at_risk_alert_abc_classes')) }}
),

low_satisfaction as (
    select
        'low_satisfaction',
        cast(null as {{ dbt.type_string() }}),
        account_id,
        cast(null as {{ dbt.type_string() }}),
        owner_rep_id,
        owner_rep_id,
        account_id,
        'tier ' || tier || ' account ''' || account_name || ''': satisfaction ' || {{ format_number('satisfaction', 2) }}
            || ' over ' || satisfaction_responses || ' response(s) in ' || {{ var('satisfaction_window_days') }}
            || ' days (threshold ' || {{ format_number(var('low_satisfaction_threshold'), 2) }} || ')',
        satisfaction,
        {{ var('low_satisfaction_threshold') }}
    from accounts
    where tier in {{ sql_list_raw(var('low_satisfaction_tiers')) }}
      and satisfaction_responses > 0
      and satisfaction < {{ var('low_satisfaction_threshold') }}
),

concentration_base as (
    select
        account_id,
        bookings_365d,
        row_number() over (order by bookings_365d desc, account_id) as bookings_rank
    from accounts
    where bookings_365d > 0
),

concentration as (
    select
        sum(case when bookings_rank <= {{ var('concentration_top_n') }} then bookings_365d end) as top_bookings,
        sum(bookings_365d) as total_bookings,
        count(*) as accounts_with_bookings
    from concentration_base
),

revenue_concentration as (
    -- only meaningful with more accounts than the top N
    select
        'revenue_concentration',
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        'company',
        'top {{ var("concentration_top_n") }} of ' || accounts_with_bookings || ' accounts hold '
            || {{ format_number('100 * top_bookings / total_bookings', 1) }} || '% of bookings in the last '
            || {{ var('rfm_window_days') }} || ' days (' || {{ format_number('top_bookings', 2) }} || ' of '
            || {{ format_number('total_bookings', 2) }} || '; threshold '
            || {{ format_number(100 * var('concentration_max_share'), 1) }} || '%)',
        top_bookings / total_bookings,
        {{ var('concentration_max_share') }}
    from concentration
    where accounts_with_bookings > {{ var('concentration_top_n') }}
      and top_bookings / total_bookings > {{ var('concentration_max_share') }}
),

rep_coverage as (
    select
        p.level_key as rep_id,
        p.period_type,
        p.period_start,
        p.pipeline_due,
        p.remaining_target,
        p.pipeline_coverage,
        coalesce(t90.win_rate, company.win_rate) as reference_win_rate
    from {{ ref('int_performance') }} as p
    left join {{ ref('int_performance') }} as t90
        on t90.level = 'rep' and t90.level_key = p.level_key and t90.period_type = 'trailing_90d'
    left join {{ ref('int_performance') }} as company
        on company.level = 'company' and company.period_type = 'trailing_90d'
    where p.level = 'rep'
      and p.period_type = '{{ var("coverage_alert_period") }}'
      and p.is_current
      and p.level_key in (select rep_id from {{ ref('int_reps') }} where is_active)
),

low_coverage as (
    select
        'low_coverage',
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        rep_id,
        rep_id,
        rep_id,
        period_type || ' from ' || cast(period_start as {{ dbt.type_string() }}) || ': pipeline due '
            || {{ format_number('pipeline_due', 2) }} || ' / remaining target ' || {{ format_number('remaining_target', 2) }}
            || ' = coverage ' || {{ format_number('pipeline_coverage', 2) }} || ' < 1 / win rate '
            || {{ format_number('reference_win_rate', 2) }} || ' = ' || {{ format_number('1 / reference_win_rate', 2) }},
        pipeline_coverage,
        1 / reference_win_rate
    from rep_coverage
    where remaining_target > 0
      and reference_win_rate > 0
      and pipeline_coverage < 1 / reference_win_rate
),

unioned as (
    select * from stale_deal
    union all select * from overdue_deal
    union all select * from neglected_account
    union all select * from at_risk_high_value
    union all select * from low_satisfaction
    union all select * from revenue_concentration
    union all select * from low_coverage
),

final as (
    select
        {{ as_of() }} as as_of_date,
        u.alert_type || ':' || u.entity_key as alert_id,
        u.alert_type,
        coalesce(u.severity_override, r.default_severity) as severity,
        u.account_id,
        u.opportunity_id,
        u.rep_id,
        u.owner_rep_id,
        r.rule,
        u.detail,
        {{ r4('u.metric_value') }} as metric_value,
        {{ r4('u.threshold') }} as threshold
    from unioned as u
    left join rules as r on r.alert_type = u.alert_type
)

select * from final
order by alert_type, alert_id
