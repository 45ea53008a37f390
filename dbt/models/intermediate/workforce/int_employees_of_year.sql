-- Everyone employed at some point in the year: Jan 1 actives and this year's hires,
-- with the plan state they start the year with, their termination (if they leave),
-- age and completed years of service. A table: every later model of the year reads
-- it, so its random draws are made once.
{{ config(materialized='table') }}

with context as (
    select * from {{ ref('stg_year_context') }}
),

workforce as (
    select * from {{ ref('int_workforce_start') }}
),

hires as (
    select * from {{ ref('int_hires') }}
),

terminations as (
    select employee_id, termination_date, 'experienced_termination' as termination_category, termination_hazard
    from {{ ref('int_experienced_terminations') }}
    union all by name
    select employee_id, termination_date, 'retirement' as termination_category
    from {{ ref('int_retirements') }}
    union all by name
    select employee_id, termination_date, 'new_hire_termination' as termination_category
    from {{ ref('int_new_hire_terminations') }}
),

population as (
    select
        workforce.* exclude (simulation_year, year_start, year_end, days_in_year, current_age, current_tenure,
                             hired_last_year, current_compensation),
        workforce.current_compensation as start_compensation,
        false as is_new_hire
    from workforce
    union all by name
    select
        employee_id, employee_birth_date, employee_hire_date, level_id,
        hire_compensation as start_compensation, scheduled_hours_per_week, true as is_new_hire,
        -- a configured share of each hire cohort is excluded from the plan (peer Feature 103)
        case when {{ sim_random('new_hire_ineligible', 'hires.employee_id', 'hires.simulation_year') }}
                  < {{ var('new_hire_ineligible_pct') }} then false end as eligibility_override,
        false as auto_escalation_opt_out, false as is_enrolled, 0.0::double as deferral_rate,
        false as ever_opted_out, false as auto_enrolled_before, 0::integer as escalation_count,
        0::integer as vesting_service_adjustment,
        0.0::double as ownership_pct, false as is_officer, false as is_nonresident_alien
    from hires
)

select
    population.*,
    context.simulation_year,
    context.year_start,
    context.year_end,
    context.days_in_year,
    terminations.termination_date,
    terminations.termination_category,
    terminations.termination_hazard,
    -- events other than the termination itself happen before the termination date
    coalesce(terminations.termination_date - 1, context.year_end) as last_day_employed,
    context.simulation_year - year(population.employee_birth_date) as current_age,
    {{ service_years('population.employee_hire_date',
        'least(coalesce(terminations.termination_date, context.year_end), context.year_end)') }} as current_tenure
from population
cross join context
left join terminations on population.employee_id = terminations.employee_id
