-- Feedback with account resolved, its score read on its scale (seed feedback_scales:
-- normalised to 0-1 as (s - min) / (max - min), promoter / detractor on NPS scales; an
-- unknown scale leaves them NULL and is_nps_response false) and credited to the rep who
-- owned the account when it came (SPEC §4): the account's owner in the latest account
-- version exported on or before the first export that carried the feedback; if that
-- owner is unknown (no such version, or its owner does not resolve to the roster), the
-- account's current owner; for an account with no owner at all, the feedback's own
-- owner field (Case Owner / 负责人) when it names a roster rep.
with

feedback as (
    select * from {{ ref('stg_crm__feedback') }}
),

resolved as (
    select
        f.feedback_id,
        f.source_system,
        f.source_record_id,
        {{ resolved_account('f') }} as account_id,
        {{ resolved_rep('f') }} as feedback_owner_rep_id,
        f.received_at,
        cast(f.received_at as date) as received_date,
        f.first_export_date,
        f.channel,
        f.score,
        f.scale,
        f.comment
    from feedback as f
    {{ join_account('f', 'f.source_system', 'f.account_ref_id', 'f.account_name_norm') }}
    {{ join_rep('f', 'null', 'f.owner_name') }}
),

owner_versions as (
    select
        v.account_id,
        v.export_date,
        v.version_rank,
        {{ resolved_rep('v') }} as owner_rep_id
    from {{ ref('stg_crm__account_versions') }} as v
    {{ join_rep('v', 'v.owner_id', 'v.owner_name') }}
),

version_at_feedback as (
    -- the account version in force when the feedback was first exported
    select
        r.feedback_id,
        ov.owner_rep_id,
        row_number() over (
            partition by r.feedback_id
            order by ov.export_date desc, ov.version_rank
        ) as pick
    from resolved as r
    inner join owner_versions as ov
        on ov.account_id = r.account_id
        and ov.export_date <= r.first_export_date
),

final as (
    select
        r.*,
        coalesce(v.owner_rep_id, a.owner_rep_id, r.feedback_owner_rep_id) as rep_id,
        case
            when v.owner_rep_id is not null then 'account_owner_at_feedback'
            when a.owner_rep_id is not null then 'current_account_owner'
            when r.feedback_owner_rep_id is not null then 'feedback_owner'
        end as rep_attribution,
        -- the case keeps NULL a NULL: greatest() / least() skip NULLs on some engines (DuckDB, Postgres)
        case when r.score is not null and fs.scale is not null
             then least(greatest((r.score - fs.min_score) / (fs.max_score - fs.min_score), 0.0), 1.0)
        end as score_normalized,
        case when fs.promoter_min_score is not null then r.score >= fs.promoter_min_score end as is_promoter,
        case when fs.detractor_max_score is not null then r.score <= fs.detractor_max_score end as is_detractor,
        coalesce(fs.promoter_min_score is not null, false) as is_nps_response,
        r.received_date <= {{ as_of() }} and r.score is not null as is_counted
    from resolved as r
    left join version_at_feedback as v on v.feedback_id = r.feedback_id and v.pick = 1
    left join {{ ref('int_accounts') }} as a on a.account_id = r.account_id
    left join {{ ref('feedback_scales') }} as fs on fs.scale = r.scale
)

select * from final
