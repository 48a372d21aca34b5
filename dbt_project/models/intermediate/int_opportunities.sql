-- The deal fact as of the run date: latest version + stage history + activity.
-- Business rules are named flags computed once here and reused downstream:
--   is_open / is_won / is_lost (exactly one), is_closed, is_void
--   furthest_stage   highest stage any exported version reached (won: all stages)
--   is_stale         open and days since the last activity or stage change > the stage's stale_days
--   is_overdue       open and the expected close date is before the run date
--   days_open        open: created -> run date; closed: created -> closed
--   cycle_days       closed: created -> closed (NULL when closed before created: has_negative_cycle)
--   attribution_date closed: closed_date; open: the run date. attributed_team / _region /
--                    _manager_rep_id are the owner's roster row on that date.
with

deals as (
    select * from {{ ref('stg_crm__opportunities') }}
),

refs as (
    select * from {{ ref('int_opportunity_refs') }}
),

versions as (
    select * from {{ ref('int_opportunity_versions') }}
),

stages as (
    select * from {{ ref('stages') }}
),

won_stage as (
    -- a won deal reached every stage: the last one
    select max(stage_order) as stage_order from stages
),

current_version as (
    select * from versions where version_rank = 1
),

history as (
    -- furthest stage any version reached (won -> all stages)
    select
        opportunity_id,
        max(reached_order) as max_reached_order,
        count(*) as version_count,
        -- the first export that showed the deal closed: when it closed, if nothing better says so
        min(case when is_won or is_lost then export_date end) as first_closed_export_date
    from versions
    group by opportunity_id
),

current_stage_since as (
    -- when the current stage was entered, as far as the exports show: the first export
    -- showing the current stage, but only if an earlier export showed another stage
    -- (a deal seen at one stage only may have entered it any time since creation)
    select
        v.opportunity_id,
        min(case when coalesce(lower(v.stage_raw), '') = coalesce(lower(c.stage_raw), '')
                      and coalesce(lower(v.status_raw), '') = coalesce(lower(c.status_raw), '') then coalesce(v.modified_at, cast(v.export_date as timestamp)) end) as first_seen_at,
        max(case when coalesce(lower(v.stage_raw), '') <> coalesce(lower(c.stage_raw), '')
                   or coalesce(lower(v.status_raw), '') <> coalesce(lower(c.status_raw), '')
                 then 1 else 0 end) = 1 as has_observed_change
    from versions as v
    inner join current_version as c on c.opportunity_id = v.opportunity_id
    group by v.opportunity_id
),

deal_activity as (
    -- last counted activity logged against the deal
    select opportunity_id, max(occurred_at) as last_activity_at, count(*) as activity_count
    from {{ ref('int_activities') }}
    where is_counted and opportunity_id is not null
    group by opportunity_id
),

account_activity as (
    -- activities on the account not tied to any deal also touch its deals
    select account_id, max(occurred_at) as last_activity_at
    from {{ ref('int_activities') }}
    where is_counted and opportunity_id is null and account_id is not null
    group by account_id
),

joined as (
    select
        d.opportunity_id,
        d.source_system,
        d.source_record_id,
        d.opportunity_name,
        refs.account_id,
        d.account_name as account_name_raw,
        refs.owner_rep_id,
        d.owner_name,
        d.owner_department,
        d.deal_type,
        coalesce(d.lead_source, lead.lead_lead_source) as lead_source,
        lead.lead_id,
        d.amount,
        d.currency,
        d.stage_raw,
        d.status_raw,
        c.is_stage_mapped,
        c.is_won,
        c.is_lost,
        c.is_void,
        c.reached_order as current_order,
        coalesce(d.probability, c.default_probability) as raw_probability,
        d.probability as probability_exported,
        cast(coalesce(d.created_at, lead.lead_created_at) as date) as created_date,
        coalesce(d.created_at, lead.lead_created_at) as created_at,
        d.close_date,
        d.stage_changed_at,
        d.modified_at,
        d.lost_reason,
        d.export_date as last_export_date,
        history.max_reached_order,
        history.version_count,
        history.first_closed_export_date,
        coalesce(
            d.stage_changed_at,
            case when since.has_observed_change then since.first_seen_at end,
            d.created_at,
            lead.lead_created_at
        ) as stage_entered_at,
        {{ greatest_non_null(['deal_activity.last_activity_at', 'account_activity.last_activity_at']) }} as last_activity_at,
        coalesce(deal_activity.activity_count, 0) as deal_activity_count
    from deals as d
    inner join current_version as c on c.opportunity_id = d.opportunity_id
    left join refs on refs.opportunity_id = d.opportunity_id
    left join {{ ref('int_lead_links') }} as lead on lead.opportunity_id = d.opportunity_id
    left join history on history.opportunity_id = d.opportunity_id
    left join current_stage_since as since on since.opportunity_id = d.opportunity_id
    left join deal_activity on deal_activity.opportunity_id = d.opportunity_id
    left join account_activity on account_activity.account_id = refs.account_id
),

