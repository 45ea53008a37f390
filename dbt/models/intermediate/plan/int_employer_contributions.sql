{{ config(materialized='scratch_table') }}

-- Employer match and core contributions for the year, one row per employee of
-- int_employee_deferrals: eligibility (plan entry; safe-harbor money has no other
-- condition), the plan formulas (rendered from vars by the macros in
-- employer_contributions.sql), the match on the year's totals (annual true-up) or per pay
-- period, then the 415(c) annual additions limit (at most the dollar limit and 100 % of
-- pay), which takes core back first, then match.
with deferrals as (
    select * from {{ ref('int_employee_deferrals') }}
),

irs_limits as (
    select limit_year, annual_additions_limit_415c from {{ ref('int_irs_limits') }}
),

per_period as (
    select * from {{ ref('int_match_by_pay_period') }}
),

inputs as (
    select
        deferrals.employee_id,
        deferrals.simulation_year,
        deferrals.employment_status,
        deferrals.detailed_status_code,
        deferrals.current_age,
        deferrals.current_tenure,
        cast(deferrals.annual_hours as double) as annual_hours,
        deferrals.is_plan_eligible,
        deferrals.eligibility_route,
        -- money as double whatever the upstream literal types, so results keep one type
        cast(coalesce(deferrals.plan_compensation, 0) as double) as plan_compensation,
        cast(coalesce(deferrals.employee_deferrals, 0) as double) as employee_deferrals,
        cast(coalesce(deferrals.catch_up_deferrals, 0) as double) as catch_up_deferrals,
        -- 415(c)(1): the dollar limit (the contract's, else the IRS table) and 100 % of pay
        least(cast(coalesce(deferrals.annual_additions_limit, irs_limits.annual_additions_limit_415c) as double),
              cast(coalesce(deferrals.plan_compensation, 0) as double)) as annual_additions_limit,
        per_period.per_period_match
    from deferrals
    left join irs_limits on deferrals.simulation_year = irs_limits.limit_year
    left join per_period using (employee_id)
),

eligibility as (
    select
        *,
        {{ employer_eligibility_reason(var('match_eligibility'), match_is_safe_harbor()) }} as match_eligibility_reason,
        {{ employer_eligibility_reason(var('core_eligibility'), var('core_safe_harbor')) }} as core_eligibility_reason
    from inputs
),

formulas as (
    select
        *,
        case when match_eligibility_reason = 'eligible'
             then round({{ employer_match_formula() }}, 2) else 0 end as annual_match,
        case when core_eligibility_reason = 'eligible'
             then round({{ employer_core_formula() }}, 2) else 0 end as core_before_415c
    from eligibility
),

timed as (
    select
        *,
        -- the match of the pay periods (equal to the annual one unless deferrals vary with pay)
        case when match_eligibility_reason = 'eligible' then round(coalesce(per_period_match, annual_match), 2)
             else 0 end as pay_period_match
    from formulas
),

trued_up as (
    select
        *,
        {% if var('match_true_up') %}annual_match{% else %}pay_period_match{% endif %} as match_before_415c,
        {% if var('match_true_up') %}round(annual_match - pay_period_match, 2){% else %}0.0{% endif %}
            as match_true_up_amount
    from timed
),

excess as (
    select
        *,
        -- catch-up deferrals do not count toward 415(c)
        greatest(0, round(employee_deferrals - catch_up_deferrals + match_before_415c + core_before_415c
                          - annual_additions_limit, 2)) as excess_415c
    from trued_up
),

limited as (
    select
        *,
        greatest(0, core_before_415c - excess_415c) as core_amount,
        greatest(0, match_before_415c - greatest(0, excess_415c - core_before_415c)) as match_amount
    from excess
)

select
    employee_id,
    simulation_year,
    match_eligibility_reason = 'eligible' as is_match_eligible,
    match_eligibility_reason,
    core_eligibility_reason = 'eligible' as is_core_eligible,
    core_eligibility_reason,
    case when plan_compensation > 0 then employee_deferrals / plan_compensation else 0 end as effective_deferral_rate,
    match_before_415c,
    match_true_up_amount,
    core_before_415c,
    round(match_amount, 2) as match_amount,
    round(core_amount, 2) as core_amount,
    round(match_amount + core_amount, 2) as employer_contributions,
    round(employee_deferrals - catch_up_deferrals + match_amount + core_amount, 2) as annual_additions,
    annual_additions_limit,
    excess_415c > 0 as limit_415c_applied
from limited
