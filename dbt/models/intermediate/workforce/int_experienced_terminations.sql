-- Who leaves (besides the year's retirements): the solver's exact number, chosen from the
-- whole workforce by weighted random sampling without replacement, weight = termination
-- hazard (base x age x tenure x level), so a level with a higher multiplier loses a larger
-- share of its people.
with workforce as (
    select * from {{ ref('int_workforce_start') }}
    where employee_id not in (select employee_id from {{ ref('int_retirements') }})
),

needs as (
    select * from {{ ref('int_workforce_needs') }}
),

hazard_base as (
    select * from {{ seed_table('config_termination_hazard_base') }}
),

age_multipliers as (
    select * from {{ seed_table('config_termination_hazard_age_multipliers') }}
),

tenure_multipliers as (
    select * from {{ seed_table('config_termination_hazard_tenure_multipliers') }}
),

hazard as (
    select
        workforce.*,
        hazard_base.base_rate
            * age_multipliers.multiplier
            * tenure_multipliers.multiplier
            * greatest(hazard_base.min_level_multiplier,
                       1 - hazard_base.level_discount_factor * (workforce.level_id - 1)) as termination_hazard
    from workforce
    cross join hazard_base
    join age_multipliers on workforce.age_band = age_multipliers.age_band
    join tenure_multipliers on workforce.tenure_band = tenure_multipliers.tenure_band
),

ranked as (
    select
        hazard.*,
        row_number() over (
            order by {{ weighted_sample_key('experienced_termination', 'hazard.employee_id', 'hazard.termination_hazard', 'hazard.simulation_year') }} desc,
                     hazard.employee_id
        ) as draw_rank
    from hazard
)

select
    ranked.employee_id,
    ranked.simulation_year,
    ranked.termination_hazard,
    cast(ranked.year_start + cast(floor({{ sim_random('termination_date', 'ranked.employee_id', 'ranked.simulation_year') }} * ranked.days_in_year) as integer) as date)
        as termination_date
from ranked
cross join needs
where ranked.draw_rank <= needs.experienced_terminations - needs.retirements
