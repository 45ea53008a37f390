{{ config(tags=["year"]) }}

-- An employee is terminated at most once and never appears again afterwards, except as a
-- former employee whose balance stays in the plan (deferred_vested).
with snapshot as (
    select * from {{ ref('fct_workforce_snapshot') }}
),

first_termination as (
    select employee_id, min(simulation_year) as termination_year
    from snapshot
    where employment_status = 'terminated'
    group by employee_id
)

select snapshot.employee_id, snapshot.simulation_year
from snapshot
join first_termination using (employee_id)
where snapshot.simulation_year > first_termination.termination_year
  and snapshot.employment_status <> 'deferred_vested'
