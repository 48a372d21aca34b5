{#- The combination of columns (or expressions) is unique: the grain test for
    multi-column grains. Returns the duplicated combinations. -#}
{% test unique_combination(model, combination_of_columns) %}
select
    {% for c in combination_of_columns %}{{ c }} as key_{{ loop.index }}, {% endfor %}
    count(*) as n
from {{ model }}
group by {% for c in combination_of_columns %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
having count(*) > 1
{% endtest %}
