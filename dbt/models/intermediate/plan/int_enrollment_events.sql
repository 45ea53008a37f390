-- Enrollment decisions of the year for eligible employees not enrolled on Jan 1:
--  * auto-enrollment at the default rate when the AE window ends this year (in scope,
--    never opted out); some opt out within the grace period (rates by age x income);
--  * proactive enrollment inside the AE window (voluntary rate, before AE happens);
--  * voluntary enrollment when first eligible, for those outside auto-enrollment;
--  * year-over-year conversion of earlier-eligible non-participants (also the way an
--    opted-out employee comes back: a voluntary decision, never auto-enrollment).
-- At most one enrollment and one opt-out per employee and year.
{% set ceiling = match_maximizing_rate() %}
{#- Participation responds to the match: enrollment probabilities rise, opt-out falls, by the
    configured slope per 1.00 of match per dollar deferred, against the plan of the base config #}
{% set match_shift = var('match_participation_slope') * (var('match_per_dollar') - var('reference_match_per_dollar')) %}
with population as (
    select * from {{ ref('int_plan_eligibility') }}
),

candidates as (
    select
        population.*,
        {{ var('auto_enrollment_enabled') }}
            and not population.ever_opted_out
            and not population.auto_enrolled_before
            and population.employee_hire_date >= coalesce(
                {{ date_or_null(var('auto_enrollment_hire_date_cutoff')) }},
                {% if var('auto_enrollment_scope') == 'all_eligible_employees' %} date '1900-01-01'
                {% else %} make_date({{ var('start_year') }}, 1, 1) {% endif %}) as in_auto_enrollment_scope,
        case when population.eligibility_date + {{ var('auto_enrollment_window_days') }} >= population.year_start
             then population.eligibility_date + {{ var('auto_enrollment_window_days') }}
             else population.year_start + {{ var('auto_enrollment_window_days') }} end as auto_enrollment_date,
        {{ sim_random('proactive', 'population.employee_id', 'population.simulation_year') }} as u_proactive,
        {{ sim_random('proactive_day', 'population.employee_id', 'population.simulation_year') }} as u_proactive_day,
        {{ sim_random('voluntary', 'population.employee_id', 'population.simulation_year') }} as u_voluntary,
        {{ sim_random('voluntary_day', 'population.employee_id', 'population.simulation_year') }} as u_voluntary_day,
        {{ sim_random('year_over_year', 'population.employee_id', 'population.simulation_year') }} as u_year_over_year,
        {{ sim_random('opt_out', 'population.employee_id', 'population.simulation_year') }} as u_opt_out,
        {{ sim_random('opt_out_day', 'population.employee_id', 'population.simulation_year') }} as u_opt_out_day,
        {{ sim_random('match_magnet', 'population.employee_id', 'population.simulation_year') }} as u_magnet
    from population
    where population.is_plan_eligible and not population.is_enrolled
),

rated as (
    select
        candidates.*,
        -- voluntary deferral choice: demographic matrix, then the match magnet
        {{ map_lookup(var('voluntary_deferral_rates'), "candidates.age_segment || '_' || candidates.income_segment", '0.03') }}
            as matrix_rate,
        greatest(0.0, least(1.0, {{ var('voluntary_enrollment_rate') }}
            * {{ map_lookup(var('proactive_probability_by_age'), 'candidates.age_segment', '0') }} + {{ match_shift }}))
            as p_proactive,
        greatest(0.0, least(1.0, {{ var('voluntary_enrollment_rate') }}
            * {{ map_lookup(var('voluntary_base_rates_by_age'), 'candidates.age_segment', '0') }}
            * {{ map_lookup(var('voluntary_income_multipliers'), 'candidates.income_segment', '1') }}
            * {{ map_lookup(var('voluntary_level_multipliers'), 'candidates.level_segment', '1') }} + {{ match_shift }}))
            as p_voluntary,
        greatest(0.0, least(1.0, {{ var('voluntary_enrollment_rate') }}
            * {{ map_lookup(var('yoy_base_rates_by_age'), 'candidates.age_segment', '0') }}
            * {{ map_lookup(var('yoy_income_multipliers'), 'candidates.income_segment', '1') }}
            * {{ map_lookup(var('yoy_tenure_multipliers'), 'candidates.tenure_segment', '1') }} + {{ match_shift }}))
            as p_year_over_year,
        greatest(0.0, least(1.0, {{ map_lookup(var('opt_out_rates_by_age'), 'candidates.age_segment', '0') }}
            * {{ map_lookup(var('opt_out_income_multipliers'), 'candidates.income_segment', '1') }} - {{ match_shift }}))
            as p_opt_out
    from candidates
),

voluntary_rate as (
    select
        rated.*,
        round(least(greatest(
            case when {{ var('match_magnet_enabled') }} and rated.matrix_rate < {{ ceiling }}
                      and rated.u_magnet < {{ var('match_magnet_snap_probability') }}
                 then {{ ceiling }} else rated.matrix_rate end,
            0.01), {{ var('voluntary_max_deferral_rate') }}), 4) as chosen_rate
    from rated
),

decided as (
    select
        voluntary_rate.*,
        -- proactive: enrols on a day inside the AE window, before auto-enrollment would
        cast(voluntary_rate.enrollment_window_start + {{ var('proactive_min_days') }}
             + cast(floor(voluntary_rate.u_proactive_day
                          * ({{ var('proactive_max_days') }} - {{ var('proactive_min_days') }} + 1)) as integer)
             as date) as proactive_date,
        cast(voluntary_rate.enrollment_window_start
             + cast(floor(voluntary_rate.u_voluntary_day * 30) as integer) as date) as voluntary_date,
        {{ month_day_date('voluntary_rate.simulation_year', var('yoy_enrollment_date')) }} as year_over_year_date
    from voluntary_rate
),

choice as (
    select
        decided.*,
        case
            when decided.in_auto_enrollment_scope
                 and {{ var('proactive_enrollment_enabled') }}
                 and decided.u_proactive < decided.p_proactive
                 and decided.proactive_date < decided.auto_enrollment_date
                 and decided.proactive_date <= decided.last_day_employed
                 and decided.proactive_date <= decided.year_end
                then 'proactive_enrollment'
            when decided.in_auto_enrollment_scope
                 and decided.auto_enrollment_date <= decided.last_day_employed
                 and decided.auto_enrollment_date <= decided.year_end
                then 'auto_enrollment'
            when not decided.in_auto_enrollment_scope
                 and {{ var('voluntary_enrollment_enabled') }}
                 and decided.becomes_eligible_this_year
                 and not decided.ever_opted_out
                 and decided.u_voluntary < decided.p_voluntary
                 and decided.voluntary_date <= decided.last_day_employed
                 and decided.voluntary_date <= decided.year_end
                then 'voluntary_enrollment'
            when {{ var('year_over_year_enabled') }}
                 and not decided.becomes_eligible_this_year
                 and not (decided.in_auto_enrollment_scope and decided.auto_enrollment_date <= decided.year_end)
                 and decided.u_year_over_year < decided.p_year_over_year
                 and decided.year_over_year_date >= decided.enrollment_window_start
                 and decided.year_over_year_date <= decided.last_day_employed
                then 'year_over_year_enrollment'
        end as enrollment_category
    from decided
),

-- materialized: read twice (events and opt-outs); computed once, its draws are not repeated
enrollments as materialized (
    select
        employee_id,
        simulation_year,
        'enrollment' as event_type,
        enrollment_category as event_category,
        case enrollment_category
            when 'proactive_enrollment' then proactive_date
            when 'auto_enrollment' then auto_enrollment_date
            when 'voluntary_enrollment' then voluntary_date
            else year_over_year_date end as effective_date,
        deferral_rate as deferral_rate_before,
        case enrollment_category
            when 'auto_enrollment' then {{ var('auto_enrollment_default_rate') }}
            when 'year_over_year_enrollment'
                then {{ map_lookup(var('yoy_deferral_rates'), 'age_segment', '0.03') }}
            else chosen_rate end as deferral_rate_after,
        p_opt_out,
        u_opt_out,
        u_opt_out_day,
        last_day_employed,
        year_end
    from choice
    where enrollment_category is not null
),

opt_outs as (
    select
        employee_id,
        simulation_year,
        'enrollment_change' as event_type,
        'opt_out' as event_category,
        cast(effective_date + 1 + cast(floor(u_opt_out_day * {{ var('auto_enrollment_opt_out_grace_days') }}) as integer)
             as date) as effective_date,
        deferral_rate_after as deferral_rate_before,
        0.0 as deferral_rate_after,
        last_day_employed,
        year_end
    from enrollments
    where event_category = 'auto_enrollment' and u_opt_out < p_opt_out
)

select employee_id, simulation_year, event_type, event_category, effective_date,
       deferral_rate_before, deferral_rate_after
from enrollments
union all
-- an opt-out inside the grace period, while still employed and within the year
select employee_id, simulation_year, event_type, event_category, effective_date,
       deferral_rate_before, deferral_rate_after
from opt_outs
where effective_date <= least(last_day_employed, year_end)
