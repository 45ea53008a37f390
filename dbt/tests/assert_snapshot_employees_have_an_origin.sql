{{ config(tags=["year"]) }}

-- Every snapshot employee comes from the census or from a hire event.
with snapshot as (
    select * from {{ ref('fct_workforce_snapshot') }}
    where simulation_year = (select simulation_year from {{ source('sim_input', 'year_context') }})
),

origins as (
    select employee_id from {{ ref('int_baseline_workforce') }}
    union all
    select employee_id from {{ ref('fct_yearly_events') }} where event_type = 'hire'
)

select snapshot.employee_id, snapshot.simulation_year
from snapshot
where not exists (select 1 from origins where origins.employee_id = snapshot.employee_id)
