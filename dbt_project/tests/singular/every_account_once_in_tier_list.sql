{{ config(meta={'dagster': {'ref': {'name': 'customer_tier_list'}}}) }}
-- Every account gets exactly one tier per run: the run's rows of
-- customer_tier_list are exactly the accounts of int_accounts.
with

tiers as (
    select account_id, count(*) as n
    from {{ ref('customer_tier_list') }}
    where as_of_date = {{ as_of() }}
    group by account_id
)

select coalesce(a.account_id, t.account_id) as account_id, t.n
from {{ ref('int_accounts') }} as a
full outer join tiers as t on t.account_id = a.account_id
where t.account_id is null or a.account_id is null or t.n <> 1