staged as (
    select
        joined.*,
        not joined.is_won and not joined.is_lost as is_open,
        -- furthest stage: won -> 6; else the highest stage any version showed; a lost
        -- deal never seen at a stage gets var lost_deal_default_stage; an open deal with
        -- an unmapped stage counts as lead_identified
        case
            when joined.is_won then (select stage_order from won_stage)
            when joined.max_reached_order is not null then joined.max_reached_order
            when joined.is_lost then (select stage_order from stages where stage = '{{ var("lost_deal_default_stage") }}')
            else (select min(stage_order) from stages)
        end as furthest_order
    from joined
),

with_stage as (
    select
        staged.*,
        -- current stage: won -> closed_won; lost keeps its furthest stage; open -> its mapped stage
        case
            when staged.is_won then (select stage_order from won_stage)
            when staged.is_lost then staged.furthest_order
            else coalesce(staged.current_order, staged.furthest_order)
        end as stage_order,
        -- when a closed deal closed: its close date, else its stage change, else its last
        -- modification, else the first export that showed it closed; never after the run date
        case
            when not staged.is_open then least(
                coalesce(staged.close_date, cast(staged.stage_changed_at as date),
                         cast(staged.modified_at as date), staged.first_closed_export_date,
                         staged.last_export_date),
                {{ as_of() }}
            )
        end as closed_date,
        case
            when staged.is_open then null
            when staged.close_date is not null then 'close_date'
            when staged.stage_changed_at is not null then 'stage_changed_at'
            when staged.modified_at is not null then 'modified_at'
            else 'first_closed_export'
        end as close_date_source
    from staged
),

final as (
    select
        w.opportunity_id,
        w.source_system,
        w.source_record_id,
        w.opportunity_name,
        w.account_id,
        w.account_name_raw,
        w.owner_rep_id,
        w.owner_name,
        w.owner_department,
        w.deal_type,
        w.lead_source,
        w.lead_id,
        {{ to_reporting('w.amount', 'w', 'w.currency', 'w.fx_date') }} as amount,
        coalesce({{ to_reporting('w.amount', 'w', 'w.currency', 'w.fx_date') }}, 0) as amount_value,
        {{ reporting_currency() }} as currency,
        w.amount as amount_original,
        upper(coalesce(w.currency, {{ reporting_currency() }})) as currency_original,
        w.fx_date,
        w.stage_raw,
        w.status_raw,
        current_stage.stage,
        w.stage_order,
        furthest.stage as furthest_stage,
        w.furthest_order as furthest_stage_order,
        w.is_stage_mapped,
        w.is_open,
        w.is_won,
        w.is_lost,
        w.is_void,
        case
            when w.is_won then 100.0
            when w.is_lost then 0.0
            else least(greatest(coalesce(w.raw_probability, 0.0), 0.0), 100.0)
        end as probability,
        w.probability_exported,
        w.created_at,
        w.created_date,
        w.close_date,
        w.closed_date,
        w.close_date_source,
        w.stage_entered_at,
        w.last_activity_at,
        w.deal_activity_count,
        {{ greatest_non_null(['w.stage_entered_at', 'w.last_activity_at', 'w.created_at']) }} as last_touch_at,
        w.lost_reason,
        w.version_count,
        w.last_export_date,
        w.modified_at,
        current_stage.stale_days
    from (
        -- money is converted at the rate of the close date (open deals: the run date)
        select with_stage.*, coalesce(with_stage.closed_date, {{ as_of() }}) as fx_date from with_stage
    ) as w
    {{ join_fx('w', 'w.currency', 'w.fx_date') }}
    left join stages as current_stage on current_stage.stage_order = w.stage_order
    left join stages as furthest on furthest.stage_order = w.furthest_order
),

flagged as (
    select
        *,
        not is_open as is_closed,
        amount_value * probability / 100.0 as weighted_amount,
        case when is_open then {{ days_between('created_date', as_of()) }}
             else {{ days_between('created_date', 'closed_date') }} end as days_open,
        -- a deal closed before it was created is an impossible fact: flagged (a warning check lists
        -- them) and its cycle left out of every average
        not is_open and created_date > closed_date as has_negative_cycle,
        case when not is_open and created_date <= closed_date
             then {{ days_between('created_date', 'closed_date') }} end as cycle_days,
        {{ days_between('last_touch_at', as_of()) }} as days_since_touch,
        is_open and close_date < {{ as_of() }} as is_overdue,
        is_open and {{ days_between('last_touch_at', as_of()) }} > stale_days as is_stale,
        -- the date whose roster decides the deal's team / region / manager: a closed deal
        -- counts for the team its owner was in when it closed, an open deal for today's
        case when is_open then {{ as_of() }} else closed_date end as attribution_date
    from final
)

select
    f.*,
    r.team as attributed_team,
    r.region as attributed_region,
    r.manager_rep_id as attributed_manager_rep_id
from flagged as f
left join {{ ref('int_rep_roster') }} as r
    on r.rep_id = f.owner_rep_id
    and f.attribution_date between r.attribution_from and r.attribution_to
