{{ config(tags=["year"]) }}

-- No employee defers more than the 402(g) limit for their age and year, and annual
-- additions never exceed 415(c); employer money never comes from pay above 401(a)(17).
select *
from {{ ref('fct_workforce_snapshot') }}
where simulation_year = (select simulation_year from {{ source('sim_input', 'year_context') }})
  and (employee_deferrals > deferral_limit + 0.005
       or annual_additions > annual_additions_limit + 0.005
       or plan_compensation > (select compensation_limit_401a17 from {{ ref('int_irs_limits') }}
                               where limit_year = simulation_year) + 0.005
       or (catch_up_deferrals > 0 and current_age < 50))
