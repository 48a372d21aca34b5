{#- The model is not empty (optionally: for the run's as-of date). -#}
{% test at_least_one_row(model, for_as_of_date=false) %}
select 1 as missing
where not exists (
    select 1 from {{ model }}
    {% if for_as_of_date %} where as_of_date = {{ as_of() }} {% endif %}
)
{% endtest %}
