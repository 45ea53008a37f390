-- This year's hires: the solver's count; levels follow the current mix (or a
-- configured one) by evenly spaced slots; age, birthday, hire date, pay and schedule
-- are seeded draws per hire. Pay: a position in the level's band, the bands indexed by
-- pay_band_index a year from the first simulated year, times hours / 40 for part-timers.
{% set level_mix = var('new_hire_level_mix') %}
with needs as (
    select * from {{ ref('int_workforce_needs') }}
),

context as (
    select * from {{ ref('stg_year_context') }}
),

levels as (
    select * from {{ ref('config_job_levels') }}
),

level_share as (
    {% if level_mix %}
    select level_id, share from (values
        {%- for level, share in level_mix.items() %}
        ({{ level | int }}, {{ share }}){{ "," if not loop.last }}
        {%- endfor %}
    ) as mix(level_id, share)
    {% else %}
    select level_id, count(*) as share
    from {{ ref('int_workforce_start') }}
    group by level_id
    {% endif %}
),

level_interval as (
    select
        level_id,
        sum(share) over (order by level_id) / sum(share) over () as cumulative_share
    from level_share
),

slots as (
    select
        context.*,
        slot.slot_number,
        'NH_' || context.simulation_year || '_' || lpad(cast(slot.slot_number as varchar), 6, '0') as employee_id,
        (slot.slot_number - 0.5) / needs.total_hires as slot_position
    from needs
    cross join context
    cross join range(1, needs.total_hires + 1) as slot(slot_number)
),

slot_level as (
    select
        slots.*,
        (select min(level_interval.level_id)
         from level_interval
         where level_interval.cumulative_share >= slots.slot_position) as level_id
    from slots
),

age_distribution as (
    select
        hire_age,
        sum(age_weight) over (order by hire_age) / sum(age_weight) over () as cumulative_weight
    from {{ seed_table('config_new_hire_age_distribution') }}
),

drawn as (
    select
        slot_level.*,
        {{ sim_random('hire_age', 'slot_level.employee_id', 'slot_level.simulation_year') }} as u_age,
        {{ sim_random('hire_pay', 'slot_level.employee_id', 'slot_level.simulation_year') }} as u_pay,
        {{ sim_random('hire_date', 'slot_level.employee_id', 'slot_level.simulation_year') }} as u_hire_date,
        {{ sim_random('birth_day', 'slot_level.employee_id', 'slot_level.simulation_year') }} as u_birth_day,
        {{ sim_random('part_time', 'slot_level.employee_id', 'slot_level.simulation_year') }} as u_part_time
    from slot_level
),

priced as (
    select
        drawn.*,
        (select min(age_distribution.hire_age) from age_distribution
         where age_distribution.cumulative_weight >= drawn.u_age) as hire_age,
        -- target percentile inside the band, spread uniformly with the configured sd
        least(1.0, greatest(0.0,
            {{ level_lookup(var('new_hire_level_percentiles'), 'drawn.level_id', var('new_hire_default_percentile')) }}
            + {{ var('new_hire_percentile_std_dev') }} * sqrt(12.0) * (drawn.u_pay - 0.5)
        )) as pay_percentile,
        {{ var('new_hire_market_base_adjustment') }}
            * {{ level_lookup(var('new_hire_market_level_adjustments'), 'drawn.level_id', 1.0) }} as market_adjustment
    from drawn
),

scheduled as (
    select
        priced.*,
        case when priced.u_part_time < {{ var('part_time_new_hire_pct') }}
             then cast({{ var('part_time_hours_per_week') }} as double) else 40.0 end as scheduled_hours_per_week,
        -- the bands move with the pay-band index from the second simulated year
        pow(1 + {{ var('pay_band_index') }}, priced.simulation_year - {{ var('start_year') }}) as band_factor
    from priced
)

select
    scheduled.employee_id,
    scheduled.simulation_year,
    scheduled.level_id,
    cast(scheduled.year_start + cast(floor(scheduled.u_hire_date * (scheduled.days_in_year - 1)) as integer) as date)
        as employee_hire_date,
    cast(make_date(scheduled.simulation_year - scheduled.hire_age, 1, 1)
         + cast(floor(scheduled.u_birth_day * 365) as integer) as date) as employee_birth_date,
    scheduled.hire_age as current_age,
    -- the full-time rate of the (indexed) band, times the share of a 40-hour week worked
    round((levels.min_compensation + (levels.max_compensation - levels.min_compensation) * scheduled.pay_percentile)
          * scheduled.band_factor * scheduled.market_adjustment * scheduled.scheduled_hours_per_week / 40.0, 2)
        as hire_compensation,
    scheduled.scheduled_hours_per_week
from scheduled
join levels on scheduled.level_id = levels.level_id
