{# A CASE mapping a segment expression through a {segment: value} var. #}
{% macro map_lookup(mapping, key_expr, default_expr='null') -%}
case {{ key_expr }}
  {%- for key, value in mapping.items() %} when '{{ key }}' then {{ value }}{% endfor %}
  else {{ default_expr }} end
{%- endmacro %}

{# A date literal from a "YYYY-MM-DD" var, or null. #}
{% macro date_or_null(value) -%}
{%- if value -%} date '{{ value }}' {%- else -%} cast(null as date) {%- endif -%}
{%- endmacro %}

{# The deferral rate that earns the full match (where enrollees "snap" to). #}
{% macro match_maximizing_rate() -%}
{%- set status = var('match_status') -%}
{%- if status == 'graded_by_service' -%}
  {%- set tiers = var('tenure_match_tiers') -%}
  {{ tiers | map(attribute='max_deferral_pct') | max if tiers else 0 }}
{%- elif status == 'points_based' -%}
  {%- set tiers = var('points_match_tiers') -%}
  {{ tiers | map(attribute='max_deferral_pct') | max if tiers else 0 }}
{%- else -%}
  {%- set tiers = var('match_formula').tiers | selectattr('match_rate', 'gt', 0) | list -%}
  {{ tiers | map(attribute='employee_max') | max if tiers else 0 }}
{%- endif -%}
{%- endmacro %}
