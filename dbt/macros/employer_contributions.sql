{# Employer contribution building blocks: plan vars (lists/dicts) rendered as SQL. #}

{# A Python boolean as a SQL literal. #}
{% macro sql_bool(value) -%}
{{ 'true' if value else 'false' }}
{%- endmacro %}

{#
  Tiered match in dollars: sum of rate x the part of amount_expr that falls in
  [min, max) x base_expr (max none = open). Same as rate x (least(d, max) - min) x pay
  with d = amount / pay, without dividing by pay.
#}
{% macro tier_sum(tiers, amount_expr, base_expr, min_key='employee_min', max_key='employee_max', rate_key='match_rate') -%}
{%- if tiers -%}
(
  {%- for tier in tiers %}
  {% if not loop.first %}+ {% endif -%}
  {{ tier[rate_key] }} * greatest(0,
    {%- if tier.get(max_key) is not none %} least({{ amount_expr }}, {{ tier[max_key] }} * {{ base_expr }}){% else %} {{ amount_expr }}{% endif %}
    - {{ tier[min_key] }} * {{ base_expr }})
  {%- endfor %}
)
{%- else -%}
0
{%- endif -%}
{%- endmacro %}

{# result_key of the band with min <= value < max (max none = open top); default outside every band. #}
{% macro band_lookup(bands, value_expr, min_key, max_key, result_key, default='0') -%}
{%- if bands -%}
case
  {%- for band in bands %}
  when {{ value_expr }} >= {{ band[min_key] }}
    {%- if band.get(max_key) is not none %} and {{ value_expr }} < {{ band[max_key] }}{% endif %} then {{ band[result_key] }}
  {%- endfor %}
  else {{ default }}
end
{%- else -%}
{{ default }}
{%- endif -%}
{%- endmacro %}

{# result_key of the step with the highest min <= value (a schedule graded by service). #}
{% macro step_lookup(steps, value_expr, min_key, result_key, default='0') -%}
{#- bands without an upper bound, highest first: the first that matches is the step -#}
{{ band_lookup(steps | sort(attribute=min_key, reverse=true), value_expr, min_key, none, result_key, default) }}
{%- endmacro %}

{#
  Why an employee does or does not get employer money: the first failing check, else
  'eligible'. Employer money follows plan eligibility (entry into the plan); a long-term
  part-time employee gets it only if the plan says so (ltpt_employer_money). A safe-harbor
  contribution (a safe_harbor or qaca match, a safe-harbor nonelective core) goes to every
  plan-eligible employee with no other condition (IRC 401(k)(12), (13)); otherwise the
  configured hours, tenure and last-day conditions apply. Reads the contract columns of
  int_employee_deferrals; missing keys of `rules` fall back to the project defaults.
#}
{% macro employer_eligibility_reason(rules, safe_harbor=false) -%}
{%- set apply = rules.get('apply', true) -%}
case
  when not coalesce(is_plan_eligible, false) then 'not_plan_eligible'
  {%- if not var('ltpt_employer_money') %}
  when eligibility_route = 'long_term_part_time' then 'long_term_part_time'
  {%- endif %}
  {%- if safe_harbor %}
  {#- no hours, tenure or last-day condition #}
  {%- elif apply %}
  when coalesce(annual_hours, 0) < {{ rules.get('minimum_hours_annual', 1000) }} then 'insufficient_hours'
  when not (coalesce(current_tenure, 0) >= {{ rules.get('minimum_tenure_years', 0) }}
    {%- if rules.get('allow_new_hires', true) %}
            or coalesce(detailed_status_code in ('new_hire_active', 'new_hire_termination'), false)
    {%- endif %}) then 'insufficient_tenure'
  {%- if rules.get('require_active_at_year_end', true) %}
  -- the last-day rule: leavers qualify only with the allowance of their kind
  when not coalesce(case detailed_status_code
                        when 'new_hire_termination' then {{ sql_bool(rules.get('allow_terminated_new_hires', false)) }}
                        when 'experienced_termination' then {{ sql_bool(rules.get('allow_experienced_terminations', false)) }}
                        else employment_status = 'active'
                    end, false) then 'inactive_eoy'
  {%- endif %}
  {%- else %}
  -- rules off: the plain active-at-year-end, 1,000-hour test
  when coalesce(annual_hours, 0) < 1000 then 'insufficient_hours'
  when not coalesce(employment_status = 'active', false) then 'inactive_eoy'
  {%- endif %}
  else 'eligible'
end
{%- endmacro %}

{# The active match is a safe-harbor one (its type decides who receives it). #}
{% macro match_is_safe_harbor() -%}
{{- return(var('match_enabled') and var('match_status') == 'deferral_based'
           and var('match_formula').type in ('safe_harbor', 'qaca')) -}}
{%- endmacro %}

{#
  Match before 415(c). match_status deferral_based: the active formula (var match_formula:
  its type, tiers and cap as a share of pay); graded_by_service / points_based: a match
  rate and a deferral ceiling by service or points band (uncapped, as the peer).
#}
{% macro employer_match_formula(deferrals='employee_deferrals', pay='plan_compensation', age='current_age', tenure='current_tenure', yearly_dollar_cap=true) -%}
{%- set status = var('match_status') -%}
{%- if not var('match_enabled') -%}
0
{%- elif status == 'deferral_based' -%}
{{ match_formula_amount(var('match_formula'), deferrals, pay, yearly_dollar_cap) }}
{%- elif status in ('graded_by_service', 'points_based') -%}
{%- if status == 'graded_by_service' -%}
{%- set tiers, value, min_key, max_key = var('tenure_match_tiers'), tenure, 'min_years', 'max_years' -%}
{%- else -%}
{%- set tiers, value, min_key, max_key = var('points_match_tiers'), '(' ~ age ~ ' + ' ~ tenure ~ ')', 'min_points', 'max_points' -%}
{%- endif -%}
{{ band_lookup(tiers, value, min_key, max_key, 'match_rate') }}
  * least({{ deferrals }}, {{ band_lookup(tiers, value, min_key, max_key, 'max_deferral_pct') }} * {{ pay }})
{%- else -%}
{{ exceptions.raise_compiler_error("match_status must be deferral_based, graded_by_service or points_based, not '" ~ status ~ "'") }}
{%- endif -%}
{%- endmacro %}

{#
  The match of one formula (employer_match.formulas.<id> in the config), by its type.
  simple / tiered / stretch / safe_harbor / qaca: rate x the deferrals inside each tier
  [employee_min, employee_max) of pay (safe-harbor types differ in who receives the match,
  see employer_eligibility_reason); dollar_capped: the same, at most max_amount dollars a
  year (left to the caller when yearly_dollar_cap is false). Then capped at `cap` x pay.
  A new formula type is a branch here.
#}
{% macro match_formula_amount(formula, deferrals, pay, yearly_dollar_cap=true) -%}
{%- if formula.type in ('simple', 'tiered', 'stretch', 'safe_harbor', 'qaca') -%}
{%- set amount = tier_sum(formula.tiers, deferrals, pay) -%}
{%- elif formula.type == 'dollar_capped' and not yearly_dollar_cap -%}
{%- set amount = tier_sum(formula.tiers, deferrals, pay) -%}
{%- elif formula.type == 'dollar_capped' -%}
{%- set amount = 'least(' ~ tier_sum(formula.tiers, deferrals, pay) ~ ', ' ~ formula.max_amount ~ ')' -%}
{%- else -%}
{{ exceptions.raise_compiler_error("match formula type '" ~ formula.type ~ "' has no SQL in match_formula_amount") }}
{%- endif -%}
{%- if formula.cap is not none -%}
least({{ amount }}, {{ formula.cap }} * {{ pay }})
{%- else -%}
{{ amount }}
{%- endif -%}
{%- endmacro %}

{# Core (non-elective) contribution before 415(c) from core_enabled / core_status and its schedule. #}
{% macro employer_core_formula(pay='plan_compensation', age='current_age', tenure='current_tenure') -%}
{%- set status = var('core_status') -%}
{%- if not var('core_enabled') or status == 'none' -%}
0
{%- elif status == 'flat' -%}
{{ var('core_rate') }} * {{ pay }}
{%- elif status == 'graded_by_service' -%}
{{ step_lookup(var('core_graded_schedule'), tenure, 'min_years', 'rate') }} * {{ pay }}
{%- elif status == 'age_banded' -%}
{{ band_lookup(var('core_age_schedule'), age, 'min_age', 'max_age', 'rate') }} * {{ pay }}
{%- elif status == 'points_based' -%}
{{ band_lookup(var('core_points_schedule'), '(' ~ age ~ ' + ' ~ tenure ~ ')', 'min_points', 'max_points', 'rate') }} * {{ pay }}
{%- else -%}
{{ exceptions.raise_compiler_error("core_status must be none, flat, graded_by_service, age_banded or points_based, not '" ~ status ~ "'") }}
{%- endif -%}
{%- endmacro %}
