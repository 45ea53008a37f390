{{ config(tags=["year"]) }}

-- Every change of an employee's deferral rate from last year-end to this year-end is
-- explained by an event this year; escalation never passes its cap or touches
-- employees who opted out of escalation.
with context as (
    select simulation_year from {{ source('sim_input', 'year_context') }}
),

this_year as (
    select snapshot.* from {{ ref('fct_workforce_snapshot') }} as snapshot
    join context using (simulation_year)
),

previous as (
    select employee_id, deferral_rate from {{ source('sim_input', 'prev_state') }}
),

plan_events as (
    select employee_id, count(*) as n_events
    from {{ ref('fct_yearly_events') }}
    where simulation_year = (select simulation_year from context)
      and event_type in ('enrollment', 'enrollment_change', 'deferral_match_response', 'deferral_escalation')
    group by employee_id
),

unexplained as (
    select this_year.employee_id, 'rate changed without an event' as problem
    from this_year
    join previous using (employee_id)
    left join plan_events using (employee_id)
    where abs(this_year.deferral_rate - previous.deferral_rate) > 1e-9 and plan_events.employee_id is null
),

bad_escalations as (
    select events.employee_id, 'escalation past cap or opted out' as problem
    from {{ ref('fct_yearly_events') }} as events
    join this_year using (employee_id)
    where events.simulation_year = (select simulation_year from context)
      and events.event_type = 'deferral_escalation'
      and (events.deferral_rate_after > {{ var('escalation_maximum_rate') }} + 1e-9
           or this_year.auto_escalation_opt_out)
)

select * from unexplained
union all
select * from bad_escalations
