-- Every version of every deal with its raw stage / status mapped through the seeds.
-- reached_order is the canonical stage the version shows (a won version reached
-- every stage; a lost version with no stage shows none).
with

versions as (
    select * from {{ ref('stg_crm__opportunity_versions') }}
),

stages as (
    select * from {{ ref('stages') }}
),

won_stage as (
    -- a won deal reached every stage: the last one
    select stage, stage_order from stages where stage_order = (select max(stage_order) from stages)
),

mapped as (
    select
        v.opportunity_id,
        v.source_system,
        v.export_date,
        v.modified_at,
        v.stage_changed_at,
        v.version_rank,
        v.stage_raw,
        v.status_raw,
        {{ source_map_matched('sm', 'stage_raw') }} as is_stage_mapped,
        {{ source_map_value('sm', 'stage_raw', 'stage') }} as mapped_stage,
        {{ source_map_value('sm', 'stage_raw', 'default_probability') }} as default_probability,
        -- won / lost: the status (Fxiaoke 阶段状态) or the stage (Zoho Closed Won / Lost) says so
        (
            coalesce({{ source_map_value('st', 'status_raw', 'is_won') }}, false)
            or coalesce({{ source_map_value('sm', 'stage_raw', 'is_won') }}, false)
        ) as is_won_flag,
        (
            coalesce({{ source_map_value('st', 'status_raw', 'is_lost') }}, false)
            or coalesce({{ source_map_value('sm', 'stage_raw', 'is_lost') }}, false)
        ) as is_lost_flag,
        coalesce({{ source_map_value('st', 'status_raw', 'is_void') }}, false) as is_void
    from versions as v
    {{ join_source_map('sm', 'int_stage_map', 'stage_raw', 'v.source_system', 'v.stage_raw') }}
    {{ join_source_map('st', 'int_status_map', 'status_raw', 'v.source_system', 'v.status_raw') }}
),

final as (
    select
        mapped.opportunity_id,
        mapped.source_system,
        mapped.export_date,
        mapped.modified_at,
        mapped.stage_changed_at,
        mapped.version_rank,
        mapped.stage_raw,
        mapped.status_raw,
        mapped.is_stage_mapped,
        mapped.mapped_stage,
        mapped.default_probability,
        mapped.is_void,
        mapped.is_won_flag as is_won,
        mapped.is_lost_flag and not mapped.is_won_flag as is_lost,
        case when mapped.is_won_flag then won_stage.stage else mapped.mapped_stage end as stage,
        case when mapped.is_won_flag then won_stage.stage_order else stages.stage_order end as reached_order
    from mapped
    cross join won_stage
    left join stages on stages.stage = mapped.mapped_stage
)

select * from final
