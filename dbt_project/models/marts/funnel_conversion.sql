{{ config(**history_config()) }}
-- Funnel per as-of date (history) at company / team / rep level (see int_funnel):
-- reached counts deals only (reached(1) = deals in the window); unconverted leads
-- are reported on the stage-1 row in leads_reached / reached_incl_leads. A bottleneck
-- is only flagged on a stage that loses deals (conversion below 100 % and below var
-- funnel_bottleneck_max_conversion); none when every stage converts fully.
with

funnel as (
    select * from {{ ref('int_funnel') }}
),

final as (
    select
        {{ as_of() }} as as_of_date,
        level,
        level_key,
        stage_order,
        stage,
        reached,
        leads_reached,
        reached_incl_leads,
        reached_next,
        conversion_rate,   -- rounded by r4 in int_funnel
        is_bottleneck_candidate,
        is_bottleneck
    from funnel
)

select * from final
order by level, level_key, stage_order
