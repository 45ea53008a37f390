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

context as (
    select * from {{ ref('stg_year_context') }}
),

-- pay period k covers days floor(k D / N) to floor((k + 1) D / N) - 1 of the year (D days,
-- N periods); the day t lies in period ceil((t + 1) N / D) - 1. Each pay/deferral period is
-- spread over the pay periods it spans (no join over dates).
spans as (
    select
        periods.*,
        datediff('day', context.year_start, periods.change_date) as first_day,
        datediff('day', context.year_start, periods.end_date) as last_day,
        context.days_in_year as year_days
    from periods
    cross join context
),

pieces as (
    select
        spans.*,
        unnest(range(cast(ceil((spans.first_day + 1) * {{ frequency }} / spans.year_days) as integer) - 1,
                     cast(ceil((spans.last_day + 1) * {{ frequency }} / spans.year_days) as integer))) as k
    from spans
),

period_pay as (
    select
        employee_id,
        k,
        sum(pay_rate * days_in_piece / days_in_year) as pay,
        sum(pay_rate * deferral_rate_in_plan * days_in_piece / days_in_year) as requested
    from (
        select
            pieces.*,
            least(pieces.last_day, cast(floor((pieces.k + 1) * pieces.year_days / {{ frequency }}) as integer) - 1)
                - greatest(pieces.first_day, cast(floor(pieces.k * pieces.year_days / {{ frequency }}) as integer))
                + 1 as days_in_piece
        from pieces
    )
    group by employee_id, k
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
