-- One row per year: the flows and pay figures the run summary reports.
with context as (
    select * from {{ ref('stg_year_context') }}
),

needs as (
    select * from {{ ref('int_workforce_needs') }}
),

snapshot as (
    select snapshot.*
    from {{ ref('fct_workforce_snapshot') }} as snapshot
    join context on snapshot.simulation_year = context.simulation_year
),

changes as (
    select * from {{ ref('int_compensation_changes') }}
),

pay_changes as (
    select
        count(*) filter (where is_promotion_eligible) as promotion_eligible,
        avg(promotion_probability) filter (where is_promotion_eligible) as configured_promotion_rate,
        count(*) filter (where is_promoted) as promoted,
        sum(raise_salary_after - raise_salary_before) filter (where gets_raise)
            / nullif(sum(raise_salary_before) filter (where gets_raise), 0) as realised_average_raise,
        sum((merit_rate + cola_rate) * raise_salary_before) filter (where gets_raise)
            / nullif(sum(raise_salary_before) filter (where gets_raise), 0) as configured_average_raise
    from changes
),

events as (
    select events.*
    from {{ ref('fct_yearly_events') }} as events
    join context on events.simulation_year = context.simulation_year
),

event_counts as (
    select
        count(*) filter (where event_type = 'hire') as hires,
        count(*) filter (where event_category = 'experienced_termination') as experienced_terminations,
        count(*) filter (where event_category = 'retirement') as retirements,
        count(*) filter (where event_category = 'new_hire_termination') as new_hire_terminations,
        count(*) filter (where event_type = 'promotion') as promotions,
        count(*) filter (where event_type = 'raise') as raises
    from events
),

pay as (
    select
        count(*) filter (where employment_status = 'active') as end_headcount,
        count(*) filter (where employment_status = 'active' and is_plan_eligible) as eligible_actives,
        count(*) filter (where employment_status = 'active' and is_plan_eligible
                         and participation_status = 'participating') as participating_eligible_actives,
        avg(deferral_rate) filter (where employment_status = 'active'
                                   and participation_status = 'participating') as average_deferral_rate,
        sum(employee_deferrals) as employee_deferrals,
        sum(match_amount) as employer_match,
        sum(match_true_up_amount) as match_true_up,
        sum(roth_catch_up_deferrals) as roth_catch_up_deferrals,
        count(*) filter (where roth_catch_up_required and catch_up_deferrals > 0) as roth_catch_up_employees,
        count(*) filter (where employment_status = 'active' and is_plan_eligible
                         and eligibility_route = 'long_term_part_time') as long_term_part_time_eligible,
        sum(core_amount) as employer_core,
        sum(forfeiture_amount) as forfeitures,
        count(*) filter (where is_hce and employment_status = 'active') as hce_actives,
        count(*) filter (where deferral_limit_reached) as employees_at_deferral_limit,
        sum(prorated_compensation) as total_compensation,
        avg(current_compensation) filter (where employment_status = 'active') as average_compensation,
        sum(current_compensation) filter (where employment_status = 'active') as year_end_payroll
    from snapshot
)

select
    {{ sql_string(var("scenario_id")) }} as scenario_id,
    {{ sql_string(var("plan_design_id")) }} as plan_design_id,
    cast({{ var("random_seed") }} as bigint) as random_seed,
    cast(context.simulation_year as integer) as simulation_year,
    needs.start_headcount,
    pay.end_headcount,
    needs.target_ending_headcount,
    event_counts.hires,
    event_counts.experienced_terminations,
    event_counts.new_hire_terminations,
    event_counts.retirements,
    event_counts.experienced_terminations + event_counts.retirements + event_counts.new_hire_terminations
        as total_terminations,
    event_counts.promotions,
    event_counts.raises,
    pay.end_headcount * 1.0 / nullif(needs.start_headcount, 0) - 1 as growth_rate,
    round(pay.total_compensation, 2) as total_compensation,
    round(pay.average_compensation, 2) as average_compensation,
    round(pay.year_end_payroll, 2) as year_end_payroll,
    pay.eligible_actives,
    pay.participating_eligible_actives,
    pay.participating_eligible_actives * 1.0 / nullif(pay.eligible_actives, 0) as participation_rate,
    round(pay.average_deferral_rate, 6) as average_deferral_rate,
    round(pay.employee_deferrals, 2) as employee_deferrals,
    round(pay.employer_match, 2) as employer_match,
    round(pay.match_true_up, 2) as match_true_up,
    round(pay.employer_core, 2) as employer_core,
    round(pay.employer_match + pay.employer_core, 2) as employer_contributions,
    round(pay.forfeitures, 2) as forfeitures,
    round(pay.employer_match + pay.employer_core - pay.forfeitures, 2) as net_employer_cost,
    (pay.employer_match + pay.employer_core - pay.forfeitures) / nullif(pay.total_compensation, 0)
        as employer_cost_share_of_payroll,
    -- realised against configured (the configured rates as the solver and hazards apply them)
    round((event_counts.experienced_terminations + event_counts.retirements) * 1.0
          / nullif(needs.start_headcount, 0), 6) as realised_experienced_termination_rate,
    round((needs.experienced_headcount * needs.total_termination_rate
           + needs.prior_year_hire_headcount * needs.new_hire_termination_rate)
          / nullif(needs.start_headcount, 0), 6) as configured_experienced_termination_rate,
    round(event_counts.new_hire_terminations * 1.0 / nullif(event_counts.hires, 0), 6)
        as realised_new_hire_termination_rate,
    needs.new_hire_termination_rate as configured_new_hire_termination_rate,
    round(pay_changes.promoted * 1.0 / nullif(pay_changes.promotion_eligible, 0), 6) as realised_promotion_rate,
    round(pay_changes.configured_promotion_rate, 6) as configured_promotion_rate,
    round(pay_changes.realised_average_raise, 6) as realised_average_raise,
    round(pay_changes.configured_average_raise, 6) as configured_average_raise,
    pay.hce_actives,
    pay.employees_at_deferral_limit,
    round(pay.roth_catch_up_deferrals, 2) as roth_catch_up_deferrals,
    pay.roth_catch_up_employees,
    pay.long_term_part_time_eligible
from context
cross join needs
cross join event_counts
cross join pay
cross join pay_changes
