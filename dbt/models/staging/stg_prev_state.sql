{{ config(materialized='ephemeral', tags=['year']) }}

-- The workforce handed over by the previous year (or the census baseline).
select
    employee_id,
    employee_birth_date,
    employee_hire_date,
    level_id,
    current_compensation,
    scheduled_hours_per_week,
    eligibility_override,
    auto_escalation_opt_out,
    is_enrolled,
    enrollment_date,
    deferral_rate,
    enrollment_source,
    ever_opted_out,
    auto_enrolled_before,
    escalation_count,
    prior_year_compensation,
    match_balance,
    core_balance
from {{ source('sim_input', 'prev_state') }}
