{#-
  Money in one reporting currency (SPEC §4, var reporting_currency, env SALESTIER_REPORTING_CURRENCY):
  an amount is converted at the rate valid on its date (seed fx_rates, monthly rows;
  int_fx_rates gives each row its valid_to). The reporting currency converts at 1; an amount in a
  currency with no rate on its date stops the run with the currency and the date named.
  Usage:  from x {{ join_fx('x', 'x.currency', 'x.some_date') }}
          select {{ to_reporting('x.amount', 'x', 'x.currency', 'x.some_date') }} as amount
-#}
{% macro reporting_currency() -%}'{{ var("reporting_currency") | upper }}'{%- endmacro %}

{#- an amount in text, with the reporting currency next to it ('1200.00 USD'); NULL stays NULL -#}
{% macro money_text(expr) -%}
    ({{ number_text(expr, 2) }} || ' ' || {{ reporting_currency() }})
{%- endmacro %}

{#- the unit of a KPI in kpi_snapshot: the reporting currency for money KPIs, else NULL -#}
{% macro kpi_unit(kpi, money_kpis) -%}
    cast({{ reporting_currency() if kpi in money_kpis else 'null' }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro join_fx(alias, currency_expr, date_expr) -%}
    left join {{ ref('int_fx_rates') }} as {{ alias }}_fx
        on {{ alias }}_fx.currency = upper(coalesce({{ currency_expr }}, {{ reporting_currency() }}))
        and cast({{ date_expr }} as date) between {{ alias }}_fx.valid_from and {{ alias }}_fx.valid_to
{%- endmacro %}

{% macro to_reporting(amount_expr, alias, currency_expr, date_expr) -%}
    case
        when {{ amount_expr }} is null then null
        when {{ alias }}_fx.rate_to_reporting is null then {{ raise_data_error(
            "'no FX rate for ' || upper(coalesce(" ~ currency_expr ~ ", '?')) || ' on ' || coalesce(cast(cast("
            ~ date_expr ~ " as date) as " ~ dbt.type_string() ~ "), 'an unknown date') || ' to "
            ~ (var('reporting_currency') | upper) ~ ": add it to seeds/fx_rates.csv'") }}
        else cast(round(cast({{ amount_expr }} as decimal(38, 10)) * cast({{ alias }}_fx.rate_to_reporting as decimal(38, 10)), 2) as decimal(38, 2))
    end
{%- endmacro %}
