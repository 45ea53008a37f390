-- One row per employee and year as of Dec 31: everyone active on Jan 1 plus this
-- year's hires, with this year's events applied: status, pay (year-end annual rate and
-- pay actually earned), plan eligibility and enrollment, deferrals, employer money,
-- limits, HCE, vesting and forfeitures.
with context as (
    select * from {{ ref('stg_year_context') }}
),

population as (
    select * from {{ ref('int_plan_eligibility') }}
),

events as (
    select * from {{ ref('int_yearly_events') }}
),

deferrals as (
    select * from {{ ref('int_employee_deferrals') }}
),

employer as (
    select * from {{ ref('int_employer_contributions') }}
),

lookback_limits as (
    -- HCE status for a year looks back at the previous year's pay and threshold
    select limit_year + 1 as simulation_year, hce_threshold from {{ ref('int_irs_limits') }}
),

event_summary as (
    select
        employee_id,
        max(level_id) filter (where event_type = 'promotion') as promoted_level_id,
        count(*) filter (where event_type = 'promotion') as promotions,
        count(*) filter (where event_type = 'raise') as raises
    from events
    group by employee_id
),

balances as (
    select
        population.employee_id,
        population.match_balance + coalesce(employer.match_amount, 0) as match_balance_end,
        population.core_balance + coalesce(employer.core_amount, 0) as core_balance_end,
        {{ step_lookup(var('vesting_match_schedule'), 'population.current_tenure', 'years', 'vested_pct') }} as vested_pct_match,
        {{ step_lookup(var('vesting_core_schedule'), 'population.current_tenure', 'years', 'vested_pct') }} as vested_pct_core
    from population
    left join employer using (employee_id)
),

joined as (
    select
        population.*,
        deferrals.* exclude (employee_id, simulation_year, current_age, current_tenure, is_plan_eligible, eligibility_date,
                             eligibility_route),
        employer.* exclude (employee_id, simulation_year, annual_additions_limit),
        balances.* exclude (employee_id),
        event_summary.promoted_level_id,
        event_summary.promotions,
        event_summary.raises,
        lookback_limits.hce_threshold
    from population
    left join deferrals using (employee_id)
    left join employer using (employee_id)
    left join balances using (employee_id)
    left join event_summary using (employee_id)
    left join lookback_limits on population.simulation_year = lookback_limits.simulation_year
),

vested as (
    select
        joined.*,
        round(joined.match_balance_end * joined.vested_pct_match + joined.core_balance_end * joined.vested_pct_core, 2)
            as vested_balance
    from joined
)

select
    {{ sql_string(var("scenario_id")) }} as scenario_id,
    {{ sql_string(var("plan_design_id")) }} as plan_design_id,
    employee_id,
    cast(simulation_year as integer) as simulation_year,
    employment_status,
    detailed_status_code,
    employee_birth_date,
    employee_hire_date,
    termination_date,
    cast(current_age as integer) as current_age,
    cast(current_tenure as integer) as current_tenure,
    cast(coalesce(promoted_level_id, level_id) as integer) as level_id,
    scheduled_hours_per_week,
    start_compensation,
    year_end_compensation as current_compensation,
    round(year_end_compensation * 40.0 / nullif(scheduled_hours_per_week, 0), 2) as full_time_equivalent_compensation,
    earned_compensation as prorated_compensation,
    coalesce(promotions, 0) as promotions,
    coalesce(raises, 0) as raises,
    -- eligibility and enrollment
    eligibility_override,
    is_plan_eligible,
    case when is_plan_eligible then eligibility_date end as plan_eligibility_date,
    eligibility_route,
    ltpt_service_years_year_end as ltpt_service_years,
    is_enrolled_year_end as is_enrolled,
    year_end_enrollment_date as enrollment_date,
    year_end_enrollment_source as enrollment_source,
    year_end_deferral_rate as deferral_rate,
    case when is_enrolled_year_end and year_end_deferral_rate > 0 then 'participating'
         else 'not_participating' end as participation_status,
    ever_opted_out_year_end as ever_opted_out,
    auto_enrolled_before_year_end as auto_enrolled_before,
    coalesce(auto_escalation_opt_out, false) as auto_escalation_opt_out,
    escalation_count_year_end as escalation_count,
    escalations_this_year,
    -- employee money
    annual_hours,
    plan_compensation,
    compensation_limit_applied,
    employee_deferrals,
    pre_tax_deferrals,
    roth_deferrals,
    catch_up_deferrals,
    prior_year_fica_wages,
    roth_catch_up_required,
    roth_catch_up_deferrals,
    deferral_limit,
    deferral_limit_reached,
    -- employer money and limits
    is_match_eligible,
    is_core_eligible,
    match_amount,
    match_true_up_amount,
    core_amount,
    employer_contributions,
    annual_additions,
    annual_additions_limit,
    limit_415c_applied,
    prior_year_compensation as hce_lookback_compensation,
    coalesce(prior_year_compensation > hce_threshold, false) as is_hce,
    -- vesting: balances before any forfeiture; the unvested part forfeits at termination
    round(match_balance_end, 2) as match_balance,
    round(core_balance_end, 2) as core_balance,
    vested_pct_match,
    vested_pct_core,
    vested_balance,
    case when employment_status = 'terminated'
         then round(match_balance_end + core_balance_end - vested_balance, 2) else 0 end as forfeiture_amount
from vested
