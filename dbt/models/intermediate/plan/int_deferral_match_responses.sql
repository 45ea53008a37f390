-- Participants' response to the match (the peer's deferral_match_response): in the first
-- simulated year, enrolled participants below the match-maximising rate move up with the
-- configured probability (to the rate, or part of the way), those above it may move down;
-- effective Jan 1. With timing on_change, only when the match-maximising rate differs from
-- the one of the plan in the base config (a scenario's new design).
{%- set response = var('match_response') %}
{%- set target = var('match_ceiling') %}
{%- set active = response.enabled and target > 0
      and (response.timing == 'first_year' or target != var('reference_match_ceiling')) %}
with population as (
    select * from {{ ref('int_plan_eligibility') }}
),

candidates as (
    select
        population.*,
        {{ sim_random('match_response', 'population.employee_id', 'population.simulation_year') }} as u_respond,
        {{ sim_random('match_response_kind', 'population.employee_id', 'population.simulation_year') }} as u_kind
    from population
    where {{ sql_bool(active) }}
      and population.simulation_year = {{ var('start_year') }}
      and not population.is_new_hire
      and population.is_plan_eligible
      and population.is_enrolled
      and population.deferral_rate > 0
      and population.year_start <= population.last_day_employed
),

moved as (
    select
        candidates.*,
        case
            when candidates.deferral_rate < {{ target }} and candidates.u_respond < {{ response.upward_rate }} then
                case when candidates.u_kind < {{ response.upward_maximize }} then {{ target }}
                     -- part of the gap, to the nearest 0.5 %
                     else least({{ target }}, round((candidates.deferral_rate + {{ response.upward_factor }}
                                                     * ({{ target }} - candidates.deferral_rate)) * 200) / 200) end
            when {{ sql_bool(response.downward_enabled) }} and candidates.deferral_rate > {{ target }}
                 and candidates.u_respond < {{ response.downward_rate }} then
                case when candidates.u_kind < {{ response.downward_to_max }} then {{ target }}
                     else greatest({{ target }}, round((candidates.deferral_rate - {{ response.downward_factor }}
                                                        * (candidates.deferral_rate - {{ target }})) * 200) / 200) end
        end as responded_rate
    from candidates
)

select
    employee_id,
    simulation_year,
    'deferral_match_response' as event_type,
    'match_response' as event_category,
    year_start as effective_date,
    deferral_rate as deferral_rate_before,
    cast(responded_rate as double) as deferral_rate_after
from moved
where responded_rate is not null and responded_rate != deferral_rate
