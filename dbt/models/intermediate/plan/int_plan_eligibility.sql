-- Every employee of the year with their plan eligibility, evaluated every year for
-- everyone, and the segments the enrollment behaviour depends on (dbt seed
-- config_enrollment_segments).
--  * The requirements: minimum age, waiting period and the hours a year of the service
--    requirement; or, for employees below those hours, the long-term part-time rule (two
--    consecutive plan years with 500+ hours, plan years from 2025, SECURE 2.0 section 125).
--  * Entry: the first entry date on or after the requirements are met (immediate,
--    monthly, quarterly, semi-annual); deferrals and employer money start there.
--  * A census override of false (or an excluded hire) keeps an employee out for life.
{{ config(materialized='scratch_table') }}

with employees as (
    select * from {{ ref('int_employees_of_year') }}
),

segments as (
    select * from {{ ref('config_enrollment_segments') }}
),

requirements as (
    select
        employees.*,
        coalesce(employees.ltpt_service_years, 0) as ltpt_years_at_start,
        greatest(
            employees.employee_hire_date + {{ var('plan_eligibility_waiting_period_days') }},
            cast(employees.employee_birth_date + to_years({{ var('plan_eligibility_minimum_age') }}) as date)
        ) as age_and_service_date,
        employees.scheduled_hours_per_week * 52 >= {{ var('plan_eligibility_minimum_annual_hours') }} as meets_hours
    from employees
),

routed as (
    select
        requirements.*,
        case
            when requirements.meets_hours then 'regular'
            when {{ sql_bool(var('ltpt_enabled')) }} and requirements.simulation_year >= 2025
                 and requirements.ltpt_years_at_start >= 2 then 'long_term_part_time'
        end as eligibility_route
    from requirements
),

dated as (
    select
        routed.*,
        case routed.eligibility_route
            when 'regular' then routed.age_and_service_date
            -- the second qualifying plan year ended on Dec 31: the requirements are met from Jan 1
            when 'long_term_part_time' then greatest(routed.age_and_service_date, routed.year_start)
        end as requirements_met_date
    from routed
),

entered as (
    select
        dated.*,
        {{ plan_entry_date('dated.requirements_met_date', var('plan_entry_dates')) }} as eligibility_date
    from dated
)

select
    entered.*,
    coalesce(entered.eligibility_override, true) and entered.eligibility_date is not null
        and entered.eligibility_date <= entered.last_day_employed as is_plan_eligible,
    coalesce(entered.eligibility_override, true)
        and entered.eligibility_date between entered.year_start and entered.last_day_employed
        as becomes_eligible_this_year,
    greatest(entered.eligibility_date, entered.year_start) as enrollment_window_start,
    age_band.band_label as age_segment,
    income_band.band_label as income_segment,
    level_band.band_label as level_segment,
    tenure_band.band_label as tenure_segment
from entered
left join segments as age_band
    on age_band.segment = 'age'
   and entered.current_age >= age_band.min_value and entered.current_age < age_band.max_value
left join segments as income_band
    on income_band.segment = 'income'
   and entered.start_compensation >= income_band.min_value and entered.start_compensation < income_band.max_value
left join segments as level_band
    on level_band.segment = 'level'
   and entered.level_id >= level_band.min_value and entered.level_id < level_band.max_value
left join segments as tenure_band
    on tenure_band.segment = 'tenure'
   and entered.current_tenure >= tenure_band.min_value and entered.current_tenure < tenure_band.max_value
