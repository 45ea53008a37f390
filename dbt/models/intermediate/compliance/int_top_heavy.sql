-- The year's top-heavy determination (IRC 416(g)), one row: the key employees' share of all
-- account balances on the determination date, the last day of the preceding year (the census
-- date in the first year), and the minimum rate non-key participants are owed when it is above
-- 60 %: 3 % of pay, or the highest key-employee rate if lower (416(c)(2)(B)). A plan of
-- safe-harbor contributions only is exempt (416(g)(4)(H)).
{%- set exempt = (match_is_safe_harbor() or not var('match_enabled'))
                 and (var('core_safe_harbor') or not var('core_enabled'))
                 and (match_is_safe_harbor() or var('core_safe_harbor')) %}
{%- set balance -%}
{% for source in account_sources() %}{{ balance_column(source) }}{% if not loop.last %} + {% endif %}{% endfor %}
{%- endset %}
with prev as (
    select * from {{ ref('stg_prev_state') }}
),

employees as (
    select * from {{ ref('int_compliance_employees') }}
),

deferrals as (
    select employee_id, employee_deferrals from {{ ref('int_employee_deferrals') }}
),

ratio as (
    select
        coalesce(sum({{ balance }}) filter (where is_key_employee), 0) as key_balances,
        coalesce(sum({{ balance }}), 0) as all_balances
    from prev
),

key_rates as (
    -- the highest rate of contributions of a key employee, deferrals included
    select coalesce(max((deferrals.employee_deferrals + employees.match_amount + employees.core_amount)
                        / employees.plan_compensation), 0) as highest_key_rate
    from employees
    join deferrals using (employee_id)
    where employees.is_key_employee and employees.is_plan_eligible and employees.plan_compensation > 0
)

select
    round(ratio.key_balances, 2) as key_balances,
    round(ratio.all_balances, 2) as all_balances,
    case when ratio.all_balances > 0 then round(ratio.key_balances / ratio.all_balances, 6) else 0.0 end as key_share,
    {{ sql_bool(exempt) }} as is_exempt,
    not {{ sql_bool(exempt) }} and key_share > 0.6 as is_top_heavy,
    round(least(0.03, key_rates.highest_key_rate), 6) as minimum_rate
from ratio
cross join key_rates
