{{ config(pre_hook="{{ delete_current_year_rows() }}") }}

-- One row per employee and year as of Dec 31: everyone active on Jan 1 plus this
-- year's hires, with this year's events applied. Pay is the year-end annual rate and
-- the pay actually earned (salary periods between events, prorated by days).
with context as (
    select * from {{ ref('stg_year_context') }}
),

workforce as (
    select * from {{ ref('int_workforce_start') }}
),

hires as (
    select * from {{ ref('int_hires') }}
),

events as (
    select events.*
    from {{ ref('fct_yearly_events') }} as events
    join context on events.simulation_year = context.simulation_year
),

population as (
    select
        employee_id, employee_birth_date, employee_hire_date, level_id,
        current_compensation as start_compensation, scheduled_hours_per_week,
        false as is_new_hire
    from workforce
    union all
    select
        employee_id, employee_birth_date, employee_hire_date, level_id,
        cast(null as double) as start_compensation, scheduled_hours_per_week,
        true as is_new_hire
    from hires
),

event_summary as (
    select
        employee_id,
        min(effective_date) filter (where event_type = 'termination') as termination_date,
        max(level_id) filter (where event_type = 'promotion') as promoted_level_id,
        count(*) filter (where event_type = 'promotion') as promotions,
        count(*) filter (where event_type = 'raise') as raises
    from events
    group by employee_id
),

-- salary in force from each date on: Jan 1 (or hire) and every pay change
rate_changes as (
    select employee_id, effective_date as change_date, compensation_after as annual_rate, event_sequence
    from events
    where event_type in ('hire', 'promotion', 'raise')
    union all
    select workforce.employee_id, context.year_start, workforce.current_compensation, 0
    from workforce
    cross join context
),

periods as (
    select
        rate_changes.*,
        lead(rate_changes.change_date) over (
            partition by rate_changes.employee_id order by rate_changes.change_date, rate_changes.event_sequence
        ) as next_change_date
    from rate_changes
),

earned as (
    select
        periods.employee_id,
        sum(periods.annual_rate
            * greatest(0, datediff('day', periods.change_date,
                least(coalesce(periods.next_change_date - 1, context.year_end),
                      coalesce(event_summary.termination_date, context.year_end))) + 1)
            / context.days_in_year) as prorated_compensation,
        max_by(periods.annual_rate, (periods.change_date, periods.event_sequence)) as year_end_compensation
    from periods
    cross join context
    left join event_summary on periods.employee_id = event_summary.employee_id
    group by periods.employee_id
)

select
    '{{ var("scenario_id") }}' as scenario_id,
    '{{ var("plan_design_id") }}' as plan_design_id,
    population.employee_id,
    cast(context.simulation_year as integer) as simulation_year,
    case when event_summary.termination_date is null then 'active' else 'terminated' end as employment_status,
    case
        when population.is_new_hire and event_summary.termination_date is not null then 'new_hire_termination'
        when population.is_new_hire then 'new_hire_active'
        when event_summary.termination_date is not null then 'experienced_termination'
        else 'continuous_active'
    end as detailed_status_code,
    population.employee_birth_date,
    population.employee_hire_date,
    event_summary.termination_date,
    cast(context.simulation_year - year(population.employee_birth_date) as integer) as current_age,
    cast({{ service_years('population.employee_hire_date',
        'least(coalesce(event_summary.termination_date, context.year_end), context.year_end)') }} as integer)
        as current_tenure,
    cast(coalesce(event_summary.promoted_level_id, population.level_id) as integer) as level_id,
    population.scheduled_hours_per_week,
    population.start_compensation,
    earned.year_end_compensation as current_compensation,
    round(earned.prorated_compensation, 2) as prorated_compensation,
    coalesce(event_summary.promotions, 0) as promotions,
    coalesce(event_summary.raises, 0) as raises
from population
cross join context
left join event_summary on population.employee_id = event_summary.employee_id
left join earned on population.employee_id = earned.employee_id
