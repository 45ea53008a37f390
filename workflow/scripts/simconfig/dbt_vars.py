"""The dbt vars of a run: the contract between the config and the SQL (dbt/dbt_project.yml
holds the vars of the default config, written by `make config-docs`)."""
from __future__ import annotations

from typing import Any

from simconfig.model import SimulationConfig


def dbt_vars(config: SimulationConfig, *, reference: SimulationConfig | None = None, scenario_id: str = "baseline",
             plan_design_id: str = "default", random_seed: int | None = None, start_year: int | None = None,
             end_year: int | None = None) -> dict[str, Any]:
    """Every dbt var of one run (constant across its years), as JSON values. `reference` is the plan
    in force today (the base config without the scenario's overlay); default: the config itself."""
    c = config
    reference = reference or config
    promotion = c.compensation.promotion_compensation
    percentile = c.new_hire_compensation.percentile_strategy
    market = c.new_hire_compensation.market_adjustments
    auto = c.enrollment.auto_enrollment
    proactive = c.enrollment.proactive_enrollment
    voluntary = c.enrollment.voluntary_enrollment
    yoy = c.enrollment.year_over_year_conversion
    escalation = c.deferral_auto_escalation
    match = c.employer_match
    formula = match.formula()
    core = c.employer_core_contribution
    returns = c.investment_returns
    readiness = c.retirement_readiness
    return {
        "scenario_id": scenario_id,
        "plan_design_id": plan_design_id,
        "random_seed": c.simulation.random_seed if random_seed is None else random_seed,
        "start_year": c.simulation.start_year if start_year is None else start_year,
        "end_year": c.simulation.end_year if end_year is None else end_year,
        # workforce
        "target_growth_rate": c.simulation.target_growth_rate,
        "total_termination_rate": c.workforce.total_termination_rate,
        "new_hire_termination_rate": c.workforce.new_hire_termination_rate,
        "part_time_new_hire_pct": c.workforce.part_time_new_hire_pct,
        "part_time_hours_per_week": c.workforce.part_time_hours_per_week,
        "retirement_enabled": c.workforce.retirement.enabled,
        "retirement_maximum_age": c.workforce.retirement.maximum_age,
        "cola_rate": c.compensation.cola_rate,
        "merit_budget": c.compensation.merit_budget,
        "pay_band_index": (c.compensation.cola_rate if c.compensation.pay_band_index is None
                           else c.compensation.pay_band_index),
        "promotion_rate_multiplier": c.compensation.promotion_rate_multiplier,
        "promotion_effective_date": c.compensation.promotion_effective_date,
        "promotion_base_increase_pct": promotion.base_increase_pct,
        "promotion_distribution_range": promotion.distribution_range,
        "promotion_max_cap_pct": promotion.max_cap_pct,
        "promotion_max_cap_amount": promotion.max_cap_amount,
        "promotion_distribution_type": promotion.distribution_type,
        "promotion_normal_std_dev": promotion.advanced.normal_std_dev,
        "promotion_level_overrides": _levels(promotion.level_overrides),
        "new_hire_default_percentile": percentile.default_percentile,
        "new_hire_level_percentiles": _levels(percentile.level_overrides),
        "new_hire_percentile_std_dev": percentile.variance_std_dev if percentile.variance_enabled else 0.0,
        "new_hire_market_base_adjustment": market.base_adjustment if market.enabled else 1.0,
        "new_hire_market_level_adjustments": _levels(market.level_adjustments) if market.enabled else {},
        "new_hire_level_mix": _levels(c.new_hire_compensation.level_mix),
        "raise_timing_methodology": c.raise_timing.methodology,
        "raise_effective_date": c.raise_timing.effective_date,
        # plan eligibility
        "plan_eligibility_minimum_age": c.plan_eligibility.minimum_age,
        "plan_eligibility_waiting_period_days": c.waiting_period_days(),
        "plan_eligibility_minimum_annual_hours": c.plan_eligibility.minimum_annual_hours,
        "plan_entry_dates": c.plan_eligibility.entry_dates,
        "ltpt_enabled": c.plan_eligibility.long_term_part_time.enabled,
        "ltpt_employer_money": c.plan_eligibility.long_term_part_time.employer_money,
        "new_hire_ineligible_pct": c.eligibility.new_hire_ineligible_pct,
        # enrollment
        "auto_enrollment_enabled": auto.enabled,
        "auto_enrollment_scope": auto.scope,
        "auto_enrollment_window_days": auto.window_days,
        "auto_enrollment_default_rate": auto.default_deferral_rate,
        "auto_enrollment_hire_date_cutoff": auto.hire_date_cutoff,
        "auto_enrollment_opt_out_grace_days": auto.opt_out_grace_period,
        "opt_out_rates_by_age": auto.opt_out_rates.by_age.model_dump(),
        "opt_out_income_multipliers": auto.opt_out_rates.by_income.model_dump(),
        "proactive_enrollment_enabled": proactive.enabled,
        "proactive_min_days": proactive.timing_window.min_days,
        "proactive_max_days": proactive.timing_window.max_days,
        "proactive_probability_by_age": proactive.probability_by_demographics.model_dump(),
        "voluntary_enrollment_enabled": voluntary.enabled,
        "voluntary_enrollment_rate": c.enrollment.voluntary_enrollment_rate,
        # the response of enrollment to the match, against the plan in force today
        "match_participation_slope": c.enrollment.match_response.participation_per_match_rate,
        "match_per_dollar": match.match_per_dollar(),
        "reference_match_per_dollar": reference.employer_match.match_per_dollar(),
        "voluntary_base_rates_by_age": voluntary.base_rates_by_age.model_dump(),
        "voluntary_income_multipliers": voluntary.income_multipliers.model_dump(),
        "voluntary_level_multipliers": voluntary.job_level_multipliers.model_dump(),
        "voluntary_deferral_rates": voluntary.deferral_rates.demographic_base_rates.model_dump(),
        "match_magnet_enabled": c.enrollment.match_magnet_enabled(),
        "match_magnet_snap_probability": c.enrollment.match_magnet.snap_probability,
        "voluntary_max_deferral_rate": c.enrollment.match_magnet.max_deferral_rate,
        "year_over_year_enabled": yoy.enabled,
        "yoy_base_rates_by_age": yoy.base_rates_by_age.model_dump(),
        "yoy_income_multipliers": yoy.income_multipliers.model_dump(),
        "yoy_tenure_multipliers": yoy.tenure_multipliers.model_dump(),
        "yoy_enrollment_date": yoy.timing.month_day(),
        "yoy_deferral_rates": yoy.deferral_rates.model_dump(),
        # escalation and deferrals
        "escalation_enabled": escalation.enabled,
        "escalation_effective_date": escalation.effective_day,
        "escalation_increment": escalation.increment_amount,
        "escalation_maximum_rate": escalation.maximum_rate,
        "escalation_hire_date_cutoff": escalation.hire_date_cutoff,
        "escalation_first_delay_years": escalation.first_escalation_delay_years,
        "roth_available": c.employee_contributions.roth_available,
        "roth_share": c.employee_contributions.roth_share,
        "match_response": c.deferral_match_response.dbt_var(),
        # employer money
        "match_enabled": match.enabled,
        "match_status": match.employer_match_status,
        "match_formula": formula.dbt_var(),
        "match_ceiling": match.match_ceiling(),
        "reference_match_ceiling": reference.employer_match.match_ceiling(),
        "match_true_up": match.true_up,
        "match_pay_frequency": match.pay_frequency,
        "tenure_match_tiers": match.service_tiers() if match.employer_match_status == "graded_by_service" else [],
        "points_match_tiers": match.points_tiers() if match.employer_match_status == "points_based" else [],
        "match_eligibility": match.eligibility.rules(match.apply_eligibility),
        "core_enabled": core.enabled,
        "core_status": core.status,
        "core_rate": core.contribution_rate if core.status == "flat" else 0.0,
        "core_safe_harbor": core.safe_harbor,
        "core_graded_schedule": core.dbt_graded() if core.status == "graded_by_service" else [],
        "core_age_schedule": core.dbt_age() if core.status == "age_banded" else [],
        "core_points_schedule": core.dbt_points() if core.status == "points_based" else [],
        "core_eligibility": core.eligibility.rules(core.apply_eligibility),
        # a match formula may fix the vesting of the match (safe harbor immediate, QACA 2-year cliff)
        "vesting_match_schedule": formula.vesting() or c.vesting.match.dbt_steps(),
        "vesting_core_schedule": c.vesting.core.dbt_steps(),
        "irs_limit_index": c.irs_limits.projection_index,
        # balances, returns, distributions and readiness
        "return_mode": returns.mode,
        "annual_return_rate": returns.annual_rate,
        "market_return_distribution": returns.market.distribution,
        "market_return_mean": returns.market.mean,
        "market_return_standard_deviation": returns.market.standard_deviation,
        "allocation_type": returns.allocation.type,
        "fixed_income_return": returns.allocation.fixed_income_return,
        "glide_path": returns.allocation.dbt_glide_path(),
        "contribution_timing": returns.contribution_timing,
        "force_out_limit": c.distributions.force_out_limit,
        "force_out_cash_share": c.distributions.force_out_cash_share,
        "distribution_tiers": c.distributions.dbt_tiers(),
        "forfeiture_use": c.forfeitures.use,
        "forfeiture_timing": c.forfeitures.timing,
        "compliance_testing_method": c.compliance.testing_method,
        "adp_correction": c.compliance.adp_correction,
        "acp_correction": c.compliance.acp_correction,
        "hce_top_paid_group": c.compliance.hce_top_paid_group,
        "readiness_retirement_age": readiness.normal_retirement_age,
        "readiness_expected_return": readiness.expected_return,
        "readiness_pay_growth": readiness.pay_growth,
        "readiness_annuity_factor": readiness.annuity_factor,
        "readiness_target": readiness.target_replacement_ratio,
        "readiness_include_social_security": readiness.include_social_security,
        "social_security_wage_growth": readiness.social_security_wage_growth,
        "seed_tables": c.seed_tables.dbt_var(),
    }


def _levels(mapping: dict[int, float]) -> dict[str, float]:
    return {str(level): float(value) for level, value in sorted(mapping.items())}
