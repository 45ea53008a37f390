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

accounts as (
    select
        sum(opening_total) as plan_assets_boy,
        sum(contributions_total) as account_contributions,
        sum(earnings_total) as investment_earnings,
        sum(forfeitures_total) as forfeitures,
        sum(distributions_total) as distributions,
        sum(distributions_total - distributions_loan) filter (where distribution_type in ('cash_out', 'force_out_cash'))
            as cash_distributions,
        sum(distributions_total - distributions_loan)
            filter (where distribution_type in ('rollover', 'force_out_rollover')) as rollover_distributions,
        sum(distributions_loan) as loan_offsets,
        sum(leakage) as leakage,
        count(*) filter (where distribution_type like 'force_out%') as force_outs,
        count(*) filter (where account_status = 'deferred_vested') as deferred_vested_accounts,
        sum(closing_total) as plan_assets_eoy,
        sum(vested_balance) as vested_plan_assets,
        max(market_return) as market_return
    from {{ ref('fct_account_balances') }}
    where simulation_year = (select simulation_year from context)
),

compliance as (
    -- the year's tests, one column group per test (fct_compliance_tests has the rows)
    select
        {%- for test in ('adp', 'acp', 'top_heavy', 'coverage_410b_deferral', 'coverage_410b_match', 'coverage_410b_core') %}
        any_value(result) filter (where test_name = {{ sql_string(test) }}) as {{ test }}_result,
        any_value(margin) filter (where test_name = {{ sql_string(test) }}) as {{ test }}_margin,
        {%- endfor %}
        any_value(hce_average) filter (where test_name = 'adp') as adp_hce_average,
        any_value(nhce_average) filter (where test_name = 'adp') as adp_nhce_tested_average,
        any_value(limit_value) filter (where test_name = 'adp') as adp_limit,
        any_value(hce_average) filter (where test_name = 'acp') as acp_hce_average,
        any_value(nhce_average) filter (where test_name = 'acp') as acp_nhce_tested_average,
        any_value(limit_value) filter (where test_name = 'acp') as acp_limit,
        any_value(hce_average) filter (where test_name = 'top_heavy') as top_heavy_key_share,
        count(*) filter (where result in ('fail', 'corrected')) as tests_failed
    from {{ ref('fct_compliance_tests') }}
    where simulation_year = (select simulation_year from context)
),

nhce_averages as (
    -- this year's NHCE averages (what next year's prior-year testing takes)
    select
        any_value(nhce_current_average) filter (where test_name = 'adp') as adp_nhce_average,
        any_value(nhce_current_average) filter (where test_name = 'acp') as acp_nhce_average
    from {{ ref('int_compliance_tests') }}
),

