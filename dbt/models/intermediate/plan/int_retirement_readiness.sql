-- Retirement readiness of each employee active on Dec 31: the account projected to normal
-- retirement age and the income it buys, as a share of projected final pay (the DC
-- replacement ratio), and an estimate of Social Security as a share of pay.
-- Projection (README, the model, item 18): the balance grows at the expected return; each later year adds
-- this year's contribution rate (the deferral rate capped at this year's 402(g) limit plus
-- catch-up, and the employer's share of pay) on pay growing at pay_growth, paid at year end;
-- at retirement the balance buys income at the annuity factor. Social Security: AIME taken as
-- this year's pay up to the wage base (a career at today's wage-indexed pay), through the
-- PIA formula with the year's bend points.
{{ config(materialized='scratch_table') }}

{%- set r = var('readiness_expected_return') %}
{%- set g = var('readiness_pay_growth') %}
with context as (
    select * from {{ ref('stg_year_context') }}
),

deferrals as (
    select * from {{ ref('int_employee_deferrals') }} where employment_status = 'active'
),

employer as (
    select employee_id, employer_contributions from {{ ref('int_employer_contributions') }}
),

accounts as (
    select employee_id, closing_total
    from {{ ref('fct_account_balances') }}
    where simulation_year = (select simulation_year from context)
),

social_security as (
    -- the year's bend points and wage base: as published, else the last published year's
    -- grown by social_security_wage_growth (the SSA indexes them to the average wage)
    select
        bend_point_1 * pow(1 + {{ var('social_security_wage_growth') }}, grown) as bend_point_1,
        bend_point_2 * pow(1 + {{ var('social_security_wage_growth') }}, grown) as bend_point_2,
        wage_base * pow(1 + {{ var('social_security_wage_growth') }}, grown) as wage_base
    from (
        select published.*, greatest(context.simulation_year - published.year, 0) as grown
        from {{ ref('config_social_security') }} as published
        cross join context
        order by (published.year <= context.simulation_year) desc,
                 case when published.year <= context.simulation_year then -published.year else published.year end
        limit 1
    )
),

projected as (
    select
        deferrals.employee_id,
        greatest({{ var('readiness_retirement_age') }} - deferrals.current_age, 0) as years_to_retirement,
        deferrals.year_end_compensation as pay,
        least(deferrals.year_end_deferral_rate * deferrals.year_end_compensation, deferrals.deferral_limit)
        + coalesce(employer.employer_contributions / nullif(deferrals.plan_compensation, 0), 0)
          * deferrals.year_end_compensation as contribution_now,
        coalesce(accounts.closing_total, 0) as balance_now,
        social_security.wage_base,
        social_security.bend_point_1,
        social_security.bend_point_2
    from deferrals
    left join employer using (employee_id)
    left join accounts using (employee_id)
    cross join social_security
),

valued as (
    select
        projected.*,
        balance_now * pow(1 + {{ r }}, years_to_retirement)
        -- contributions at each year end on growing pay: sum over k = 1..n of (1 + g)^k (1 + r)^(n - k)
        + contribution_now *
          {%- if (r - g) | abs < 1e-12 %} years_to_retirement * pow(1 + {{ r }}, years_to_retirement)
          {%- else %} (1 + {{ g }}) * (pow(1 + {{ r }}, years_to_retirement) - pow(1 + {{ g }}, years_to_retirement))
                      / ({{ r }} - {{ g }})
          {%- endif %} as projected_retirement_balance,
        pay * pow(1 + {{ g }}, years_to_retirement) as projected_final_pay,
        12 * {{ social_security_pia('least(pay, wage_base) / 12', 'bend_point_1', 'bend_point_2') }}
            / nullif(pay, 0) as social_security_replacement_ratio
    from projected
)

select
    employee_id,
    cast(years_to_retirement as integer) as years_to_retirement,
    round(contribution_now, 2) as projected_contribution_now,
    round(projected_retirement_balance, 2) as projected_retirement_balance,
    round(projected_retirement_balance / {{ var('readiness_annuity_factor') }} / nullif(projected_final_pay, 0), 6)
        as dc_replacement_ratio,
    round(social_security_replacement_ratio, 6) as social_security_replacement_ratio,
    round(projected_retirement_balance / {{ var('readiness_annuity_factor') }} / nullif(projected_final_pay, 0)
          {%- if var('readiness_include_social_security') %} + social_security_replacement_ratio{% endif %}, 6)
        as total_replacement_ratio
from valued
