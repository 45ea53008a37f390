{{ config(materialized='scratch_table') }}
-- A workforce model: scenarios that share the workforce read the sharing scenario's table
-- (var workforce_shared; int_workforce_of_year says more).
{% if var('workforce_shared', false) %}
select * from {{ source('sim_input', 'shared_workforce_needs') }}
{% else %}
-- Growth solver (as the peer's E077): N start actives, E experienced, P last year's
-- surviving hires, g growth, t experienced and h new-hire termination rates.
-- Integer arithmetic on rates in parts per million keeps every step exact.
with workforce as (
    select * from {{ ref('int_workforce_start') }}
),

context as (
    select * from {{ ref('stg_year_context') }}
),

retirements as (
    select count(*) as retirements from {{ ref('int_retirements') }}
),

counts as (
    select
        context.simulation_year,
        count(workforce.employee_id) as start_headcount,
        count(workforce.employee_id) filter (where not workforce.hired_last_year) as experienced_headcount,
        count(workforce.employee_id) filter (where workforce.hired_last_year) as prior_year_hire_headcount
    from context
    left join workforce on true
    group by context.simulation_year
),

rates as (
    select
        {{ ppm(var('target_growth_rate')) }} as growth_ppm,
        {{ ppm(var('total_termination_rate')) }} as termination_ppm,
        {{ ppm(var('new_hire_termination_rate')) }} as new_hire_termination_ppm
),

solved as (
    select
        counts.*,
        rates.*,
        -- round(N x (1 + g)), halves away from zero
        (counts.start_headcount * (1000000 + rates.growth_ppm) + 500000) // 1000000 as target_ending_headcount,
        -- floor(E x t + P x h), never more than everyone; at least the year's retirements
        greatest(retirements.retirements,
                 least(counts.start_headcount,
                       (counts.experienced_headcount * rates.termination_ppm
                        + counts.prior_year_hire_headcount * rates.new_hire_termination_ppm) // 1000000))
            as expected_experienced_terminations,
        retirements.retirements
    from counts
    cross join rates
    cross join retirements
),

balanced as (
    select
        *,
        target_ending_headcount - (start_headcount - expected_experienced_terminations) as net_from_hires
    from solved
),

hiring as (
    select
        *,
        case when net_from_hires > 0
            -- ceil(net / (1 - h))
            then (net_from_hires * 1000000 + (1000000 - new_hire_termination_ppm) - 1)
                 // (1000000 - new_hire_termination_ppm)
            else 0 end as total_hires,
        case when net_from_hires < 0 then -net_from_hires else 0 end as reduction_in_force
    from balanced
)

select
    simulation_year,
    start_headcount,
    experienced_headcount,
    prior_year_hire_headcount,
    growth_ppm / 1000000.0 as target_growth_rate,
    termination_ppm / 1000000.0 as total_termination_rate,
    new_hire_termination_ppm / 1000000.0 as new_hire_termination_rate,
    target_ending_headcount,
    expected_experienced_terminations,
    reduction_in_force,
    expected_experienced_terminations + reduction_in_force as experienced_terminations,
    retirements,
    total_hires,
    case when net_from_hires > 0 then total_hires - net_from_hires else 0 end as new_hire_terminations
from hiring
{% endif %}
