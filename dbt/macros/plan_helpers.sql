{# Segments used by the enrollment behaviour tables (the peer's voluntary-enrollment bands). #}
{% macro age_segment(age) -%}
case when {{ age }} <= 30 then 'young' when {{ age }} <= 45 then 'mid_career'
     when {{ age }} <= 55 then 'mature' else 'senior' end
{%- endmacro %}

{% macro income_segment(pay) -%}
case when {{ pay }} < 50000 then 'low' when {{ pay }} < 100000 then 'moderate'
     when {{ pay }} < 200000 then 'high' else 'executive' end
{%- endmacro %}

{% macro level_segment(level) -%}
case when {{ level }} <= 2 then 'individual' when {{ level }} <= 4 then 'senior'
     when {{ level }} <= 6 then 'manager' else 'executive' end
{%- endmacro %}

{% macro tenure_segment(tenure) -%}
case when {{ tenure }} < 2 then 'new_employee' when {{ tenure }} < 5 then 'established' else 'veteran' end
{%- endmacro %}

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
{%- if status == 'tenure_based' -%}
  {%- set tiers = var('tenure_match_tiers') -%}
  {{ tiers | map(attribute='max_deferral_pct') | max if tiers else 0 }}
{%- elif status == 'points_based' -%}
  {%- set tiers = var('points_match_tiers') -%}
  {{ tiers | map(attribute='max_deferral_pct') | max if tiers else 0 }}
{%- else -%}
  {%- set tiers = var('match_tiers') | selectattr('match_rate', 'gt', 0) | list -%}
  {{ tiers | map(attribute='employee_max') | max if tiers else 0 }}
{%- endif -%}
{%- endmacro %}
