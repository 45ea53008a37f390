-- PLACEHOLDER (being replaced): the contract int_employer_contributions reads.
-- One row per employee in the year's snapshot population.
select
    cast(null as varchar) as employee_id,
    cast(null as integer) as simulation_year,
    cast(null as varchar) as employment_status,       -- active | terminated
    cast(null as varchar) as detailed_status_code,    -- continuous_active | new_hire_active | experienced_termination | new_hire_termination
    cast(null as integer) as current_age,             -- age at Dec 31 of the year
    cast(null as integer) as current_tenure,          -- completed years of service at Dec 31 (or termination)
    cast(null as double) as annual_hours,             -- hours worked in the year
    cast(null as boolean) as is_plan_eligible,        -- eligible for the plan at some point this year
    cast(null as double) as plan_compensation,        -- pay earned in the year, capped at 401(a)(17)
    cast(null as double) as employee_deferrals,       -- total employee deferrals (after 402(g) + catch-up cap)
    cast(null as double) as catch_up_deferrals,       -- part of employee_deferrals above the base 402(g) limit
    cast(null as double) as annual_additions_limit    -- 415(c) limit of the year
where false
