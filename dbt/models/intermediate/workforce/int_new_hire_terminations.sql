-- Exactly the solver's number of this year's hires leave before Dec 31. Chosen by
-- weighted sampling with weight = days at risk (earlier hires are more exposed),
-- dated uniformly between the day after hire and Dec 31.
with hires as (
    select * from {{ ref('int_hires') }}
),

needs as (
    select * from {{ ref('int_workforce_needs') }}
),

context as (
    select * from {{ ref('stg_year_context') }}
),

at_risk as (
    select
        hires.*,
        datediff('day', hires.employee_hire_date, context.year_end) as days_at_risk,
        context.year_end
    from hires
    cross join context
),

ranked as (
    select
        at_risk.*,
        row_number() over (
            order by {{ weighted_sample_key('new_hire_termination', 'at_risk.employee_id', 'at_risk.days_at_risk', 'at_risk.simulation_year') }} desc,
                     at_risk.employee_id
        ) as draw_rank
    from at_risk
    where at_risk.days_at_risk > 0
)

select
    ranked.employee_id,
    ranked.simulation_year,
    cast(ranked.employee_hire_date + 1
         + cast(floor({{ sim_random('new_hire_termination_date', 'ranked.employee_id', 'ranked.simulation_year') }} * ranked.days_at_risk) as integer) as date)
        as termination_date
from ranked
cross join needs
where ranked.draw_rank <= needs.new_hire_terminations
