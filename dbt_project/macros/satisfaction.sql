{#-
  Satisfaction and NPS of a group of int_feedback rows: the one definition, used per account
  (int_account_satisfaction) and per roll-up and period (int_performance). What a score means
  comes from the feedback_scales seed through int_feedback (score_normalized; is_promoter,
  is_detractor: true / false on NPS scales only; is_nps_response).
    satisfaction            mean normalised score 0-1 (exact DECIMAL mean, r4)
    satisfaction_responses  responses with a normalised score: a score on a known scale. Exactly
                            the rows the mean averages, so satisfaction = sum / responses; a row
                            whose scale is unknown (its score cannot be read) is not a response
    nps                     100 x (promoters - detractors) / NPS responses (scales with promoter /
                            detractor thresholds), r4; NULL without any NPS response
  Usage: select level, {{ satisfaction_metrics('f') }} from feedback as f group by level
-#}
{% macro satisfaction_metrics(alias) -%}
    {{ stable_avg(alias ~ '.score_normalized') }} as satisfaction,
    count({{ alias }}.score_normalized) as satisfaction_responses,
    {{ r4('100.0 * (count(case when ' ~ alias ~ '.is_promoter then 1 end)'
          ~ ' - count(case when ' ~ alias ~ '.is_detractor then 1 end))'
          ~ ' / nullif(count(case when ' ~ alias ~ '.is_nps_response then ' ~ alias ~ '.score_normalized end), 0)') }} as nps
{%- endmacro %}
