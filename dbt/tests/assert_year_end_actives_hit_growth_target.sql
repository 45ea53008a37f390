{{ config(tags=["year"]) }}

-- Year-end actives = round(start x (1 + growth)) exactly, and end = start + hires - terminations.
select summary.*
from {{ ref('fct_year_summary') }} as summary
where summary.simulation_year = (select simulation_year from {{ source('sim_input', 'year_context') }})
  and (summary.end_headcount <> summary.target_ending_headcount
       or summary.end_headcount <> summary.start_headcount + summary.hires - summary.total_terminations)
