with census as (
    select * from {{ source('sim_input', 'census') }}
)

select
    cast(employee_id as varchar) as employee_id,
    cast(employee_birth_date as date) as employee_birth_date,
    cast(employee_hire_date as date) as employee_hire_date,
    cast(employee_termination_date as date) as employee_termination_date,
    cast(employee_gross_compensation as double) as employee_gross_compensation,
    cast(active as boolean) as active,
    cast(level_id as integer) as level_id,
    cast(employee_deferral_rate as double) as employee_deferral_rate,
    cast(employee_enrollment_date as date) as employee_enrollment_date,
    cast(scheduled_hours_per_week as double) as scheduled_hours_per_week,
    cast(auto_escalation_opt_out as boolean) as auto_escalation_opt_out,
    cast(eligibility_override as boolean) as eligibility_override,
    {%- for source in account_sources() %}
    {%- set column = balance_column(source) %}
    cast({{ column }} as double) as {{ column }},
    {%- endfor %}
    cast(vesting_service_years as double) as vesting_service_years,
    cast(prior_year_compensation as double) as prior_year_compensation,
    cast(ownership_pct as double) as ownership_pct,
    cast(is_officer as boolean) as is_officer,
    cast(is_nonresident_alien as boolean) as is_nonresident_alien
from census
