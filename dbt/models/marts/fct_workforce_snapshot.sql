-- One row per employee and year as of Dec 31: everyone active on Jan 1 plus this
-- year's hires, with this year's events applied: status, pay (year-end annual rate and
-- pay actually earned), plan eligibility and enrollment, deferrals, employer money,
-- limits, HCE, vesting and forfeitures, account balances and retirement readiness; and
-- every former employee whose vested balance is still in the plan (deferred_vested).
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

compliance as (
    select employee_id, hce_lookback_compensation, is_hce, is_key_employee
    from {{ ref('int_compliance_employees') }}
),

corrections as (
    select * exclude (simulation_year) from {{ ref('int_compliance_corrections') }}
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

accounts as (
    select * exclude (scenario_id, plan_design_id, simulation_year, employment_status)
    from {{ ref('fct_account_balances') }}
    where simulation_year = (select simulation_year from context)
),

readiness as (
    select * from {{ ref('int_retirement_readiness') }}
),

joined as (
    select
        population.*,
        deferrals.* exclude (employee_id, simulation_year, current_age, current_tenure, is_plan_eligible, eligibility_date,
                             eligibility_route),
        employer.* exclude (employee_id, simulation_year, annual_additions_limit),
        accounts.* exclude (employee_id),
        event_summary.promoted_level_id,
        event_summary.promotions,
        event_summary.raises,
        compliance.hce_lookback_compensation,
        compliance.is_hce,
        compliance.is_key_employee,
        corrections.* exclude (employee_id)
    from population
    left join deferrals using (employee_id)
    left join employer using (employee_id)
    left join accounts using (employee_id)
    left join event_summary using (employee_id)
    left join compliance using (employee_id)
    left join corrections using (employee_id)
),

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
    -- compliance (int_compliance_employees, int_compliance_corrections; fct_compliance_tests has the tests)
    hce_lookback_compensation,
    coalesce(is_hce, false) as is_hce,
    coalesce(is_key_employee, false) as is_key_employee,
    coalesce(ownership_pct, 0.0) as ownership_pct,
    coalesce(is_officer, false) as is_officer,
    coalesce(is_nonresident_alien, false) as is_nonresident_alien,
    adp_refund,
    adp_recharacterized,
    acp_refund,
    qnec_amount,
    qmac_amount,
    top_heavy_minimum,
    -- vesting, balances (fct_account_balances has the roll by source)
    vesting_service_years,
    vested_pct_match,
    vested_pct_core,
    account_status,
    opening_total as account_balance_boy,
    contributions_total as account_contributions,
    earnings_total as investment_earnings,
    forfeitures_total as forfeiture_amount,
    distributions_total as distributions,
    distribution_type,
    leakage,
    closing_total as account_balance_eoy,
    {%- for source in account_sources() %}
    closing_{{ source }} as {{ balance_column(source) }},
    {%- endfor %}
    vested_balance,
    vesting_service_adjustment,
    return_rate,
    -- retirement readiness (actives; int_retirement_readiness)
    years_to_retirement,
    projected_retirement_balance,
    dc_replacement_ratio,
    social_security_replacement_ratio,
    total_replacement_ratio
from joined
left join readiness using (employee_id)

union all by name

-- former employees whose vested balance stayed in the plan (deferred vested)
select
    {{ sql_string(var("scenario_id")) }} as scenario_id,
    {{ sql_string(var("plan_design_id")) }} as plan_design_id,
    accounts.employee_id,
    cast(context.simulation_year as integer) as simulation_year,
    'deferred_vested' as employment_status,
    'deferred_vested' as detailed_status_code,
    prev.employee_birth_date,
    prev.employee_hire_date,
    prev.termination_date,
    cast(context.simulation_year - year(prev.employee_birth_date) as integer) as current_age,
    prev.level_id,
    prev.current_compensation,
    prev.eligibility_override,
    false as is_hce,
    false as is_key_employee,
    prev.ownership_pct,
    prev.is_officer,
    prev.is_nonresident_alien,
    1.0 as vested_pct_match,
    1.0 as vested_pct_core,
    accounts.account_status,
    accounts.opening_total as account_balance_boy,
    accounts.contributions_total as account_contributions,
    accounts.earnings_total as investment_earnings,
    accounts.forfeitures_total as forfeiture_amount,
    accounts.distributions_total as distributions,
    accounts.distribution_type,
    accounts.leakage,
    accounts.closing_total as account_balance_eoy,
    {%- for source in account_sources() %}
    accounts.closing_{{ source }} as {{ balance_column(source) }},
    {%- endfor %}
    accounts.vested_balance,
    prev.vesting_service_adjustment,
    accounts.return_rate
from accounts
join {{ ref('stg_prev_state') }} as prev using (employee_id)
cross join context
where prev.account_status = 'deferred_vested'
