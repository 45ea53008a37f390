-- The match computed per pay period (employer_match.pay_frequency periods of equal days):
-- each period's pay, capped when the year's pay passes 401(a)(17), and its deferrals,
-- which stop once the year's deferrals reach the 402(g) (+ catch-up) limit; the formula
-- applies to each period's deferral and pay. Only for employees whose deferrals are not
-- a constant share of their pay all year (a rate change, or a limit reached): for
-- everyone else the per-period match equals the annual one exactly (the formulas are
-- homogeneous in deferrals and pay). The dollar cap of a dollar_capped formula is yearly.
{%- set frequency = var('match_pay_frequency') %}
{%- set formula = var('match_formula') %}
with deferrals as (
    select * from {{ ref('int_employee_deferrals') }}
    where deferral_limit_reached or compensation_limit_applied or deferral_rate_varies
),

periods as (
    select * from {{ ref('int_deferral_periods') }}
    where days > 0 and employee_id in (select employee_id from deferrals)
),

limits as (
    select * from {{ ref('int_irs_limits') }}
),

pay_periods as (
    select
        period.k,
        context.year_start + cast(floor(period.k * context.days_in_year / {{ frequency }}) as integer) as period_start,
        context.year_start + cast(floor((period.k + 1) * context.days_in_year / {{ frequency }}) as integer) - 1
            as period_end
    from {{ ref('stg_year_context') }} as context
    cross join range({{ frequency }}) as period(k)
),

period_pay as (
    select
        periods.employee_id,
        pay_periods.k,
        sum(periods.pay_rate * (datediff('day', greatest(periods.change_date, pay_periods.period_start),
                                         least(periods.end_date, pay_periods.period_end)) + 1)
            / periods.days_in_year) as pay,
        sum(periods.pay_rate * periods.deferral_rate_in_plan
            * (datediff('day', greatest(periods.change_date, pay_periods.period_start),
                        least(periods.end_date, pay_periods.period_end)) + 1)
            / periods.days_in_year) as requested
    from periods
    join pay_periods
        on periods.change_date <= pay_periods.period_end and periods.end_date >= pay_periods.period_start
    group by periods.employee_id, pay_periods.k
),

cumulative as (
    select
        period_pay.*,
        deferrals.current_age,
        deferrals.current_tenure,
        deferrals.deferral_limit,
        limits.compensation_limit_401a17,
        sum(period_pay.pay) over running as cumulative_pay
    from period_pay
    join deferrals using (employee_id)
    join limits on deferrals.simulation_year = limits.limit_year
    window running as (partition by period_pay.employee_id order by period_pay.k)
),

plan_pay as (
    select
        cumulative.*,
        least(cumulative_pay, compensation_limit_401a17)
            - least(cumulative_pay - pay, compensation_limit_401a17) as period_plan_pay
    from cumulative
),

requested as (
    select
        plan_pay.*,
        -- elections apply to pay up to 401(a)(17)
        case when pay > 0 then requested * period_plan_pay / pay else 0 end as period_requested
    from plan_pay
),

deferred as (
    select
        requested.*,
        sum(period_requested) over running as cumulative_requested
    from requested
    window running as (partition by employee_id order by k)
),

matched as (
    select
        deferred.employee_id,
        least(cumulative_requested, deferral_limit)
            - least(cumulative_requested - period_requested, deferral_limit) as period_deferral,
        period_plan_pay,
        current_age,
        current_tenure
    from deferred
)

select
    employee_id,
    {%- set period_match = employer_match_formula('period_deferral', 'period_plan_pay', 'current_age', 'current_tenure', yearly_dollar_cap=false) %}
    {%- if formula.get('max_amount') is not none and var('match_status') == 'deferral_based' %}
    round(least(sum({{ period_match }}), {{ formula.max_amount }}), 2) as per_period_match
    {%- else %}
    round(sum({{ period_match }}), 2) as per_period_match
    {%- endif %}
from matched
group by employee_id
