-- The year's workforce: everyone employed at some point in the year (Jan 1 actives and
-- this year's hires) with pay at the start of the year, their termination (if they
-- leave), age and completed years of service. Nothing here depends on the plan design:
-- scenarios that differ only in plan keys build it once per seed and share it
-- (var workforce_shared: read from the sharing scenario's years/<year>/workforce/).
{{ config(materialized='scratch_table') }}
{% if var('workforce_shared', false) %}
select * from {{ source('sim_input', 'shared_workforce') }}
{% else %}
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
        employee_id, employee_birth_date, employee_hire_date, level_id,
        current_compensation as start_compensation, scheduled_hours_per_week, age_band, tenure_band,
        false as is_new_hire
    from workforce
    union all by name
    select
        employee_id, employee_birth_date, employee_hire_date, level_id,
        hire_compensation as start_compensation, scheduled_hours_per_week, true as is_new_hire
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
-- in id order, as the shared copy is: later sums add the rows in the same order either way
order by population.employee_id
{% endif %}
