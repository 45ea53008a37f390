-- The pay and deferral-rate periods of each employee's year: a period starts at each pay
-- event (hire, promotion, raise), deferral-rate event (enrollment, opt-out, match
-- response, escalation) and at plan entry, and lasts until the next one, within the days
-- employed. Deferrals are made only while in the plan (from the entry date, never when
-- excluded). A table: the year's deferrals and the per-pay-period match read it.
{{ config(materialized='scratch_table') }}

with population as (
    select * from {{ ref('int_plan_eligibility') }}
),

events as (
    select * from {{ ref('int_yearly_events') }}
),

changes as (
    select employee_id, effective_date as change_date, event_sequence, compensation_after as pay_rate
    from events
    where event_type in ('hire', 'promotion', 'raise')
    union all by name
    select employee_id, effective_date as change_date, event_sequence, deferral_rate_after as deferral_rate
    from events
    where event_type in ('enrollment', 'enrollment_change', 'deferral_match_response', 'deferral_escalation')
    union all by name
    -- the rates in force when the year (or the job) starts
    select employee_id,
           case when is_new_hire then employee_hire_date else year_start end as change_date,
           0 as event_sequence,
           case when is_new_hire then null else start_compensation end as pay_rate,
           case when is_enrolled then deferral_rate else 0.0 end as deferral_rate
    from population
    union all by name
    -- plan entry inside the year splits the period it falls in
    select employee_id, eligibility_date as change_date, -1 as event_sequence
    from population
    where is_plan_eligible and eligibility_date > year_start
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
)

select
    periods.employee_id,
    periods.change_date,
    periods.event_sequence,
    least(coalesce(periods.next_change_date - 1, population.year_end),
          coalesce(population.termination_date, population.year_end)) as end_date,
    greatest(0, datediff('day', periods.change_date,
        least(coalesce(periods.next_change_date - 1, population.year_end),
              coalesce(population.termination_date, population.year_end))) + 1) as days,
    population.days_in_year,
    periods.pay_rate,
    periods.deferral_rate,
    -- the rate elected; deferred only while in the plan
    case when population.is_plan_eligible and periods.change_date >= population.eligibility_date
         then periods.deferral_rate else 0.0 end as deferral_rate_in_plan
from periods
join population using (employee_id)
