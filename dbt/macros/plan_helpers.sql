{# A CASE mapping a segment expression through a {segment: value} var. #}
{% macro map_lookup(mapping, key_expr, default_expr='null') -%}
case {{ key_expr }}
  {%- for key, value in mapping.items() %} when {{ sql_string(key) }} then {{ value }}{% endfor %}
  else {{ default_expr }} end
{%- endmacro %}

{# A date literal from a "YYYY-MM-DD" var, or null. #}
{% macro date_or_null(value) -%}
{%- if value -%} date {{ sql_string(value) }} {%- else -%} cast(null as date) {%- endif -%}
{%- endmacro %}

{# The deferral rate that earns the full match (where enrollees "snap" to): computed from the
   config by simconfig (EmployerMatch.match_ceiling). #}
{% macro match_maximizing_rate() -%}
{{ var('match_ceiling') }}
{%- endmacro %}

{#
  Plan years of long-term part-time service (at least 500 hours each, from 2023, SECURE 2.0
  section 125) completed by the census date at a weekly schedule: the full calendar years
  employed, plus the year of hire when its share of the year reaches 500 hours; 0 when the
  schedule gives fewer than 500 hours a year.
#}
{% macro ltpt_years_at_census(hire_date, as_of_date, weekly_hours) -%}
case when {{ weekly_hours }} * 52 < 500 then 0 else
    greatest(0, year({{ as_of_date }}) - greatest(2023, year({{ hire_date }}) + 1) + 1)
    + case when year({{ hire_date }}) >= 2023 and year({{ hire_date }}) <= year({{ as_of_date }})
                and {{ weekly_hours }} * 52 * (datediff('day', {{ hire_date }}, make_date(year({{ hire_date }}), 12, 31)) + 1)
                    / 365.0 >= 500
           then 1 else 0 end
end::integer
{%- endmacro %}

{#
  The plan entry date for a date on which the requirements are met: that day (immediate),
  or the first day of the month, quarter (Jan, Apr, Jul, Oct) or half-year (Jan, Jul)
  coinciding with or next following it. Null stays null.
#}
{% macro plan_entry_date(met_date, entry) -%}
{%- if entry == 'immediate' -%}
{{ met_date }}
{%- else -%}
{%- set months = {'monthly': 1, 'quarterly': 3, 'semi_annual': 6}[entry] -%}
{%- set period_start -%}
make_date(year({{ met_date }}), ((month({{ met_date }}) - 1) // {{ months }}) * {{ months }} + 1, 1)
{%- endset -%}
case when {{ met_date }} = {{ period_start }} then {{ met_date }}
     else cast({{ period_start }} + to_months({{ months }}) as date) end
{%- endif -%}
{%- endmacro %}
