-- Every account of every source: the accounts exports plus synthetic accounts for
-- deals / orders / feedback naming an account the export does not have.
-- Owner: the account's CRM owner resolved to the roster, else the owner of the
-- account's most recent deal. Size band from employees, else annual revenue.
-- annual_revenue is in the reporting currency (converted at the as-of date's rate, like
-- open deals); annual_revenue_original / currency_original keep what the export said.
-- is_owner_unknown: the export names an owner the roster does not know (a warning lists them).
with

exported as (
    select * from {{ ref('stg_crm__accounts') }}
),

synthetic as (
    select account_id, source_system, match_key, account_name
    from (
        select
            *,
            row_number() over (partition by account_id order by key_type, match_key) as pick
        from {{ ref('int_account_lookup') }}
        where is_synthetic
    ) as keys
    where pick = 1
),

size_bands as (
    select * from {{ ref('size_bands') }}
),

latest_deal_owner as (
    select account_id, owner_rep_id
    from (
        select
            r.account_id,
            r.owner_rep_id,
            row_number() over (
                partition by r.account_id
                order by o.created_at desc nulls last, r.opportunity_id desc
            ) as pick
        from {{ ref('int_opportunity_refs') }} as r
        inner join {{ ref('stg_crm__opportunities') }} as o on o.opportunity_id = r.opportunity_id
        where r.account_id is not null and r.owner_rep_id is not null
    ) as deals
    where pick = 1
),

deal_attributes as (
    -- what deals say about their account (exports without an accounts file): the latest deal
    -- that carries any of it; an accounts export, when present, wins
    select account_id, account_industry, account_region, account_type, account_employees, account_annual_revenue,
           account_currency
    from (
        select
            r.account_id,
            o.account_industry,
            o.account_region,
            o.account_type,
            o.account_employees,
            o.account_annual_revenue,
            o.currency as account_currency,
            row_number() over (
                partition by r.account_id
                order by o.modified_at desc nulls last, o.created_at desc nulls last, r.opportunity_id desc
            ) as pick
        from {{ ref('int_opportunity_refs') }} as r
        inner join {{ ref('stg_crm__opportunities') }} as o on o.opportunity_id = r.opportunity_id
        where r.account_id is not null
          and coalesce(o.account_industry, o.account_region, o.account_type,
                       cast(o.account_employees as {{ dbt.type_string() }}),
                       cast(o.account_annual_revenue as {{ dbt.type_string() }})) is not null
    ) as deals
    where pick = 1
),

combined as (
    select
        e.account_id,
        e.source_system,
        e.source_record_id,
        e.account_name,
        e.owner_name,
        {{ resolved_rep('e') }} as crm_owner_rep_id,
        coalesce(e.owner_id, e.owner_name) is not null and {{ resolved_rep('e') }} is null as is_owner_unknown,
        coalesce(e.industry, da.account_industry) as industry,
        coalesce(e.employees, da.account_employees) as employees,
        coalesce(e.annual_revenue, da.account_annual_revenue) as annual_revenue_original,
        case when e.annual_revenue is not null then e.currency else da.account_currency end as revenue_currency,
        coalesce(e.region, da.account_region) as region,
        e.crm_rating,
        coalesce(e.account_type, da.account_type) as account_type,
        e.deal_status,
        e.last_activity_at as crm_last_activity_at,
        e.created_at,
        false as is_synthetic
    from exported as e
    {{ join_rep('e', 'e.owner_id', 'e.owner_name') }}
    left join deal_attributes as da on da.account_id = e.account_id

    union all

    select
        s.account_id,
        s.source_system,
        null,
        coalesce(s.account_name, s.match_key),
        null, null, false,
        da.account_industry, da.account_employees, da.account_annual_revenue, da.account_currency, da.account_region,
        null, da.account_type,
        null, null, null,
        true
    from synthetic as s
    left join deal_attributes as da on da.account_id = s.account_id
),

unioned as (
    select
        c.*,
        {{ to_reporting('c.annual_revenue_original', 'c', 'c.revenue_currency', as_of()) }} as annual_revenue
    from combined as c
    {{ join_fx('c', 'c.revenue_currency', as_of()) }}
),

sized as (
    -- first band (by band_order) whose minimum the account meets
    select account_id, size_band
    from (
        select
            u.account_id,
            b.size_band,
            row_number() over (partition by u.account_id order by b.band_order) as pick
        from unioned as u
        inner join size_bands as b
            on (u.employees is not null and b.min_employees is not null and u.employees >= b.min_employees)
            or (u.employees is null and u.annual_revenue is not null
                and b.min_annual_revenue is not null and u.annual_revenue >= b.min_annual_revenue)
    ) as bands
    where pick = 1
),

final as (
    select
        u.account_id,
        u.source_system,
        u.source_record_id,
        u.account_name,
        coalesce(u.crm_owner_rep_id, d.owner_rep_id) as owner_rep_id,
        case
            when u.crm_owner_rep_id is not null then 'account_owner'
            when d.owner_rep_id is not null then 'latest_deal_owner'
        end as owner_source,
        u.owner_name as crm_owner_name,
        u.is_owner_unknown,
        u.industry,
        u.employees,
        u.annual_revenue,
        u.annual_revenue_original,
        upper(coalesce(u.revenue_currency, {{ reporting_currency() }})) as currency_original,
        u.region,
        u.crm_rating,
        u.account_type,
        u.deal_status,
        u.crm_last_activity_at,
        u.created_at,
        coalesce(sized.size_band, 'unknown') as size_band,
        u.is_synthetic
    from unioned as u
    left join sized on sized.account_id = u.account_id
    left join latest_deal_owner as d on d.account_id = u.account_id
)

select * from final
