-- Everyone employed at some point in the year (int_workforce_of_year) with the plan
-- state they start the year with: Jan 1 actives as last year left it, hires with none.
-- A table: every later model of the year reads it, so its random draws are made once.
{{ config(materialized='scratch_table') }}

with workforce as (
    select * from {{ ref('int_workforce_of_year') }}
),

plan_state as (
    -- the state handed over, less what the workforce decides and the accounts
    -- (fct_account_balances rolls those)
    select columns(lambda c: c not in ('employee_birth_date', 'employee_hire_date', 'level_id',
        'current_compensation', 'scheduled_hours_per_week', 'account_status', 'termination_date', 'is_key_employee',
        {%- for source in account_sources() %} {{ sql_string(balance_column(source)) }}
        {%- if not loop.last %},{% endif %}{% endfor %}))
    from {{ ref('stg_prev_state') }}
    where account_status = 'active'
),

starting as (
    select workforce.*, plan_state.* exclude (employee_id)
    from workforce
    join plan_state on workforce.employee_id = plan_state.employee_id
    where not workforce.is_new_hire
),

hired as (
    select
        workforce.*,
        -- a configured share of each hire cohort is excluded from the plan (peer Feature 103)
        case when {{ sim_random('new_hire_ineligible', 'workforce.employee_id', 'workforce.simulation_year') }}
                  < {{ var('new_hire_ineligible_pct') }} then false end as eligibility_override,
        false as auto_escalation_opt_out, false as is_enrolled, 0.0::double as deferral_rate,
        false as ever_opted_out, false as auto_enrolled_before, 0::integer as escalation_count,
        0::integer as vesting_service_adjustment,
        0.0::double as ownership_pct, false as is_officer, false as is_nonresident_alien
    from workforce
    where workforce.is_new_hire
)

select * from starting
union all by name
select * from hired
