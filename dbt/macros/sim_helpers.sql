{# The one way a text value reaches SQL: a quoted literal with its quotes doubled, so no config
   or census text can end the literal (tests/test_sql_safety.py fails on any other quoted Jinja expression). #}
{% macro sql_string(value) -%}
'{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{# A date inside a year from an "MM-DD" string. #}
{% macro month_day_date(year_expr, mm_dd) -%}
make_date(cast({{ year_expr }} as integer), {{ mm_dd.split('-')[0] | int }}, {{ mm_dd.split('-')[1] | int }})
{%- endmacro %}

{# A CASE over level_id from a {level: value} mapping, falling back to default_expr. #}
{% macro level_lookup(mapping, level_expr, default_expr) -%}
{%- if mapping -%}
case {{ level_expr }}
  {%- for level, value in mapping.items() %} when {{ level | int }} then {{ value }}{% endfor %}
  else {{ default_expr }} end
{%- else -%}
{{ default_expr }}
{%- endif -%}
{%- endmacro %}

{#
  Completed years of service between two dates, by anniversary: a 2025-01-01 hire has 3
  years on 2028-01-01 (a Feb 29 hire completes a year on Mar 1 of a common year). The one
  service count of the model: vesting, tenure bands, eligibility and match tiers.
#}
{% macro service_years(from_date, to_date) -%}
(year({{ to_date }}) - year({{ from_date }})
 - case when month({{ to_date }}) * 100 + day({{ to_date }}) < month({{ from_date }}) * 100 + day({{ from_date }})
        then 1 else 0 end)
{%- endmacro %}

{# A rate as integer parts per million, for exact integer arithmetic in the solver. #}
{% macro ppm(rate) -%}
cast(round({{ rate }} * 1000000) as bigint)
{%- endmacro %}

{# A promotion raise with the configured caps; never a pay cut. #}
{% macro promoted_salary(salary, pct) -%}
round(least({{ salary }} * (1 + {{ var('promotion_max_cap_pct') }}),
            {{ salary }} + {{ var('promotion_max_cap_amount') }},
            greatest({{ salary }} * (1 + {{ pct }}), {{ salary }})), 2)
{%- endmacro %}
