{#- Every raw value of `column_name` (rows of batches up to the as-of date) is in the map in
    force `map_model` (int_stage_map, int_status_map, ...: seed plus profile rules), looked up
    as the models look it up (join_source_map: the exact source's row, else the '*' row).
    A test on a raw source; each failing row names its value, file and line. -#}
{% test in_source_map(model, column_name, map_model, key_column) %}
select
    r.source_system,
    r.{{ column_name }} as raw_value,
    r.source_file,
    r.source_line,
    '''' || r.{{ column_name }} || ''' at ' || r.source_file || ' line ' || cast(r.source_line as {{ dbt.type_string() }})
        as failure
from {{ model }} as r
{{ join_source_map('m', map_model, key_column, 'r.source_system', 'r.' ~ column_name) }}
where r.export_date <= {{ as_of() }}
  and r.{{ column_name }} is not null
  and not {{ source_map_matched('m', key_column) }}
{% endtest %}
