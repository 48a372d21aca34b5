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
            || coalesce({{ money_text('amount_value') }}, 'not set') as detail,
        cast(days_since_touch as {{ type_double() }}) as metric_value,
        cast(stale_days as {{ type_double() }}) as threshold
    from deals
    where is_stale
),

overdue_deal as (
    select
        'overdue_deal' as alert_type,
        case when amount_value >= {{ var('alert_high_value_deal_amount') }} or account_tier in {{ sql_list_raw(var('alert_high_severity_tiers')) }} then 'high' end as severity_override,
        account_id,
        opportunity_id,
        owner_rep_id as rep_id,
        owner_rep_id,
        opportunity_id as entity_key,
        'deal ''' || coalesce(opportunity_name, opportunity_id) || ''' expected to close on ' || cast(close_date as {{ dbt.type_string() }}) || ', '
            || {{ days_between('close_date', as_of()) }} || ' days ago, still open at ' || coalesce(stage, 'unmapped stage')
            || '; amount ' || coalesce({{ money_text('amount_value') }}, 'not set') as detail,
        cast({{ days_between('close_date', as_of()) }} as {{ type_double() }}) as metric_value,
        0.0 as threshold
    from deals
    where is_overdue
),

neglected_account as (
    select
        'neglected_account' as alert_type,
        neglect_severity as severity_override,
        account_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        owner_rep_id as rep_id,
        owner_rep_id,
        account_id as entity_key,
        'tier ' || tier || ' account ''' || account_name || ''': '
            || coalesce(days_since_last_activity || ' days since the last contact',
                        'no contact recorded (' || coalesce(days_since_contact || ' days since created', 'creation date unknown') || ')')
            || ' (service level ' || service_level_days || ' days)' as detail,
        cast(days_since_contact as {{ type_double() }}) as metric_value,
        cast(service_level_days as {{ type_double() }}) as threshold
    from accounts
    where is_past_service_level
),

no_activity_export as (
    -- a source without any activity export cannot be checked against service levels: one info
    -- alert for it instead of a "no contact recorded" alert for every one of its accounts
    select
        'no_activity_export' as alert_type,
        cast(null as {{ dbt.type_string() }}) as severity_override,
        cast(null as {{ dbt.type_string() }}) as account_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        cast(null as {{ dbt.type_string() }}) as rep_id,
        cast(null as {{ dbt.type_string() }}) as owner_rep_id,
        source_system as entity_key,
        'source ''' || source_system || ''' has no activity export: service levels cannot be checked for its '
            || cast(count(*) as {{ dbt.type_string() }}) || ' account(s)' as detail,
        cast(count(*) as {{ type_double() }}) as metric_value,
        cast(null as {{ type_double() }}) as threshold
    from accounts
    where not has_activity_export
    group by source_system
),

at_risk_high_value as (
    -- the date it turned at_risk is derived from the data (last purchase + the active
    -- window + 1 day), never from earlier runs, so the alert is the same in any run order
    select
        'at_risk_high_value' as alert_type,
        cast(null as {{ dbt.type_string() }}) as severity_override,
        a.account_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        a.owner_rep_id as rep_id,
        a.owner_rep_id,
        a.account_id as entity_key,
        'ABC ' || a.abc_class || ' account ''' || a.account_name || ''' is at_risk since '
            || cast(cast({{ dbt.dateadd('day', var('lifecycle_active_days') + 1, 'a.last_purchase_date') }} as date) as {{ dbt.type_string() }})
            || ': last purchase ' || a.days_since_last_purchase || ' days ago (' || cast(a.last_purchase_date as {{ dbt.type_string() }})
            || '; active up to ' || {{ var('lifecycle_active_days') }} || ' days), '
            || {{ money_text('coalesce(a.purchases_365d, 0)') }} || ' purchased in the last ' || {{ var('rfm_window_days') }} || ' days'
            as detail,
        cast(a.days_since_last_purchase as {{ type_double() }}) as metric_value,
        {{ var('lifecycle_active_days') }}.0 as threshold
    from accounts as a
    where a.lifecycle_stage = 'at_risk' and a.abc_class in {{ sql_list_raw(var('at_risk_alert_abc_classes')) }}
),

low_satisfaction as (
    select
        'low_satisfaction' as alert_type,
        cast(null as {{ dbt.type_string() }}) as severity_override,
        account_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        owner_rep_id as rep_id,
        owner_rep_id,
        account_id as entity_key,
        'tier ' || tier || ' account ''' || account_name || ''': satisfaction ' || {{ number_text('satisfaction', 2) }}
            || ' over ' || satisfaction_responses || ' response(s) in ' || {{ var('satisfaction_window_days') }}
            || ' days (threshold ' || {{ format_number(var('low_satisfaction_threshold'), 2) }} || ')' as detail,
        satisfaction as metric_value,
        {{ var('low_satisfaction_threshold') }} as threshold
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
        'revenue_concentration' as alert_type,
        cast(null as {{ dbt.type_string() }}) as severity_override,
        cast(null as {{ dbt.type_string() }}) as account_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        cast(null as {{ dbt.type_string() }}) as rep_id,
        cast(null as {{ dbt.type_string() }}) as owner_rep_id,
        'company' as entity_key,
        'top {{ var("concentration_top_n") }} of ' || accounts_with_bookings || ' accounts hold '
            || {{ format_number('100 * top_bookings / total_bookings', 1) }} || '% of bookings in the last '
            || {{ var('rfm_window_days') }} || ' days (' || {{ money_text('top_bookings') }} || ' of '
            || {{ money_text('total_bookings') }} || '; threshold '
            || {{ format_number(100 * var('concentration_max_share'), 1) }} || '%)' as detail,
        top_bookings / total_bookings as metric_value,
        {{ var('concentration_max_share') }} as threshold
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
        'low_coverage' as alert_type,
        cast(null as {{ dbt.type_string() }}) as severity_override,
        cast(null as {{ dbt.type_string() }}) as account_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        rep_id,
        rep_id as owner_rep_id,
        rep_id as entity_key,
        period_type || ' from ' || cast(period_start as {{ dbt.type_string() }}) || ': pipeline due '
            || {{ money_text('pipeline_due') }} || ' / remaining target ' || {{ money_text('remaining_target') }}
            || ' = coverage ' || {{ format_number('pipeline_coverage', 2) }} || ' < 1 / win rate '
            || {{ format_number('reference_win_rate', 2) }} || ' = ' || {{ format_number('1 / reference_win_rate', 2) }}
            as detail,
        pipeline_coverage as metric_value,
        1 / reference_win_rate as threshold
    from rep_coverage
    where remaining_target > 0
      and reference_win_rate > 0
      and pipeline_coverage < 1 / reference_win_rate
),

{%- set rule_columns = ['alert_type', 'severity_override', 'account_id', 'opportunity_id', 'rep_id', 'owner_rep_id',
                         'entity_key', 'detail', 'metric_value', 'threshold'] %}
unioned as (
    -- every rule CTE names each of these columns; they are unioned by name (macros/union.sql)
    {{ union_by_name(['stale_deal', 'overdue_deal', 'neglected_account', 'at_risk_high_value', 'low_satisfaction',
                      'revenue_concentration', 'low_coverage', 'no_activity_export'], rule_columns) }}
),

valued as (
    -- what is at stake, for ranking: the deal's amount, else the account's value (bookings + pipeline)
    select
        u.*,
        coalesce(r.rule, u.alert_type) as rule,
        coalesce(u.severity_override, r.default_severity) as severity,
        coalesce(d.amount_value, a.bookings_365d + a.open_pipeline, 0) as amount_at_stake
    from unioned as u
    left join rules as r on r.alert_type = u.alert_type
    left join {{ ref('int_opportunities') }} as d on d.opportunity_id = u.opportunity_id
    left join accounts as a on a.account_id = u.account_id and u.opportunity_id is null
),

ranked as (
    select
        v.*,
        case v.severity when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end as severity_rank,
        count(*) over (partition by v.alert_type) as fired,
        row_number() over (
            partition by v.alert_type
            order by case v.severity when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end,
                     v.amount_at_stake desc, v.entity_key
        ) as rank_in_rule
    from valued as v
),

flooding as (
    -- an account rule firing for more than alert_flood_share of all accounts is noise: it is
    -- summarised in one alert and only its top alert_flood_top_n (by severity, then amount) are kept
    select alert_type, max(fired) as fired, max(rule) as rule
    from ranked
    where account_id is not null
    group by alert_type
    having max(fired) > {{ var('alert_flood_top_n') }}
       and max(fired) > {{ var('alert_flood_share') }} * (select count(*) from accounts)
),

listed as (
    select *
    from ranked
    where alert_type not in (select alert_type from flooding) or rank_in_rule <= {{ var('alert_flood_top_n') }}
),

rule_summary as (
    select
        'rule_summary' as alert_type,
        f.alert_type as entity_key,
        'info' as severity,
        cast(null as {{ dbt.type_string() }}) as account_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        cast(null as {{ dbt.type_string() }}) as rep_id,
        cast(null as {{ dbt.type_string() }}) as owner_rep_id,
        f.rule,
        f.alert_type || ' fired for ' || cast(f.fired as {{ dbt.type_string() }}) || ' of '
            || cast((select count(*) from accounts) as {{ dbt.type_string() }}) || ' accounts: only the top '
            || cast({{ var('alert_flood_top_n') }} as {{ dbt.type_string() }}) || ' by severity and amount are listed'
            as detail,
        cast(f.fired as {{ type_double() }}) as metric_value,
        cast({{ var('alert_flood_share') }} as {{ type_double() }}) as threshold,
        cast(0 as {{ type_double() }}) as amount_at_stake,
        4 as severity_rank
    from flooding as f
),

kept as (
    {{ union_by_name(['listed', 'rule_summary'], ['alert_type', 'entity_key', 'severity', 'account_id',
                      'opportunity_id', 'rep_id', 'owner_rep_id', 'rule', 'detail', 'metric_value', 'threshold',
                      'amount_at_stake', 'severity_rank']) }}
),

final as (
    select
        {{ as_of() }} as as_of_date,
        alert_type || ':' || entity_key as alert_id,
        alert_type,
        severity,
        account_id,
        opportunity_id,
        rep_id,
        owner_rep_id,
        rule,
        detail,
        {{ r4('metric_value') }} as metric_value,
        {{ r4('threshold') }} as threshold,
        {{ r2('amount_at_stake') }} as amount_at_stake,
        row_number() over (order by severity_rank, amount_at_stake desc, alert_type, entity_key) as alert_rank
    from kept
)

-- every money figure of a row is in its currency: the reporting currency (var reporting_currency)
select *, {{ reporting_currency() }} as currency from final
order by alert_type, alert_id
