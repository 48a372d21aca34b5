{#- Warns when the roster was derived from CRM owners (no reference/reps.csv rows): every
    derived rep is a failing row, so the check shows how many reps were made up and that
    teams, managers and targets are missing until a roster is supplied. -#}
{% test roster_is_derived(model) %}
{{ config(store_failures=true, meta={"failing_ids": "rep_id"}) }}
select rep_id, rep_name, team
from {{ model }}
where is_derived
{% endtest %}
