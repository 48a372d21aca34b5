{#- Every raw feedback score (rows of batches up to the as-of date) lies on a scale of seed
    feedback_scales, within its min_score - max_score; the scale is matched as staging reads
    it (lower-cased, trimmed). A score without a scale is not checked (it has nothing to be
    within). A test on a raw source; each failing row names its score, scale, file and line. -#}
{% test score_within_scale(model, column_name, scale_column) %}
select
    r.source_system,
    r.{{ column_name }} as score,
    r.{{ scale_column }} as scale,
    r.source_file,
    r.source_line,
    'score ' || cast(r.{{ column_name }} as {{ dbt.type_string() }}) || ' on scale ''' || r.{{ scale_column }} || ''''
        || case when s.scale is null then ' (not in seed feedback_scales)'
                else ' (outside ' || cast(s.min_score as {{ dbt.type_string() }}) || '-'
                     || cast(s.max_score as {{ dbt.type_string() }}) || ')' end
        || ' at ' || r.source_file || ' line ' || cast(r.source_line as {{ dbt.type_string() }}) as failure
from {{ model }} as r
left join {{ ref('feedback_scales') }} as s
    on s.scale = nullif(lower(trim(r.{{ scale_column }})), '')
where r.export_date <= {{ as_of() }}
  and r.{{ column_name }} is not null
  and nullif(trim(r.{{ scale_column }}), '') is not null
  and (s.scale is null or r.{{ column_name }} < s.min_score or r.{{ column_name }} > s.max_score)
{% endtest %}
