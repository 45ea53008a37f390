{{ config(pre_hook="{{ delete_current_year_rows() }}") }}

-- Every employee event of the year, one row each.
with workforce as (
    select * from {{ ref('int_workforce_start') }}
),

hires as (
    select * from {{ ref('int_hires') }}
),

experienced_terminations as (
    select * from {{ ref('int_experienced_terminations') }}
),

new_hire_terminations as (
    select * from {{ ref('int_new_hire_terminations') }}
),

changes as (
    select * from {{ ref('int_compensation_changes') }}
),

context as (
    select * from {{ ref('stg_year_context') }}
),

population as (
    select * from {{ ref('int_plan_population') }}
),

plan_changes as (
    select * from {{ ref('int_enrollment_events') }}
    union all
    select * from {{ ref('int_deferral_escalations') }}
),

hire_events as (
    select
        hires.employee_id,
        'hire' as event_type,
        'hire' as event_category,
        hires.employee_hire_date as effective_date,
        cast(null as double) as compensation_before,
        hires.hire_compensation as compensation_after,
        hires.level_id,
        hires.employee_birth_date,
        hires.employee_hire_date,
        'New hire at level ' || hires.level_id as event_details
    from hires
),

experienced_termination_events as (
    select
        experienced_terminations.employee_id,
        'termination' as event_type,
        'experienced_termination' as event_category,
        experienced_terminations.termination_date as effective_date,
        coalesce(changes.promotion_salary_after, changes.raise_salary_after, workforce.current_compensation)
            as compensation_before,
        cast(null as double) as compensation_after,
        coalesce(changes.raise_level_id, workforce.level_id) as level_id,
        workforce.employee_birth_date,
        workforce.employee_hire_date,
        'Experienced termination (hazard ' || round(experienced_terminations.termination_hazard, 4) || ')' as event_details
    from experienced_terminations
    join workforce using (employee_id)
    left join changes using (employee_id)
),

new_hire_termination_events as (
    select
        new_hire_terminations.employee_id,
        'termination' as event_type,
        'new_hire_termination' as event_category,
        new_hire_terminations.termination_date as effective_date,
        hires.hire_compensation as compensation_before,
        cast(null as double) as compensation_after,
        hires.level_id,
        hires.employee_birth_date,
        hires.employee_hire_date,
        'New-hire termination' as event_details
    from new_hire_terminations
    join hires using (employee_id)
),

promotion_events as (
    select
        changes.employee_id,
        'promotion' as event_type,
        'promotion' as event_category,
        changes.promotion_date as effective_date,
        changes.promotion_salary_before as compensation_before,
        changes.promotion_salary_after as compensation_after,
        changes.start_level_id + 1 as level_id,
        workforce.employee_birth_date,
        workforce.employee_hire_date,
        'Promotion from level ' || changes.start_level_id || ' to ' || (changes.start_level_id + 1)
            || ' (p=' || round(changes.promotion_probability, 4) || ')' as event_details
    from changes
    join workforce using (employee_id)
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
        changes.raise_level_id as level_id,
        workforce.employee_birth_date,
        workforce.employee_hire_date,
        'Merit ' || round(changes.merit_rate * 100, 2) || '% + COLA ' || round(changes.cola_rate * 100, 2) || '%'
            as event_details
    from changes
    join workforce using (employee_id)
    where changes.gets_raise
),

eligibility_events as (
    select
        population.employee_id,
        'eligibility' as event_type,
        'plan_eligibility' as event_category,
        population.eligibility_date as effective_date,
        cast(null as double) as compensation_before,
        cast(null as double) as compensation_after,
        population.level_id,
        population.employee_birth_date,
        population.employee_hire_date,
        'Eligible for the plan (minimum age {{ var("plan_eligibility_minimum_age") }}, waiting period '
            || {{ var("plan_eligibility_waiting_period_days") }} || ' days)' as event_details
    from population
    where population.becomes_eligible_this_year
),

plan_events as (
    select
        plan_changes.employee_id,
        plan_changes.event_type,
        plan_changes.event_category,
        plan_changes.effective_date,
        cast(null as double) as compensation_before,
        cast(null as double) as compensation_after,
        population.level_id,
        population.employee_birth_date,
        population.employee_hire_date,
        replace(plan_changes.event_category, '_', ' ') || ': deferral '
            || round(plan_changes.deferral_rate_before * 100, 2) || '% -> '
            || round(plan_changes.deferral_rate_after * 100, 2) || '%' as event_details,
        plan_changes.deferral_rate_before,
        plan_changes.deferral_rate_after
    from plan_changes
    join population using (employee_id)
),

workforce_events as (
    select * from hire_events
    union all select * from experienced_termination_events
    union all select * from new_hire_termination_events
    union all select * from promotion_events
    union all select * from raise_events
    union all select * from eligibility_events
),

all_events as (
    select workforce_events.*, cast(null as double) as deferral_rate_before, cast(null as double) as deferral_rate_after
    from workforce_events
    union all
    select * from plan_events
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
                         when 'hire' then 1 when 'eligibility' then 2 when 'deferral_escalation' then 3
                         when 'enrollment' then 4 when 'enrollment_change' then 5 when 'promotion' then 6
                         when 'raise' then 7 else 9 end
        ) as event_sequence,
        min(case when all_events.event_type = 'termination' then all_events.effective_date end)
            over (partition by all_events.employee_id) as termination_date
    from all_events
    cross join context
)

select
    'EVT_' || substr(md5(concat_ws('|', '{{ var("scenario_id") }}', '{{ var("plan_design_id") }}',
        sequenced.employee_id, sequenced.simulation_year, sequenced.event_type, sequenced.effective_date)), 1, 24)
        as event_id,
    '{{ var("scenario_id") }}' as scenario_id,
    '{{ var("plan_design_id") }}' as plan_design_id,
    sequenced.employee_id,
    cast(sequenced.simulation_year as integer) as simulation_year,
    sequenced.event_type,
    sequenced.event_category,
    sequenced.effective_date,
    sequenced.compensation_before,
    sequenced.compensation_after,
    sequenced.deferral_rate_before,
    sequenced.deferral_rate_after,
    cast(sequenced.level_id as integer) as level_id,
    cast(sequenced.simulation_year - year(sequenced.employee_birth_date) as integer) as employee_age,
    cast({{ service_years('sequenced.employee_hire_date', 'least(coalesce(sequenced.termination_date, sequenced.year_end), sequenced.year_end)') }} as integer)
        as employee_tenure,
    sequenced.event_details,
    cast(sequenced.event_sequence as integer) as event_sequence
from sequenced
