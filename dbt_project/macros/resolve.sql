{#-
  Reference resolution used by every intermediate model that carries an owner or
  an account reference, so the rules live in one place:
    rep:     CRM owner id = roster rep_id, else normalised owner name = rep name
    account: account_ref_id (same source), else normalised account name (same source)
  Usage:   from x {{ join_rep('x', 'x.owner_id', 'x.owner_name') }}
           select {{ resolved_rep('x') }} as owner_rep_id
-#}
{% macro join_rep(alias, owner_id_expr, owner_name_expr) -%}
    left join {{ ref('int_rep_lookup') }} as {{ alias }}_rep_by_id
        on {{ alias }}_rep_by_id.key_type = 'id'
        and {{ alias }}_rep_by_id.match_key = {{ owner_id_expr }}
    left join {{ ref('int_rep_lookup') }} as {{ alias }}_rep_by_name
        on {{ alias }}_rep_by_name.key_type = 'name'
        and {{ alias }}_rep_by_name.match_key = {{ normalize_name(owner_name_expr) }}
{%- endmacro %}

{% macro resolved_rep(alias) -%}
    coalesce({{ alias }}_rep_by_id.rep_id, {{ alias }}_rep_by_name.rep_id)
{%- endmacro %}

{% macro join_account(alias, source_expr, ref_id_expr, name_norm_expr) -%}
    left join {{ ref('int_account_lookup') }} as {{ alias }}_acc_by_id
        on {{ alias }}_acc_by_id.source_system = {{ source_expr }}
        and {{ alias }}_acc_by_id.key_type = 'id'
        and {{ alias }}_acc_by_id.match_key = {{ ref_id_expr }}
    left join {{ ref('int_account_lookup') }} as {{ alias }}_acc_by_name
        on {{ alias }}_acc_by_name.source_system = {{ source_expr }}
        and {{ alias }}_acc_by_name.key_type = 'name'
        and {{ alias }}_acc_by_name.match_key = {{ name_norm_expr }}
{%- endmacro %}

{% macro resolved_account(alias) -%}
    coalesce({{ alias }}_acc_by_id.account_id, {{ alias }}_acc_by_name.account_id)
{%- endmacro %}

{#- stage / status / activity-type lookups: the exact source's row, else the '*' row -#}
{% macro join_source_map(alias, seed, key_column, source_expr, value_expr) -%}
    left join {{ ref(seed) }} as {{ alias }}_src
        on {{ alias }}_src.source_system = {{ source_expr }}
        and lower(trim({{ alias }}_src.{{ key_column }})) = lower(trim({{ value_expr }}))
    left join {{ ref(seed) }} as {{ alias }}_any
        on {{ alias }}_any.source_system = '*'
        and lower(trim({{ alias }}_any.{{ key_column }})) = lower(trim({{ value_expr }}))
{%- endmacro %}

{#- a column of the matched map row: exact source row wins even when its value is NULL -#}
{% macro source_map_value(alias, key_column, column) -%}
    case when {{ alias }}_src.{{ key_column }} is not null
         then {{ alias }}_src.{{ column }} else {{ alias }}_any.{{ column }} end
{%- endmacro %}

{% macro source_map_matched(alias, key_column) -%}
    ({{ alias }}_src.{{ key_column }} is not null or {{ alias }}_any.{{ key_column }} is not null)
{%- endmacro %}
