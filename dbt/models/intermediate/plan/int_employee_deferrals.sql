{{ config(materialized='table') }}

-- Employee deferrals on pay actually earned in the year: salary and deferral-rate
-- periods between events, prorated by days; pay capped at 401(a)(17); deferrals
-- capped at 402(g) plus the age-50 catch-up (the higher one at 60-63). Also the plan
-- state each employee ends the year with (enrollment, rate, escalations).
with population as (
    select * from {{ ref('int_plan_eligibility') }}
),

events as (
    select * from {{ ref('int_yearly_events') }}
),

limits as (
    select * from {{ ref('int_irs_limits') }}
),

changes as (
    select employee_id, effective_date as change_date, event_sequence, compensation_after as pay_rate
    from events
    where event_type in ('hire', 'promotion', 'raise')
    union all by name
    select employee_id, effective_date as change_date, event_sequence, deferral_rate_after as deferral_rate
    from events
    where event_type in ('enrollment', 'enrollment_change', 'deferral_escalation')
    union all by name
    -- the rates in force when the year (or the job) starts
    select employee_id,
           case when is_new_hire then employee_hire_date else year_start end as change_date,
           0 as event_sequence,
           case when is_new_hire then null else start_compensation end as pay_rate,
           case when is_enrolled then deferral_rate else 0.0 end as deferral_rate
    from population
),

periods as (
    select
        changes.employee_id,
        changes.change_date,
        changes.event_sequence,
        last_value(changes.pay_rate ignore nulls) over ordered as pay_rate,
        last_value(changes.deferral_rate ignore nulls) over ordered as deferral_rate,
        lead(changes.change_date) over (partition by changes.employee_id
                                        order by changes.change_date, changes.event_sequence) as next_change_date
    from changes
    window ordered as (partition by changes.employee_id order by changes.change_date, changes.event_sequence
                       rows between unbounded preceding and current row)
),

period_days as (
    select
        periods.*,
        greatest(0, datediff('day', periods.change_date,
            least(coalesce(periods.next_change_date - 1, population.year_end),
                  coalesce(population.termination_date, population.year_end))) + 1) as days,
        population.days_in_year
    from periods
    join population using (employee_id)
),

earned as (
    select
        employee_id,
        sum(pay_rate * days / days_in_year) as earned_compensation,
        sum(pay_rate * deferral_rate * days / days_in_year) as requested_deferrals,
        max_by(deferral_rate, (change_date, event_sequence)) as year_end_deferral_rate,
        max_by(pay_rate, (change_date, event_sequence)) as year_end_compensation
    from period_days
    group by employee_id
),

plan_events as (
    select
        employee_id,
        min(effective_date) filter (where event_type = 'enrollment') as enrolled_on,
        any_value(event_category) filter (where event_type = 'enrollment') as enrollment_category,
        count(*) filter (where event_type = 'enrollment_change') > 0 as opted_out,
        count(*) filter (where event_category = 'auto_enrollment') > 0 as auto_enrolled,
        count(*) filter (where event_type = 'deferral_escalation') as escalations
    from events
    where event_type in ('enrollment', 'enrollment_change', 'deferral_escalation')
    group by employee_id
),

capped as (
    select
        population.*,
        coalesce(earned.earned_compensation, 0) as earned_compensation,
        least(coalesce(earned.earned_compensation, 0), limits.compensation_limit_401a17) as plan_compensation,
        coalesce(earned.requested_deferrals, 0)
            * least(1.0, limits.compensation_limit_401a17 / nullif(earned.earned_compensation, 0)) as requested_deferrals,
        coalesce(earned.earned_compensation, 0) > limits.compensation_limit_401a17 as compensation_limit_applied,
        limits.deferral_limit_402g,
        limits.deferral_limit_402g + case
            when population.current_age between limits.super_catch_up_min_age and limits.super_catch_up_max_age
                 and limits.super_catch_up_limit > 0 then limits.super_catch_up_limit
            when population.current_age >= limits.catch_up_age then limits.catch_up_limit
            else 0 end as deferral_limit,
        limits.annual_additions_limit_415c as annual_additions_limit,
        earned.year_end_deferral_rate,
        earned.year_end_compensation,
        plan_events.enrolled_on,
        plan_events.enrollment_category,
        coalesce(plan_events.opted_out, false) as opted_out_this_year,
        coalesce(plan_events.auto_enrolled, false) as auto_enrolled_this_year,
        coalesce(plan_events.escalations, 0) as escalations_this_year,
        population.scheduled_hours_per_week * 52.0
            * greatest(0, datediff('day', greatest(population.employee_hire_date, population.year_start),
                                   coalesce(population.termination_date, population.year_end)) + 1)
            / population.days_in_year as annual_hours
    from population
    join limits on population.simulation_year = limits.limit_year
    left join earned using (employee_id)
    left join plan_events using (employee_id)
),

deferred as (
    select
        capped.*,
        round(least(capped.requested_deferrals, capped.deferral_limit), 2) as employee_deferrals
    from capped
)

select
    employee_id,
    simulation_year,
    case when termination_date is null then 'active' else 'terminated' end as employment_status,
    case
        when is_new_hire and termination_date is not null then 'new_hire_termination'
        when is_new_hire then 'new_hire_active'
        when termination_date is not null then 'experienced_termination'
        else 'continuous_active'
    end as detailed_status_code,
    cast(current_age as integer) as current_age,
    cast(current_tenure as integer) as current_tenure,
    round(annual_hours, 1) as annual_hours,
    is_plan_eligible,
    eligibility_date,
    year_end_compensation,
    round(earned_compensation, 2) as earned_compensation,
    round(plan_compensation, 2) as plan_compensation,
    compensation_limit_applied,
    round(requested_deferrals, 2) as requested_deferrals,
    employee_deferrals,
    round(greatest(0, employee_deferrals - deferral_limit_402g), 2) as catch_up_deferrals,
    deferral_limit,
    requested_deferrals > deferral_limit as deferral_limit_reached,
    annual_additions_limit,
    -- plan state at Dec 31 (handed to next year)
    coalesce(year_end_deferral_rate, 0.0) as year_end_deferral_rate,
    (is_enrolled or enrolled_on is not null) and not opted_out_this_year as is_enrolled_year_end,
    case when opted_out_this_year then null else coalesce(enrolled_on, enrollment_date) end as year_end_enrollment_date,
    case when opted_out_this_year then null
         when enrollment_category is not null then replace(enrollment_category, '_enrollment', '')
         else enrollment_source end as year_end_enrollment_source,
    ever_opted_out or opted_out_this_year as ever_opted_out_year_end,
    auto_enrolled_before or auto_enrolled_this_year as auto_enrolled_before_year_end,
    escalation_count + escalations_this_year as escalation_count_year_end,
    escalations_this_year
from deferred
