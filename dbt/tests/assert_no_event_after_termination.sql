{{ config(tags=["year"]) }}

-- No employee has an event dated after their termination date (account events, the
-- forfeiture at termination and payouts at year end, concern the account, not the job).
with events as (
    select * from {{ ref('fct_yearly_events') }}
    where simulation_year = (select simulation_year from {{ source('sim_input', 'year_context') }})
      and event_type not in ('forfeiture', 'distribution')
),

terminations as (
    select employee_id, min(effective_date) as termination_date
    from events
    where event_type = 'termination'
    group by employee_id
)

select events.*
from events
join terminations using (employee_id)
where events.effective_date > terminations.termination_date
   or (events.effective_date = terminations.termination_date and events.event_type <> 'termination'
       and events.event_type <> 'hire')
