-- Every event of the year, one row each: the employee events built in int_yearly_events,
-- then the account events of fct_account_balances (forfeitures at termination, payouts and
-- loan offsets on Dec 31), numbered after the employee's other events.
with employee_events as (
    select * from {{ ref('int_yearly_events') }}
),

accounts as (
    select * from {{ ref('fct_account_balances') }}
    where simulation_year = (select simulation_year from {{ ref('stg_year_context') }})
),

account_events as (
    select
        employee_id, simulation_year, 'forfeiture' as event_type, 'unvested_employer_money' as event_category,
        termination_date as effective_date, forfeitures_total as amount,
        'Forfeited unvested employer money ' || printf('%.2f', forfeitures_total) as event_details, 1 as order_in_day
    from accounts
    where forfeitures_total > 0
    union all by name
    select
        employee_id, simulation_year, 'distribution' as event_type,
        coalesce(distribution_type, 'loan_offset') as event_category,
        make_date(simulation_year, 12, 31) as effective_date, distributions_total as amount,
        coalesce(replace(distribution_type, '_', ' ') || ' of ' || printf('%.2f', distributions_total - distributions_loan), '')
        || case when distributions_loan > 0 then
                case when distribution_type is null then '' else '; ' end
                || 'loan offset ' || printf('%.2f', distributions_loan) else '' end as event_details,
        2 as order_in_day
    from accounts
    where distributions_total > 0
),

last_sequence as (
    select employee_id, max(event_sequence) as last_sequence from employee_events group by employee_id
),

numbered as (
    select
        'EVT_' || substr(md5(concat_ws('|', {{ sql_string(var("scenario_id")) }}, {{ sql_string(var("plan_design_id")) }},
            account_events.employee_id, account_events.simulation_year, account_events.event_type,
            account_events.effective_date)), 1, 24) as event_id,
        {{ sql_string(var("scenario_id")) }} as scenario_id,
        {{ sql_string(var("plan_design_id")) }} as plan_design_id,
        account_events.employee_id,
        cast(account_events.simulation_year as integer) as simulation_year,
        account_events.event_type,
        account_events.event_category,
        account_events.effective_date,
        round(account_events.amount, 2) as amount,
        account_events.event_details,
        cast(coalesce(last_sequence.last_sequence, 0)
             + row_number() over (partition by account_events.employee_id order by account_events.order_in_day)
             as integer) as event_sequence
    from account_events
    left join last_sequence using (employee_id)
)

select
    event_id,
    scenario_id,
    plan_design_id,
    employee_id,
    simulation_year,
    event_type,
    event_category,
    effective_date,
    compensation_before,
    compensation_after,
    full_time_equivalent_after,
    deferral_rate_before,
    deferral_rate_after,
    cast(null as double) as amount,
    level_id,
    employee_age,
    employee_tenure,
    event_details,
    event_sequence
from employee_events

union all by name

select * from numbered
