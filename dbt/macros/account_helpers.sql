{# The sources of money an account holds, in report order; loans are a source too (the note
   the participant owes the account), so every roll-forward identity covers the whole account. #}
{% macro account_sources() -%}
{{ return(['pre_tax', 'roth', 'after_tax', 'match', 'core', 'rollover', 'loan']) }}
{%- endmacro %}

{# The state and snapshot column of a source's balance (the census spells loans loan_balance). #}
{% macro balance_column(source) -%}
{{ return('loan_balance' if source == 'loan' else 'balance_' ~ source) }}
{%- endmacro %}

{# Employer sources: the only ones that vest; the others are always 100 % vested. #}
{% macro employer_sources() -%}
{{ return(['match', 'core']) }}
{%- endmacro %}

{# A value along a piecewise-linear path [{x_key, y_key}] sorted by x: linear between points,
   flat before the first and after the last (the target-date glide path by age). #}
{% macro linear_path(points, x_expr, x_key, y_key) -%}
{%- if points | length == 1 -%}
{{ points[0][y_key] }}
{%- else -%}
case
  when {{ x_expr }} <= {{ points[0][x_key] }} then {{ points[0][y_key] }}
  {%- for i in range(1, points | length) %}
  when {{ x_expr }} <= {{ points[i][x_key] }} then {{ points[i - 1][y_key] }}
       + ({{ points[i][y_key] }} - {{ points[i - 1][y_key] }})
         * ({{ x_expr }} - {{ points[i - 1][x_key] }}) / ({{ points[i][x_key] }} - {{ points[i - 1][x_key] }})
  {%- endfor %}
  else {{ points[-1][y_key] }} end
{%- endif -%}
{%- endmacro %}

{#
  The market return of a year: annual_return_rate (deterministic), or one draw per (seed, year)
  common to every account (stochastic): a standard normal from two uniforms (Box-Muller), as
  the return itself (normal, floored at -95 %) or as log(1 + return) with the mean and standard
  deviation given for the return (lognormal).
#}
{% macro market_return(year_expr) -%}
{%- if var('return_mode') == 'deterministic' -%}
{{ var('annual_return_rate') }}
{%- else -%}
{%- set z -%}
(sqrt(-2 * ln(greatest({{ sim_random('market_return_a', "'market'", year_expr) }}, 1e-15)))
 * cos(2 * pi() * {{ sim_random('market_return_b', "'market'", year_expr) }}))
{%- endset -%}
{%- set mean = var('market_return_mean') -%}
{%- set sd = var('market_return_standard_deviation') -%}
{%- if var('market_return_distribution') == 'normal' -%}
greatest(-0.95, {{ mean }} + {{ sd }} * {{ z }})
{%- else -%}
(exp(ln(1 + {{ mean }}) - ln(1 + pow({{ sd }}, 2) / pow(1 + {{ mean }}, 2)) / 2
     + sqrt(ln(1 + pow({{ sd }}, 2) / pow(1 + {{ mean }}, 2))) * {{ z }}) - 1)
{%- endif -%}
{%- endif -%}
{%- endmacro %}

{#
  The Social Security primary insurance amount (monthly) of an average indexed monthly
  earnings, with the year's bend points (42 U.S.C. 415(a)(1)(A)): 90 % up to the first,
  32 % up to the second, 15 % above.
#}
{% macro social_security_pia(aime, bend_1, bend_2) -%}
(0.90 * least({{ aime }}, {{ bend_1 }})
 + 0.32 * greatest(least({{ aime }}, {{ bend_2 }}) - {{ bend_1 }}, 0)
 + 0.15 * greatest({{ aime }} - {{ bend_2 }}, 0))
{%- endmacro %}
