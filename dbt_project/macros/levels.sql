{#-
  Repeat every row of `relation` once per roll-up key it counts towards:
  company / region / team / manager / rep through int_level_map (by the row's rep;
  no rep -> '~unassigned') using the roster row in force on `date_expr` (a closed
  deal's close date, an activity's date, the run date for open pipeline and owned
  accounts), and tier through the row's account_tier ('none' when the row has no
  account). Expects a CTE named level_map in scope.
-#}
{% macro explode_levels(relation, rep_column, date_expr) -%}
    select m.level, m.level_key, f.*
    from {{ relation }} as f
    inner join level_map as m
        on m.rep_key = coalesce(f.{{ rep_column }}, '~unassigned')
        and {{ date_expr }} between m.attribution_from and m.attribution_to
    union all
    select 'tier' as level, coalesce(f.account_tier, 'none') as level_key, f.*
    from {{ relation }} as f
{%- endmacro %}
