-- Feedback with account resolved, score normalised to 0-1 (csat_1_5: (s-1)/4,
-- nps_0_10: s/10) and credited to the rep who owned the account when it came:
-- the feedback's own owner if it names a roster rep, else the account owner in the
-- latest account version exported on or before the feedback date (else the
-- earliest version), else the current account owner.
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
        {{ resolved_rep('f') }} as feedback_rep_id,
        f.received_at,
        cast(f.received_at as date) as received_date,
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
        {{ resolved_rep('v') }} as owner_rep_id
    from {{ ref('stg_crm__account_versions') }} as v
    {{ join_rep('v', 'v.owner_id', 'v.owner_name') }}
),

owner_at_time as (
    select distinct on (r.feedback_id)
        r.feedback_id,
        ov.owner_rep_id
    from resolved as r
    inner join owner_versions as ov
        on ov.account_id = r.account_id and ov.owner_rep_id is not null
    -- versions on or before the feedback first (latest of them), then the earliest after
    order by
        r.feedback_id,
        (ov.export_date <= r.received_date) desc,
        case when ov.export_date <= r.received_date then ov.export_date end desc,
        ov.export_date asc
),

final as (
    select
        r.*,
        coalesce(r.feedback_rep_id, oat.owner_rep_id, a.owner_rep_id) as rep_id,
        case
            when r.scale = 'csat_1_5' then least(greatest((r.score - 1) / 4.0, 0.0), 1.0)
            when r.scale = 'nps_0_10' then least(greatest(r.score / 10.0, 0.0), 1.0)
        end as score_normalized,
        case when r.scale = 'nps_0_10' then r.score >= 9 end as is_promoter,
        case when r.scale = 'nps_0_10' then r.score <= 6 end as is_detractor,
        r.received_date <= {{ as_of() }} and r.score is not null as is_counted
    from resolved as r
    left join owner_at_time as oat on oat.feedback_id = r.feedback_id
    left join {{ ref('int_accounts') }} as a on a.account_id = r.account_id
)

select * from final
