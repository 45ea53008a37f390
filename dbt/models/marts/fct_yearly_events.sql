-- Every employee event of the year, one row each (built in int_yearly_events).
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
    level_id,
    employee_age,
    employee_tenure,
    event_details,
    event_sequence
from {{ ref('int_yearly_events') }}
