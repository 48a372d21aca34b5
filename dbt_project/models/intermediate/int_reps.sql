-- One row per rep: the roster row in force on the run date (valid_from / valid_to
-- record team changes), else the rep's latest row (marked inactive).
with

roster as (
    select * from {{ ref('stg_reference__reps') }}
),

ranked as (
    select
        *,
        (
            coalesce(valid_from, date '0001-01-01') <= {{ as_of() }}
            and coalesce(valid_to, date '9999-12-31') >= {{ as_of() }}
        ) as is_in_force,
        row_number() over (
            partition by rep_id
            order by
                (coalesce(valid_from, date '0001-01-01') <= {{ as_of() }}
                 and coalesce(valid_to, date '9999-12-31') >= {{ as_of() }}) desc,
                valid_from desc nulls last,
                source_line desc
        ) as row_rank
    from roster
),

managers as (
    select distinct manager_rep_id as rep_id
    from roster
    where manager_rep_id is not null
),

final as (
    select
        ranked.rep_id,
        ranked.rep_name,
        ranked.rep_name_norm,
        ranked.manager_rep_id,
        ranked.team,
        ranked.region,
        ranked.hire_date,
        ranked.level,
        ranked.is_in_force as is_active,
        managers.rep_id is not null as is_manager,
        case
            when ranked.hire_date is not null
                then {{ dbt.datediff('ranked.hire_date', as_of(), 'month') }}
        end as tenure_months
    from ranked
    left join managers on managers.rep_id = ranked.rep_id
    where ranked.row_rank = 1
)

select * from final
