{{ config(tags=["year"]) }}

-- This year's start headcount is last year's year-end actives (the census baseline in year one).
with context as (
    select simulation_year from {{ source('sim_input', 'year_context') }}
),

previous_end as (
    select count(*) as headcount
    from {{ ref('fct_workforce_snapshot') }} as snapshot
    join context on snapshot.simulation_year = context.simulation_year - 1
    where snapshot.employment_status = 'active'
),

baseline as (
    select count(*) as headcount from {{ ref('int_baseline_workforce') }} where account_status = 'active'
),

expected as (
    select case when context.simulation_year = {{ var('start_year') }}
                then baseline.headcount else previous_end.headcount end as headcount
    from context cross join baseline cross join previous_end
)

select summary.simulation_year, summary.start_headcount, expected.headcount as expected_start_headcount
from {{ ref('fct_year_summary') }} as summary
join context on summary.simulation_year = context.simulation_year
cross join expected
where summary.start_headcount <> expected.headcount
