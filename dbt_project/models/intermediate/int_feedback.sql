-- Feedback with account resolved, score normalised to 0-1 (csat_1_5: (s-1)/4,
-- nps_0_10: s/10) and credited to the rep who owned the account when it came
-- (SPEC §4): the account's owner in the latest account version exported on or
-- before the first export that carried the feedback; if that owner is unknown
-- (no such version, or its owner does not resolve to the roster), the account's
-- current owner; for an account with no owner at all, the feedback's own owner
-- field (Case Owner / 负责人) when it names a roster rep.
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
        case
            when r.scale = 'csat_1_5' then least(greatest((r.score - 1) / 4.0, 0.0), 1.0)
            when r.scale = 'nps_0_10' then least(greatest(r.score / 10.0, 0.0), 1.0)
        end as score_normalized,
        case when r.scale = 'nps_0_10' then r.score >= 9 end as is_promoter,
        case when r.scale = 'nps_0_10' then r.score <= 6 end as is_detractor,
        r.received_date <= {{ as_of() }} and r.score is not null as is_counted
    from resolved as r
    left join version_at_feedback as v on v.feedback_id = r.feedback_id and v.pick = 1
    left join {{ ref('int_accounts') }} as a on a.account_id = r.account_id
)

select * from final
