{#
  Key employee (IRC 416(i)(1)(A)): an officer paid above the year's key-employee limit, a
  more-than-5 % owner, or a more-than-1 % owner paid above $150,000 (a fixed, unindexed amount).
#}
{% macro key_employee(is_officer, ownership_pct, compensation, officer_limit) -%}
({{ is_officer }} and {{ compensation }} > {{ officer_limit }}
 or {{ ownership_pct }} > 5
 or {{ ownership_pct }} > 1 and {{ compensation }} > 150000)
{%- endmacro %}

{#
  The highest HCE average the ADP (401(k)(3)(A)(ii)) and ACP (401(m)(2)(A)) tests allow at an
  NHCE average a: 1.25 a, or the lesser of 2 a and a + 2 percentage points.
#}
{% macro nondiscrimination_limit(nhce_average) -%}
greatest(1.25 * {{ nhce_average }}, least(2 * {{ nhce_average }}, {{ nhce_average }} + 0.02))
{%- endmacro %}

{#
  The lowest NHCE average whose limit reaches an HCE average h: the inverse of
  nondiscrimination_limit (2 a up to a = 2 %, a + 2 pp up to 8 %, 1.25 a above).
#}
{% macro nhce_average_needed(hce_average) -%}
case when {{ hce_average }} <= 0.04 then {{ hce_average }} / 2
     when {{ hce_average }} <= 0.10 then {{ hce_average }} - 0.02
     else {{ hce_average }} / 1.25 end
{%- endmacro %}

{# Ratios and averages of the tests to the hundredth of a percent (Treas. Reg. 1.401(k)-2(a)(3)(ii)). #}
{% macro test_ratio(amount, pay) -%}
case when {{ pay }} > 0 then round(({{ amount }}) / ({{ pay }}), 4) else 0.0 end
{%- endmacro %}