readiness as (
    select
        quantile_cont(total_replacement_ratio, 0.10) as replacement_ratio_p10,
        quantile_cont(total_replacement_ratio, 0.25) as replacement_ratio_p25,
        quantile_cont(total_replacement_ratio, 0.50) as replacement_ratio_median,
        quantile_cont(total_replacement_ratio, 0.75) as replacement_ratio_p75,
        quantile_cont(total_replacement_ratio, 0.90) as replacement_ratio_p90,
        quantile_cont(dc_replacement_ratio, 0.50) as dc_replacement_ratio_median,
        avg(case when total_replacement_ratio >= {{ var('readiness_target') }} then 1.0 else 0.0 end)
            as share_on_track
    from snapshot
    where employment_status = 'active'
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
        -- employer money owed by the compliance tests' corrections (QNEC, QMAC, top-heavy minimum)
        sum(qnec_amount + qmac_amount + top_heavy_minimum) as corrective_contributions,
        sum(qnec_amount) as qnec_amount,
        sum(qmac_amount) as qmac_amount,
        sum(top_heavy_minimum) as top_heavy_minimum,
        sum(adp_refund) as adp_refunds,
        sum(adp_recharacterized) as adp_recharacterized,
        sum(acp_refund) as acp_refunds,
        count(*) filter (where is_key_employee and employment_status = 'active') as key_employee_actives,
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
    round(pay.corrective_contributions, 2) as corrective_contributions,
    round(pay.employer_match + pay.employer_core + pay.corrective_contributions, 2) as employer_contributions,
    round(accounts.forfeitures, 2) as forfeitures,
    round(forfeiture_use.used_for_contributions, 2) as forfeitures_used_for_contributions,
    round(forfeiture_use.used_for_expenses, 2) as forfeitures_used_for_expenses,
    round(context.forfeiture_account_opening, 2) as forfeiture_account_opening,
    round(context.forfeiture_account_opening + accounts.forfeitures - forfeiture_use.used_for_contributions
          - forfeiture_use.used_for_expenses, 2) as forfeiture_account_closing,
    round(pay.employer_match + pay.employer_core + pay.corrective_contributions - forfeiture_use.used_for_contributions, 2)
        as net_employer_cost,
    -- of the two figures as reported (in cents): a ratio of the raw float sums changes in its last
    -- digits with the order DuckDB's threads add the rows in, and the same run must give the same figures
    round(pay.employer_match + pay.employer_core + pay.corrective_contributions - forfeiture_use.used_for_contributions, 2)
        / nullif(round(pay.total_compensation, 2), 0) as employer_cost_share_of_payroll,
    -- plan assets: closing = opening + contributions + earnings - forfeitures - distributions
    round(accounts.plan_assets_boy, 2) as plan_assets_boy,
    round(accounts.account_contributions, 2) as account_contributions,
    round(accounts.investment_earnings, 2) as investment_earnings,
    round(accounts.distributions, 2) as distributions,
    round(coalesce(accounts.cash_distributions, 0), 2) as cash_distributions,
    round(coalesce(accounts.rollover_distributions, 0), 2) as rollover_distributions,
    round(accounts.loan_offsets, 2) as loan_offsets,
    round(accounts.leakage, 2) as leakage,
    accounts.force_outs,
    accounts.deferred_vested_accounts,
    round(accounts.plan_assets_eoy, 2) as total_plan_assets,
    round(accounts.vested_plan_assets, 2) as vested_plan_assets,
    round(accounts.market_return, 6) as market_return,
    round(readiness.replacement_ratio_p10, 6) as replacement_ratio_p10,
    round(readiness.replacement_ratio_p25, 6) as replacement_ratio_p25,
    round(readiness.replacement_ratio_median, 6) as replacement_ratio_median,
    round(readiness.replacement_ratio_p75, 6) as replacement_ratio_p75,
    round(readiness.replacement_ratio_p90, 6) as replacement_ratio_p90,
    round(readiness.dc_replacement_ratio_median, 6) as dc_replacement_ratio_median,
    round(readiness.share_on_track, 6) as share_on_track,
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
    pay.long_term_part_time_eligible,
    -- compliance tests (fct_compliance_tests) and what their corrections moved
    pay.key_employee_actives,
    {%- for test in ('adp', 'acp', 'top_heavy', 'coverage_410b_deferral', 'coverage_410b_match', 'coverage_410b_core') %}
    compliance.{{ test }}_result,
    compliance.{{ test }}_margin,
    {%- endfor %}
    compliance.adp_hce_average,
    nhce_averages.adp_nhce_average,
    compliance.adp_nhce_tested_average,
    compliance.adp_limit,
    compliance.acp_hce_average,
    nhce_averages.acp_nhce_average,
    compliance.acp_nhce_tested_average,
    compliance.acp_limit,
    compliance.top_heavy_key_share,
    compliance.tests_failed as compliance_tests_failed,
    round(pay.adp_refunds, 2) as adp_refunds,
    round(pay.adp_recharacterized, 2) as adp_recharacterized,
    round(pay.acp_refunds, 2) as acp_refunds,
    round(pay.qnec_amount, 2) as qnec_amount,
    round(pay.qmac_amount, 2) as qmac_amount,
    round(pay.top_heavy_minimum, 2) as top_heavy_minimum
from context
cross join needs
cross join event_counts
cross join pay
cross join pay_changes
cross join accounts
cross join readiness
cross join compliance
cross join nhce_averages
cross join lateral (
    -- forfeitures fund employer contributions (this year's and the account's, or only the
    -- account's with next_year timing) or pay plan expenses
    select
        {%- if var('forfeiture_use') == 'pay_plan_expenses' %}
        0.0 as used_for_contributions,
        context.forfeiture_account_opening + accounts.forfeitures as used_for_expenses
        {%- elif var('forfeiture_timing') == 'same_year' %}
        least(context.forfeiture_account_opening + accounts.forfeitures,
              pay.employer_match + pay.employer_core + pay.corrective_contributions)
            as used_for_contributions,
        0.0 as used_for_expenses
        {%- else %}
        least(context.forfeiture_account_opening, pay.employer_match + pay.employer_core + pay.corrective_contributions)
            as used_for_contributions,
        0.0 as used_for_expenses
        {%- endif %}
) as forfeiture_use
