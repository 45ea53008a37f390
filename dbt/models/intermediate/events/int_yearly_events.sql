-- Every employee event of the year, one row each (fct_yearly_events publishes them).
-- A table: the deferral and snapshot models read it, so its rows are computed once.
{{ config(materialized='scratch_table') }}

with population as (
    select * from {{ ref('int_plan_eligibility') }}
),

changes as (
    select * from {{ ref('int_compensation_changes') }}
),

context as (
    select * from {{ ref('stg_year_context') }}
),

plan_changes as (
    select * from {{ ref('int_enrollment_events') }}
    union all by name
    select * from {{ ref('int_deferral_match_responses') }}
    union all by name
    select * from {{ ref('int_deferral_escalations') }}
),

hire_events as (
    select
        population.employee_id,
        'hire' as event_type,
        'hire' as event_category,
        population.employee_hire_date as effective_date,
        population.start_compensation as compensation_after,
        population.scheduled_hours_per_week,
        population.level_id,
        population.employee_birth_date,
        population.employee_hire_date,
        population.termination_date as employee_termination_date,
        'New hire at level ' || population.level_id as event_details
    from population
    where population.is_new_hire
),

termination_events as (
    select
        population.employee_id,
        'termination' as event_type,
        population.termination_category as event_category,
        population.termination_date as effective_date,
        -- the pay in force when leaving: after any promotion or raise before that date
        coalesce(greatest(changes.promotion_salary_after, changes.raise_salary_after), population.start_compensation)
            as compensation_before,
        coalesce(changes.raise_level_id, population.level_id) as level_id,
        population.employee_birth_date,
        population.employee_hire_date,
        population.termination_date as employee_termination_date,
        case population.termination_category
            when 'new_hire_termination' then 'New-hire termination'
            when 'retirement' then 'Retirement at age ' || population.current_age
            else 'Experienced termination (hazard ' || round(population.termination_hazard, 4) || ')' end
            as event_details
    from population
    left join changes using (employee_id)
    where population.termination_date is not null
),

promotion_events as (
    select
        changes.employee_id,
        'promotion' as event_type,
        'promotion' as event_category,
        changes.promotion_date as effective_date,
        changes.promotion_salary_before as compensation_before,
        changes.promotion_salary_after as compensation_after,
        population.scheduled_hours_per_week,
        changes.start_level_id + 1 as level_id,
        population.employee_birth_date,
        population.employee_hire_date,
        population.termination_date as employee_termination_date,
        'Promotion from level ' || changes.start_level_id || ' to ' || (changes.start_level_id + 1)
            || ' (p=' || round(changes.promotion_probability, 4) || ')' as event_details
    from changes
    join population using (employee_id)
    where changes.is_promoted
),

raise_events as (
    select
        changes.employee_id,
        'raise' as event_type,
        'merit_cola' as event_category,
        changes.raise_date as effective_date,
        changes.raise_salary_before as compensation_before,
        changes.raise_salary_after as compensation_after,
        population.scheduled_hours_per_week,
        changes.raise_level_id as level_id,
        population.employee_birth_date,
        population.employee_hire_date,
        population.termination_date as employee_termination_date,
        'Merit ' || round(changes.merit_rate * 100, 2) || '% + COLA ' || round(changes.cola_rate * 100, 2) || '%'
            as event_details
    from changes
    join population using (employee_id)
    where changes.gets_raise
),

eligibility_events as (
    select
        population.employee_id,
        'eligibility' as event_type,
        'plan_eligibility' as event_category,
        population.eligibility_date as effective_date,
        population.level_id,
        population.employee_birth_date,
        population.employee_hire_date,
        population.termination_date as employee_termination_date,
        case population.eligibility_route
            when 'long_term_part_time' then 'Enters the plan as a long-term part-time employee (2 plan years of 500+ hours)'
            else 'Enters the plan (minimum age {{ var("plan_eligibility_minimum_age") }}, waiting period '
                 || {{ var("plan_eligibility_waiting_period_days") }} || ' days, entry {{ var("plan_entry_dates") }})'
        end as event_details
    from population
    where population.becomes_eligible_this_year
),

plan_events as (
    select
        plan_changes.employee_id,
        plan_changes.event_type,
        plan_changes.event_category,
        plan_changes.effective_date,
        population.level_id,
        population.employee_birth_date,
        population.employee_hire_date,
        population.termination_date as employee_termination_date,
        replace(plan_changes.event_category, '_', ' ') || ': deferral '
            || round(plan_changes.deferral_rate_before * 100, 2) || '% -> '
            || round(plan_changes.deferral_rate_after * 100, 2) || '%' as event_details,
        plan_changes.deferral_rate_before,
        plan_changes.deferral_rate_after
    from plan_changes
    join population using (employee_id)
),

all_events as (
    select * from hire_events
    union all by name select * from termination_events
    union all by name select * from promotion_events
    union all by name select * from raise_events
    union all by name select * from eligibility_events
    union all by name select * from plan_events
),

-- terminations come last on a shared date
sequenced as (
    select
        all_events.*,
        context.simulation_year,
        context.year_end,
        row_number() over (
            partition by all_events.employee_id
            order by all_events.effective_date,
                     case all_events.event_type
                         when 'hire' then 1 when 'eligibility' then 2 when 'deferral_match_response' then 3
                         when 'deferral_escalation' then 4 when 'enrollment' then 5 when 'enrollment_change' then 6
                         when 'promotion' then 7 when 'raise' then 8 else 9 end
        ) as event_sequence
    from all_events
    cross join context
)

select
    'EVT_' || substr(md5(concat_ws('|', {{ sql_string(var("scenario_id")) }}, {{ sql_string(var("plan_design_id")) }},
        sequenced.employee_id, sequenced.simulation_year, sequenced.event_type, sequenced.effective_date)), 1, 24)
        as event_id,
    {{ sql_string(var("scenario_id")) }} as scenario_id,
    {{ sql_string(var("plan_design_id")) }} as plan_design_id,
    sequenced.employee_id,
    cast(sequenced.simulation_year as integer) as simulation_year,
    sequenced.event_type,
    sequenced.event_category,
    sequenced.effective_date,
    sequenced.compensation_before,
    sequenced.compensation_after,
    -- the pay after the event scaled to a 40-hour week (the rate of the level's band)
    round(sequenced.compensation_after * 40.0 / nullif(sequenced.scheduled_hours_per_week, 0), 2)
        as full_time_equivalent_after,
    sequenced.deferral_rate_before,
    sequenced.deferral_rate_after,
    cast(sequenced.level_id as integer) as level_id,
    cast(sequenced.simulation_year - year(sequenced.employee_birth_date) as integer) as employee_age,
    cast({{ service_years('sequenced.employee_hire_date', 'least(coalesce(sequenced.employee_termination_date, sequenced.year_end), sequenced.year_end)') }} as integer)
        as employee_tenure,
    sequenced.event_details,
    cast(sequenced.event_sequence as integer) as event_sequence
from sequenced
