-- Every employee of the year with their plan eligibility (minimum age and waiting
-- period, evaluated every year for everyone) and the segments the enrollment
-- behaviour depends on (dbt seed config_enrollment_segments).
{{ config(materialized='table') }}

with employees as (
    select * from {{ ref('int_employees_of_year') }}
),

segments as (
    select * from {{ ref('config_enrollment_segments') }}
),

dated as (
    select
        employees.*,
        greatest(
            employees.employee_hire_date + {{ var('plan_eligibility_waiting_period_days') }},
            cast(employees.employee_birth_date + to_years({{ var('plan_eligibility_minimum_age') }}) as date)
        ) as eligibility_date
    from employees
)

select
    dated.*,
    -- an explicit census override of false keeps an employee out of the plan for life
    coalesce(dated.eligibility_override, true)
        and dated.eligibility_date <= dated.last_day_employed as is_plan_eligible,
    coalesce(dated.eligibility_override, true)
        and dated.eligibility_date between dated.year_start and dated.last_day_employed as becomes_eligible_this_year,
    greatest(dated.eligibility_date, dated.year_start) as enrollment_window_start,
    age_band.band_label as age_segment,
    income_band.band_label as income_segment,
    level_band.band_label as level_segment,
    tenure_band.band_label as tenure_segment
from dated
left join segments as age_band
    on age_band.segment = 'age'
   and dated.current_age >= age_band.min_value and dated.current_age < age_band.max_value
left join segments as income_band
    on income_band.segment = 'income'
   and dated.start_compensation >= income_band.min_value and dated.start_compensation < income_band.max_value
left join segments as level_band
    on level_band.segment = 'level'
   and dated.level_id >= level_band.min_value and dated.level_id < level_band.max_value
left join segments as tenure_band
    on tenure_band.segment = 'tenure'
   and dated.current_tenure >= tenure_band.min_value and dated.current_tenure < tenure_band.max_value
