-- Automatic deferral escalation on the effective day: +increment up to the cap, for
-- plan-eligible employees enrolled on Jan 1 in scope (hire-date cutoff), after the
-- first-escalation delay, skipping anyone who opted out of escalation in the census and
-- anyone whose rate changed in response to the match this year (their new election).
with population as (
    select * from {{ ref('int_plan_eligibility') }}
),

responses as (
    select employee_id from {{ ref('int_deferral_match_responses') }}
),

dated as (
    select
        population.*,
        {{ month_day_date('population.simulation_year', var('escalation_effective_date')) }} as escalation_date
    from population
)

select
    employee_id,
    simulation_year,
    'deferral_escalation' as event_type,
    'auto_escalation' as event_category,
    escalation_date as effective_date,
    deferral_rate as deferral_rate_before,
    round(least({{ var('escalation_maximum_rate') }}, deferral_rate + {{ var('escalation_increment') }}), 4)
        as deferral_rate_after
from dated
where {{ var('escalation_enabled') }}
  and is_plan_eligible
  and is_enrolled
  and employee_id not in (select employee_id from responses)
  and not coalesce(auto_escalation_opt_out, false)
  and deferral_rate > 0
  and deferral_rate < {{ var('escalation_maximum_rate') }}
  and employee_hire_date >= coalesce({{ date_or_null(var('escalation_hire_date_cutoff')) }}, date '1900-01-01')
  and simulation_year - year(enrollment_date) >= {{ var('escalation_first_delay_years') }}
  and escalation_date < coalesce(termination_date, year_end + 1)
  and escalation_date >= employee_hire_date
