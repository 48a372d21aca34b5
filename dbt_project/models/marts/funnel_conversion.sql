{{ config(**history_config()) }}
-- Funnel per as-of date (history) at company / team / rep level (see int_funnel):
-- reached counts deals only (reached(1) = deals in the window); unconverted leads
-- are reported on the stage-1 row in leads_reached / reached_incl_leads.
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
        {{ r4('conversion_rate') }} as conversion_rate,
        is_bottleneck_candidate,
        is_bottleneck
    from funnel
)

select * from final
order by level, level_key, stage_order
