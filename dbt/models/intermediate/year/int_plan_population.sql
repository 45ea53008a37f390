-- Everyone employed at some point in the year (Jan 1 actives and this year's hires)
-- with the plan state they start the year with, their plan eligibility and the
-- segments the enrollment behaviour depends on. Eligibility is evaluated every year
-- for everyone: the date on which minimum age and waiting period are both met.
-- A table: every later model of the year reads it, so its random draws are made once.
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
    union all
    select employee_id, termination_date, 'new_hire_termination', cast(null as double)
    from {{ ref('int_new_hire_terminations') }}
),

population as (
    select
        employee_id, employee_birth_date, employee_hire_date, level_id,
        current_compensation as start_compensation, scheduled_hours_per_week, false as is_new_hire,
        eligibility_override, auto_escalation_opt_out, is_enrolled, enrollment_date, deferral_rate,
        enrollment_source, ever_opted_out, auto_enrolled_before, escalation_count,
        prior_year_compensation, match_balance, core_balance, age_band, tenure_band
    from workforce
    union all
    select
        employee_id, employee_birth_date, employee_hire_date, level_id,
        hire_compensation, scheduled_hours_per_week, true,
        -- a configured share of each hire cohort is excluded from the plan (peer Feature 103)
        case when {{ sim_random('new_hire_ineligible', 'hires.employee_id', 'hires.simulation_year') }}
                  < {{ var('new_hire_ineligible_pct') }} then false end,
        false, false, cast(null as date), 0.0::double, cast(null as varchar), false, false, 0::integer,
        cast(null as double), 0.0::double, 0.0::double, cast(null as varchar), cast(null as varchar)
    from hires
),

dated as (
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
            'least(coalesce(terminations.termination_date, context.year_end), context.year_end)') }} as current_tenure,
        greatest(
            population.employee_hire_date + {{ var('plan_eligibility_waiting_period_days') }},
            cast(population.employee_birth_date + to_years({{ var('plan_eligibility_minimum_age') }}) as date)
        ) as eligibility_date
    from population
    cross join context
    left join terminations on population.employee_id = terminations.employee_id
)

select
    dated.*,
    -- an explicit census override of false keeps an employee out of the plan for life
    coalesce(dated.eligibility_override, true)
        and dated.eligibility_date <= dated.last_day_employed as is_plan_eligible,
    coalesce(dated.eligibility_override, true)
        and dated.eligibility_date between dated.year_start and dated.last_day_employed as becomes_eligible_this_year,
    greatest(dated.eligibility_date, dated.year_start) as enrollment_window_start,
    {{ age_segment('dated.current_age') }} as age_segment,
    {{ income_segment('dated.start_compensation') }} as income_segment,
    {{ level_segment('dated.level_id') }} as level_segment,
    {{ tenure_segment('dated.current_tenure') }} as tenure_segment
from dated
