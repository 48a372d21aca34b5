-- Account reference resolution table: (source_system, key_type id|name, match_key)
-- -> account_id. Deals, orders and feedback that name an account missing from the
-- accounts export get a synthetic account (by their account_ref_id, else
-- <source>:name:<normalised name>) so every purchase and deal has an account and
-- every account gets a tier.
with

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

by_id as (
    select source_system, 'id' as key_type, source_record_id as match_key, account_id
    from accounts
),

by_name as (
    select source_system, 'name' as key_type, account_name_norm as match_key, min(account_id) as account_id
    from accounts
    where account_name_norm is not null
    group by source_system, account_name_norm
),

known as (
    select * from by_id
    union all
    select * from by_name
),

references_ as (
    select source_system, account_ref_id, account_name, account_name_norm from {{ ref('stg_crm__opportunities') }}
    union all
    select source_system, account_ref_id, account_name, account_name_norm from {{ ref('stg_crm__orders') }}
    union all
    select source_system, account_ref_id, account_name, account_name_norm from {{ ref('stg_crm__feedback') }}
),

unresolved as (
    select r.*
    from references_ as r
    left join known as k_id
        on k_id.source_system = r.source_system and k_id.key_type = 'id' and k_id.match_key = r.account_ref_id
    left join known as k_name
        on k_name.source_system = r.source_system and k_name.key_type = 'name' and k_name.match_key = r.account_name_norm
    where k_id.account_id is null
      and k_name.account_id is null
      and (r.account_ref_id is not null or r.account_name_norm is not null)
),

synthetic_by_id as (
    -- a reference id the accounts export does not know: the id names the account
    select
        source_system,
        'id' as key_type,
        account_ref_id as match_key,
        {{ canonical_id('source_system', 'account_ref_id') }} as account_id,
        min(account_name) as account_name
    from unresolved
    where account_ref_id is not null
    group by 1, 2, 3, 4
),

synthetic_by_name as (
    -- an unknown name: the same account as an unknown id carrying that name, if any,
    -- else <source>:name:<normalised name>
    select
        source_system,
        'name' as key_type,
        account_name_norm as match_key,
        coalesce(
            min(case when account_ref_id is not null then {{ canonical_id('source_system', 'account_ref_id') }} end),
            source_system || ':name:' || account_name_norm
        ) as account_id,
        min(account_name) as account_name
    from unresolved
    where account_name_norm is not null
    group by 1, 2, 3
),

synthetic as (
    select * from synthetic_by_id
    union all
    select * from synthetic_by_name
),

final as (
    select source_system, key_type, match_key, account_id, false as is_synthetic, cast(null as {{ dbt.type_string() }}) as account_name
    from known
    union all
    select source_system, key_type, match_key, account_id, true, account_name
    from synthetic
)

select * from final
