{{ config(tags=["year"]) }}

-- At most one enrollment and one opt-out per employee and year, and no enrollment
-- before the employee is eligible for the plan.
with events as (
    select * from {{ ref('fct_yearly_events') }}
    where simulation_year = (select simulation_year from {{ source('sim_input', 'year_context') }})
      and event_type in ('enrollment', 'enrollment_change')
),

repeated as (
    select employee_id, event_type, count(*) as n_events
    from events
    group by employee_id, event_type
    having count(*) > 1
),

before_eligibility as (
    select events.employee_id, events.event_type, 1 as n_events
    from events
    join {{ ref('fct_workforce_snapshot') }} as snapshot
      on snapshot.employee_id = events.employee_id and snapshot.simulation_year = events.simulation_year
    where events.event_type = 'enrollment'
      and (snapshot.plan_eligibility_date is null or events.effective_date < snapshot.plan_eligibility_date)
)

select * from repeated
union all
select * from before_eligibility
