{{ config(**history_config()) }}
-- Funnel per as-of date (history) at company / team / rep level (see int_funnel).
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
        deals_reached,
        leads_reached,
        {{ r4('conversion_rate') }} as conversion_rate,
        is_bottleneck
    from funnel
)

select * from final
order by level, level_key, stage_order
