-- Who retires among Jan 1 actives: everyone who reaches workforce.retirement.maximum_age
-- this year (on the birthday, or Jan 1 if past it), and others of 55 and over with the
-- yearly probability of their age (dbt seed config_retirement_rates; the last age's rate
-- for older ages), dated uniformly over the year. Retirements count inside the solver's
-- experienced terminations.
{%- set maximum_age = var('retirement_maximum_age') %}
with workforce as (
    select * from {{ ref('int_workforce_start') }}
),

rates as (
    select * from {{ ref('config_retirement_rates') }}
),

candidates as (
    select
        workforce.*,
        coalesce((select rates.retirement_rate from rates where rates.age = workforce.current_age),
                 (select rates.retirement_rate from rates order by rates.age desc limit 1)) as retirement_rate,
        {{ sim_random('retirement', 'workforce.employee_id', 'workforce.simulation_year') }} as u_retire,
        {{ sim_random('retirement_date', 'workforce.employee_id', 'workforce.simulation_year') }} as u_date
    from workforce
    where {{ sql_bool(var('retirement_enabled')) }}
      and workforce.current_age >= (select min(age) from rates)
)

select
    employee_id,
    simulation_year,
    {%- if maximum_age is not none %}
    current_age >= {{ maximum_age }} as is_mandatory,
    case when current_age >= {{ maximum_age }}
         then greatest(year_start, cast(employee_birth_date + to_years({{ maximum_age }}) as date))
         else cast(year_start + cast(floor(u_date * days_in_year) as integer) as date) end as termination_date
    {%- else %}
    false as is_mandatory,
    cast(year_start + cast(floor(u_date * days_in_year) as integer) as date) as termination_date
    {%- endif %}
from candidates
where u_retire < retirement_rate
   {%- if maximum_age is not none %} or current_age >= {{ maximum_age }}{% endif %}
