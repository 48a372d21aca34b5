-- The roster every rep rule reads: reference/reps.csv when it has rows, else a roster
-- derived from the CRM owners (SPEC §2): each distinct owner becomes a rep, rep_id =
-- the owner id when the export has one, else the normalised owner name; rep_name = the
-- owner name; team = the source it came from. So an export without a roster still
-- ranks its reps instead of collapsing them into `unassigned` (which stays for rows
-- with no owner at all). The test `roster_is_derived` warns when this happens.
with

roster as (
    select * from {{ ref('stg_reference__reps') }}
),

owners as (
    {% for model in ['stg_crm__opportunities', 'stg_crm__accounts', 'stg_crm__leads'] %}
    select source_system, owner_id, owner_name from {{ ref(model) }}
    union all
    {% endfor %}
    {% for model in ['stg_crm__activities', 'stg_crm__orders', 'stg_crm__feedback'] %}
    select source_system, cast(null as {{ dbt.type_string() }}) as owner_id, owner_name from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

by_id as (
    select
        owner_id as rep_id,
        coalesce(min(owner_name), owner_id) as rep_name,  -- an owner known by id only is named by it
        min(source_system) as team
    from owners
    where owner_id is not null
    group by owner_id
),

by_name as (
    -- owners known by name only, unless an owner with an id already carries that name
    select
        {{ normalize_name('o.owner_name') }} as rep_id,
        min(o.owner_name) as rep_name,
        min(o.source_system) as team
    from owners as o
    where o.owner_id is null
      and o.owner_name is not null
      and {{ normalize_name('o.owner_name') }} not in (
          select {{ normalize_name('rep_name') }} from by_id where rep_name is not null
      )
    group by {{ normalize_name('o.owner_name') }}
),

derived as (
    select * from by_id
    union all
    select * from by_name
),

final as (
    select
        rep_id, rep_name, rep_name_norm, manager_rep_id, team, region, hire_date, level,
        valid_from, valid_to, export_date, source_file, source_line,
        false as is_derived
    from roster

    union all

    select
        rep_id,
        rep_name,
        {{ normalize_name('rep_name') }} as rep_name_norm,
        cast(null as {{ dbt.type_string() }}) as manager_rep_id,
        team,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as date) as hire_date,
        cast(null as {{ dbt.type_string() }}) as level,
        cast(null as date) as valid_from,
        cast(null as date) as valid_to,
        cast(null as date) as export_date,
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(row_number() over (order by rep_id) as bigint) as source_line,
        true as is_derived
    from derived
    where not exists (select 1 from roster)
)

select * from final
