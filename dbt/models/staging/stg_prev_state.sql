{{ config(materialized='ephemeral', tags=['year']) }}

-- The workforce handed over by the previous year (or the census baseline).
select
    employee_id,
    employee_birth_date,
    employee_hire_date,
    level_id,
    current_compensation,
    scheduled_hours_per_week
from {{ source('sim_input', 'prev_state') }}
