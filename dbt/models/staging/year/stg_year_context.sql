{{ config(materialized='ephemeral') }}

with context as (
    select cast(simulation_year as integer) as simulation_year,
           cast(forfeiture_account_opening as double) as forfeiture_account_opening,
           cast(prior_year_nhce_adp as double) as prior_year_nhce_adp,
           cast(prior_year_nhce_acp as double) as prior_year_nhce_acp
    from {{ source('sim_input', 'year_context') }}
)

select
    simulation_year,
    make_date(simulation_year, 1, 1) as year_start,
    make_date(simulation_year, 12, 31) as year_end,
    datediff('day', make_date(simulation_year, 1, 1), make_date(simulation_year, 12, 31)) + 1 as days_in_year,
    forfeiture_account_opening,
    -- last year's NHCE averages (prior-year testing); null in the first simulated year
    prior_year_nhce_adp,
    prior_year_nhce_acp
from context
