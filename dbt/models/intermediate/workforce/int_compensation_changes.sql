{{ config(materialized='scratch_table') }}
-- A workforce model: scenarios that share the workforce read the sharing scenario's table
-- (var workforce_shared; int_workforce_of_year says more).
{% if var('workforce_shared', false) %}
select * from {{ source('sim_input', 'shared_compensation_changes') }}
{% else %}
-- Promotions (Bernoulli on the promotion hazard, one level up, seeded raise) and
-- merit + COLA raises, each dated inside the year and only while still employed.
-- The later of the two applies to the salary the earlier one produced, so the
-- year-end rate and the prorated pay compound both.
{% set methodology = var('raise_timing_methodology') %}
with workforce as (
    -- Jan 1 actives, with their termination date if they leave this year
    select * from {{ ref('int_workforce_of_year') }}
    where not is_new_hire
),

levels as (
    select * from {{ ref('config_job_levels') }}
),

top_level as (
    select max(level_id) as level_id from levels
),

-- the seed's merit rate of each level (scaled to the budget below)
merit_by_level as (
    select level_id, merit_rate as seed_merit_rate from levels
),

promotion_base as (
    select * from {{ seed_table('config_promotion_hazard_base') }}
),

promotion_age as (
    select * from {{ seed_table('config_promotion_hazard_age_multipliers') }}
),

promotion_tenure as (
    select * from {{ seed_table('config_promotion_hazard_tenure_multipliers') }}
),

raise_months as (
    select month, sum(share) over (order by month) / sum(share) over () as cumulative_share
    from {{ ref('config_raise_timing_distribution') }}
),

candidates as (
    select
        workforce.*,
        workforce.start_compensation as current_compensation,
        coalesce(workforce.termination_date, workforce.year_end + 1) as employed_until,
        {{ month_day_date('workforce.simulation_year', var('promotion_effective_date')) }} as promotion_date,
        {% if methodology == 'realistic' %}
        (select min(raise_months.month) from raise_months
         where raise_months.cumulative_share >= {{ sim_random('raise_month', 'workforce.employee_id', 'workforce.simulation_year') }}) as raise_month,
        {% endif %}
        least(1.0, {{ var('promotion_rate_multiplier') }}
            * promotion_base.base_rate
            * promotion_age.multiplier
            * promotion_tenure.multiplier
            * greatest(0.0, 1 - promotion_base.level_dampener_factor * (workforce.level_id - 1))) as promotion_probability
    from workforce
    cross join promotion_base
    join promotion_age on workforce.age_band = promotion_age.age_band
    join promotion_tenure on workforce.tenure_band = promotion_tenure.tenure_band
),

dated as (
    select
        candidates.*,
        {% if methodology == 'realistic' %}
        cast(make_date(candidates.simulation_year, candidates.raise_month, 1)
             + cast(floor({{ sim_random('raise_day', 'candidates.employee_id', 'candidates.simulation_year') }}
                          * day(last_day(make_date(candidates.simulation_year, candidates.raise_month, 1)))) as integer)
             as date) as raise_date
        {% else %}
        {{ month_day_date('candidates.simulation_year', var('raise_effective_date')) }} as raise_date
        {% endif %}
    from candidates
),

decided as (
    select
        dated.*,
        dated.current_tenure >= 1
            and dated.level_id < (select level_id from top_level)
            and dated.promotion_date < dated.employed_until as is_promotion_eligible,
        dated.current_tenure >= 1
            and dated.level_id < (select level_id from top_level)
            and dated.promotion_date < dated.employed_until
            and {{ sim_random('promotion', 'dated.employee_id', 'dated.simulation_year') }} < dated.promotion_probability as is_promoted,
        dated.current_tenure >= 1 and dated.raise_date < dated.employed_until as gets_raise,
        {% set distribution = var('promotion_distribution_type') %}
        {% set base_pct = level_lookup(var('promotion_level_overrides'), 'dated.level_id', var('promotion_base_increase_pct')) %}
        {% if distribution == 'deterministic' %}
        {{ base_pct }}
        {% elif distribution == 'normal' %}
        {{ base_pct }} + {{ var('promotion_normal_std_dev') }}
            * sqrt(-2 * ln(greatest({{ sim_random('promotion_raise_a', 'dated.employee_id', 'dated.simulation_year') }}, 1e-18)))
            * cos(2 * pi() * {{ sim_random('promotion_raise_b', 'dated.employee_id', 'dated.simulation_year') }})
        {% else %}
        {{ base_pct }} + {{ var('promotion_distribution_range') }}
            * (2 * {{ sim_random('promotion_raise', 'dated.employee_id', 'dated.simulation_year') }} - 1)
        {% endif %} as promotion_pct
    from dated
),

ordered as (
    select
        decided.*,
        decided.is_promoted and (not decided.gets_raise or decided.promotion_date <= decided.raise_date) as promotion_first
    from decided
),

raise_levels as (
    select
        ordered.*,
        case when ordered.promotion_first then ordered.level_id + 1
             else ordered.level_id end as raise_level_id
    from ordered
),

with_merit as (
    select
        raise_levels.*,
        merit_by_level.seed_merit_rate,
        {{ var('cola_rate') }} as cola_rate
    from raise_levels
    left join merit_by_level on raise_levels.raise_level_id = merit_by_level.level_id
),

salaries as (
    select
        with_merit.*,
        case when with_merit.promotion_first
             then {{ promoted_salary('with_merit.current_compensation', 'with_merit.promotion_pct') }} end
            as salary_after_early_promotion
    from with_merit
),

-- the merit budget is the payroll-weighted average merit of those who get a raise: each
-- level's seed rate is scaled by budget x their pay / (seed rates x their pay). Summed as
-- decimals: a sum of doubles taken in parallel differs in its last bits from run to run.
merit_scale as (
    select
        {% if var('merit_budget') is not none -%}
        coalesce({{ var('merit_budget') }}
                 * cast(sum(cast(coalesce(salary_after_early_promotion, current_compensation) as decimal(38, 8))) as double)
                 / nullif(cast(sum(cast(seed_merit_rate * coalesce(salary_after_early_promotion, current_compensation)
                                        as decimal(38, 8))) as double), 0), 1.0)
        {%- else -%}
        1.0
        {%- endif %} as factor
    from salaries
    where gets_raise
),

scaled as (
    select salaries.*, salaries.seed_merit_rate * coalesce(merit_scale.factor, 1.0) as merit_rate
    from salaries
    cross join merit_scale
),

raised as (
    select
        salaries.*,
        coalesce(salaries.salary_after_early_promotion, salaries.current_compensation) as raise_salary_before,
        case when salaries.gets_raise
             then round(coalesce(salaries.salary_after_early_promotion, salaries.current_compensation)
                        * (1 + greatest(0.0, salaries.merit_rate + salaries.cola_rate)), 2) end as raise_salary_after
    from scaled as salaries
)

select
    employee_id,
    simulation_year,
    level_id as start_level_id,
    current_compensation as start_compensation,
    is_promotion_eligible,
    is_promoted,
    promotion_date,
    promotion_probability,
    case when is_promoted then
        case when promotion_first then current_compensation else raise_salary_after end
    end as promotion_salary_before,
    case when is_promoted then
        case when promotion_first then salary_after_early_promotion
             else {{ promoted_salary('raise_salary_after', 'promotion_pct') }} end
    end as promotion_salary_after,
    gets_raise,
    raise_date,
    raise_level_id,
    merit_rate,
    cola_rate,
    raise_salary_before,
    raise_salary_after
from raised
order by employee_id  -- as the shared copy is (int_workforce_of_year)
{% endif %}
