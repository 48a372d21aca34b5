-- One row per rep: the roster row that credits the run date (int_rep_roster: the
-- row in force, else the latest row that started before it, else the first row).
-- is_active: that row's valid_from / valid_to include the run date.
with

roster as (
    select * from {{ ref('int_rep_roster') }}
),

current_row as (
    select *
    from roster
    where {{ as_of() }} between attribution_from and attribution_to
),

final as (
    select
        rep_id,
        rep_name,
        {{ normalize_name('rep_name') }} as rep_name_norm,
        manager_rep_id,
        team,
        region,
        hire_date,
        level,
        valid_from,
        valid_to,
        (
            coalesce(valid_from, cast('0001-01-01' as date)) <= {{ as_of() }}
            and coalesce(valid_to, cast('9999-12-31' as date)) >= {{ as_of() }}
        ) as is_active,
        is_manager,
        case
            when hire_date is not null
                then {{ dbt.datediff('hire_date', as_of(), 'month') }}
        end as tenure_months
    from current_row
)

select * from final
