-- Exchange rates to the reporting currency with the dates each is valid for: a seed row is valid
-- from its valid_from to the day before the currency's next row (the last row: for ever). The
-- reporting currency itself converts at 1 on every date.
with

rates as (
    select upper(trim(currency)) as currency, cast(valid_from as date) as valid_from, rate_to_reporting
    from {{ ref('fx_rates') }}
    where upper(trim(currency)) <> {{ reporting_currency() }}
),

final as (
    select
        currency,
        valid_from,
        coalesce(
            cast({{ dbt.dateadd('day', -1, 'lead(valid_from) over (partition by currency order by valid_from)') }} as date),
            cast('9999-12-31' as date)
        ) as valid_to,
        cast(rate_to_reporting as decimal(38, 10)) as rate_to_reporting
    from rates

    union all

    select {{ reporting_currency() }}, cast('0001-01-01' as date), cast('9999-12-31' as date),
           cast(1 as decimal(38, 10))
)

select * from final
