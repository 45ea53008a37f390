"""sim_config: our config and the peer's load, map to the dbt vars contract, and report unused keys."""
import copy
import json
from pathlib import Path

import pytest
import yaml

import sim_config
from sim_config import ConfigError

REPO = Path(__file__).resolve().parents[1]
OUR_CONFIG = REPO / "config" / "simulation_config.yaml"
PEER_CONFIG = Path(__file__).resolve().parents[2] / "shared" / "reference" / "peer_simulation_config.yaml"
RUN_VALUES = {"scenario_id": "test", "plan_design_id": "test"}


def dbt_project_vars() -> dict:
    return yaml.safe_load((REPO / "dbt" / "dbt_project.yml").read_text())["vars"]


def ours() -> dict:
    return sim_config.load_yaml(OUR_CONFIG)


@pytest.fixture
def peer() -> dict:
    if not PEER_CONFIG.exists():
        pytest.skip(f"peer config not found: {PEER_CONFIG}")
    return sim_config.load_yaml(PEER_CONFIG)


def with_value(raw: dict, path: str, value) -> dict:
    raw = copy.deepcopy(raw)
    node = raw
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return raw


def raises_naming(raw: dict, path: str) -> str:
    with pytest.raises(ConfigError) as error:
        sim_config.validate(raw)
    assert path in str(error.value), str(error.value)
    return str(error.value)


# ---- our config ----------------------------------------------------------------------------------

def test_our_config_produces_exactly_the_dbt_project_vars():
    dbt_vars = sim_config.validate(ours()).dbt_vars(**RUN_VALUES)
    assert set(dbt_vars) == set(dbt_project_vars())
    json.dumps(dbt_vars)  # JSON values only


def test_our_config_plan_design():
    dbt_vars = sim_config.validate(ours()).dbt_vars(**RUN_VALUES)
    assert dbt_vars["auto_enrollment_scope"] == "new_hires_only"
    assert dbt_vars["auto_enrollment_default_rate"] == 0.06
    assert dbt_vars["auto_enrollment_hire_date_cutoff"] is None
    assert dbt_vars["match_formula_id"] == "tiered_match"
    assert dbt_vars["match_tiers"] == [
        {"employee_min": 0.0, "employee_max": 0.03, "match_rate": 1.0},
        {"employee_min": 0.03, "employee_max": 0.05, "match_rate": 0.5},
    ]
    assert dbt_vars["match_cap_percent"] == 0.04
    assert dbt_vars["vesting_match_schedule"] == [{"years": 0, "vested_pct": 0.0}, {"years": 3, "vested_pct": 1.0}]
    assert [s["vested_pct"] for s in dbt_vars["vesting_core_schedule"]] == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert [s["years"] for s in dbt_vars["vesting_core_schedule"]] == [0, 2, 3, 4, 5, 6]
    assert dbt_vars["core_status"] == "flat" and dbt_vars["core_rate"] == 0.01
    assert dbt_vars["irs_limit_index"] == 0.025 and dbt_vars["roth_share"] == 0.0


def test_empty_config_gives_the_dbt_project_defaults():
    dbt_vars = sim_config.validate({}).dbt_vars(**RUN_VALUES)
    defaults = dbt_project_vars()
    assert set(dbt_vars) == set(defaults)
    plan_vars = list(defaults)[list(defaults).index("plan_eligibility_minimum_age"):]
    for name in plan_vars:
        assert dbt_vars[name] == defaults[name], name


def test_dbt_vars_are_a_copy():
    config = sim_config.validate(ours())
    config.dbt_vars()["match_tiers"].clear()
    assert config.dbt_vars()["match_tiers"]


# ---- the peer's config ---------------------------------------------------------------------------

def test_peer_config_loads_and_maps_simple_match(peer):
    config = sim_config.validate(peer)
    dbt_vars = config.dbt_vars(**RUN_VALUES)
    assert set(dbt_vars) == set(dbt_project_vars())
    assert dbt_vars["match_formula_id"] == "simple_match"
    assert dbt_vars["match_formula_type"] == "simple"
    assert dbt_vars["match_tiers"] == [{"employee_min": 0.0, "employee_max": 0.06, "match_rate": 0.5}]
    assert dbt_vars["match_cap_percent"] == pytest.approx(0.03)
    assert dbt_vars["opt_out_rates_by_age"] == {"young": 0.10, "mid_career": 0.07, "mature": 0.05, "senior": 0.03}
    assert dbt_vars["opt_out_income_multipliers"] == {"low": 1.2, "moderate": 1.0, "high": 0.7, "executive": 0.5}
    assert dbt_vars["yoy_income_multipliers"] == {"low": 0.8, "moderate": 1.0, "high": 1.2, "executive": 1.3}
    assert dbt_vars["yoy_enrollment_date"] == "06-15"
    assert dbt_vars["auto_enrollment_default_rate"] == 0.02
    assert dbt_vars["auto_enrollment_hire_date_cutoff"] == "2020-01-01"
    assert dbt_vars["escalation_hire_date_cutoff"] == "2020-01-01"
    assert dbt_vars["match_magnet_enabled"] is True  # from deferral_rates.match_optimization
    assert dbt_vars["match_eligibility"]["apply"] is True
    assert dbt_vars["vesting_match_schedule"] == [{"years": 0, "vested_pct": 1.0}]
    json.dumps(dbt_vars)


def test_peer_unused_keys(peer):
    unused = set(sim_config.unused_keys(peer))
    for path in ("setup.clear_tables", "optimization.max_workers", "corporate_network.enabled",
                 "deferral_match_response.enabled", "employer_match.formulas.tiered_match.name",
                 "employer_match.formulas.qaca_safe_harbor.vesting_schedule",
                 "enrollment.auto_enrollment.plan_overrides.executive_plan.default_deferral_rate",
                 "enrollment.proactive_enrollment.timing_distribution.early",
                 "enrollment.voluntary_enrollment.annual_enrollment_probability",
                 "enrollment.voluntary_enrollment.demographic_adjustments.age_factor_per_year",
                 "enrollment.voluntary_enrollment.timing_distribution.open_enrollment_period",
                 "enrollment.timing.processing_frequency", "enrollment.multi_year.preserve_enrollment_state",
                 "enrollment.performance.batch_processing_size", "compensation.growth_target",
                 "multi_year.state.enable_checkpointing", "storage.max_runs_per_scenario",
                 "ops.run_multi_year_simulation.config.start_year", "employee_id_generation.baseline_format",
                 "employer_core_contribution.graded_schedule"):
        assert path in unused, path
    for path in ("enrollment.auto_enrollment.default_deferral_rate",
                 "enrollment.auto_enrollment.opt_out_rates.by_age.young",
                 "enrollment.auto_enrollment.opt_out_rates.by_age.senior",
                 "enrollment.auto_enrollment.opt_out_rates.by_income.low_income",
                 "employer_match.formulas.simple_match.name", "employer_match.formulas.simple_match.match_rate",
                 "employer_match.eligibility.minimum_hours_annual", "employer_match.apply_eligibility",
                 "employer_core_contribution.integration.enabled",
                 "employer_core_contribution.integration.disparity_rate",
                 "enrollment.year_over_year_conversion.deferral_rates.conservative",
                 "enrollment.year_over_year_conversion.timing.enrollment_month",
                 "enrollment.voluntary_enrollment.deferral_rates.match_optimization",
                 "deferral_auto_escalation.first_escalation_delay_years", "plan_eligibility.minimum_age"):
        assert path not in unused, path


def test_every_peer_leaf_is_used_or_listed(peer):
    config = sim_config.validate(peer)
    unused = set(config.unused_keys())
    leaves = set(sim_config._leaf_paths(peer))
    assert unused <= leaves

    def covered(path):
        parts = path.split(".")
        return any(".".join(parts[:n]) in config.used_paths for n in range(1, len(parts) + 1))

    for leaf in leaves:
        assert covered(leaf) != (leaf in unused), leaf


def test_peer_qaca_formula(peer):
    raw = with_value(peer, "employer_match.active_formula", "qaca_safe_harbor")
    config = sim_config.validate(raw)
    dbt_vars = config.dbt_vars()
    assert dbt_vars["match_formula_type"] == "qaca"
    assert dbt_vars["match_tiers"] == [
        {"employee_min": 0.0, "employee_max": 0.01, "match_rate": 1.0},
        {"employee_min": 0.01, "employee_max": 0.06, "match_rate": 0.5},
    ]
    assert dbt_vars["match_cap_percent"] == pytest.approx(0.035)
    assert dbt_vars["vesting_match_schedule"] == [{"years": 0, "vested_pct": 0.0}, {"years": 2, "vested_pct": 1.0}]
    unused = config.unused_keys()
    assert "employer_match.formulas.qaca_safe_harbor.tiers" not in unused
    assert "employer_match.formulas.simple_match.match_rate" in unused


def test_safe_harbor_formula_vests_immediately_over_our_vesting_section():
    raw = with_value(ours(), "employer_match.active_formula", "safe_harbor_basic")
    config = sim_config.validate(raw)
    assert config.dbt_vars()["vesting_match_schedule"] == [{"years": 0, "vested_pct": 1.0}]
    assert "vesting.match.years" in config.unused_keys()


# ---- validation ----------------------------------------------------------------------------------

def test_rate_out_of_range_names_the_key():
    raises_naming(with_value(ours(), "enrollment.auto_enrollment.default_deferral_rate", 1.5),
                  "enrollment.auto_enrollment.default_deferral_rate")
    raises_naming(with_value(ours(), "enrollment.auto_enrollment.opt_out_rates.by_age.young", 1.5),
                  "enrollment.auto_enrollment.opt_out_rates.by_age.young")
    raises_naming(with_value(ours(), "enrollment.match_magnet.snap_probability", -0.1),
                  "enrollment.match_magnet.snap_probability")


def test_non_contiguous_tiers_name_the_key():
    tiers = [{"employee_min": 0.0, "employee_max": 0.03, "match_rate": 1.0},
             {"employee_min": 0.04, "employee_max": 0.06, "match_rate": 0.5}]
    raises_naming(with_value(ours(), "employer_match.formulas.tiered_match.tiers", tiers),
                  "employer_match.formulas.tiered_match.tiers[1].employee_min")
    not_from_zero = [{"employee_min": 0.01, "employee_max": 0.03, "match_rate": 1.0}]
    raises_naming(with_value(ours(), "employer_match.formulas.tiered_match.tiers", not_from_zero),
                  "employer_match.formulas.tiered_match.tiers[0].employee_min")
    open_middle = [{"employee_min": 0.0, "employee_max": None, "match_rate": 1.0},
                   {"employee_min": 0.03, "employee_max": 0.05, "match_rate": 0.5}]
    raises_naming(with_value(ours(), "employer_match.formulas.tiered_match.tiers", open_middle),
                  "employer_match.formulas.tiered_match.tiers[0].employee_max")


def test_unknown_active_formula_lists_the_available_ones():
    message = raises_naming(with_value(ours(), "employer_match.active_formula", "gold_match"),
                            "employer_match.active_formula")
    assert "tiered_match" in message and "qaca_safe_harbor" in message


def test_integration_enabled_is_an_error(peer):
    message = raises_naming(with_value(peer, "employer_core_contribution.integration.enabled", True),
                            "employer_core_contribution.integration.enabled")
    assert "Social-Security integration" in message


def test_bad_choices_and_dates_name_the_key():
    raises_naming(with_value(ours(), "enrollment.auto_enrollment.scope", "everyone"),
                  "enrollment.auto_enrollment.scope")
    raises_naming(with_value(ours(), "employer_core_contribution.status", "generous"),
                  "employer_core_contribution.status")
    raises_naming(with_value(ours(), "employer_match.employer_match_status", "random"),
                  "employer_match.employer_match_status")
    raises_naming(with_value(ours(), "employer_match.formulas.tiered_match.type", "mystery"),
                  "employer_match.formulas.tiered_match.type")
    raises_naming(with_value(ours(), "vesting.match.type", "eventually"), "vesting.match.type")
    raises_naming(with_value(ours(), "deferral_auto_escalation.hire_date_cutoff", "2020-13-01"),
                  "deferral_auto_escalation.hire_date_cutoff")
    raises_naming(with_value(ours(), "deferral_auto_escalation.effective_day", "02-30"),
                  "deferral_auto_escalation.effective_day")
    raises_naming(with_value(ours(), "enrollment.year_over_year_conversion.timing.enrollment_day", 31),
                  "enrollment.year_over_year_conversion.timing.enrollment_day")  # June has 30 days
    raises_naming(with_value(ours(), "enrollment.voluntary_enrollment.base_rates_by_age.teen", 0.1),
                  "enrollment.voluntary_enrollment.base_rates_by_age.teen")


def test_unquoted_yaml_date_is_accepted():
    raw = yaml.safe_load("deferral_auto_escalation:\n  hire_date_cutoff: 2021-03-01\n")
    assert sim_config.validate(raw).dbt_vars()["escalation_hire_date_cutoff"] == "2021-03-01"


def test_percent_values_are_divided_by_100():
    raw = with_value(ours(), "employer_match.active_formula", "simple_match")
    raw = with_value(raw, "employer_match.formulas.simple_match.match_rate", 50)
    raw = with_value(raw, "employer_match.formulas.simple_match.max_match_percentage", 6)
    dbt_vars = sim_config.validate(raw).dbt_vars()
    assert dbt_vars["match_tiers"] == [{"employee_min": 0.0, "employee_max": 0.06, "match_rate": 0.5}]
    assert dbt_vars["match_cap_percent"] == pytest.approx(0.03)


def test_tenure_match_tiers():
    tiers = [{"min_years": 0, "max_years": 2, "match_rate": 25, "max_deferral_pct": 6},
             {"min_years": 2, "max_years": None, "match_rate": 0.5, "max_deferral_pct": 0.06}]
    raw = with_value(ours(), "employer_match.employer_match_status", "graded_by_service")
    raw = with_value(raw, "employer_match.tenure_match_tiers", tiers)
    dbt_vars = sim_config.validate(raw).dbt_vars()
    assert dbt_vars["match_status"] == "tenure_based"
    assert dbt_vars["match_cap_percent"] is None  # only deferral-based formulas are capped (as the peer)
    assert dbt_vars["tenure_match_tiers"] == [
        {"min_years": 0, "max_years": 2, "match_rate": 0.25, "max_deferral_pct": 0.06},
        {"min_years": 2, "max_years": None, "match_rate": 0.5, "max_deferral_pct": 0.06},
    ]
    gap = [dict(tiers[0]), {**tiers[1], "min_years": 3}]
    raises_naming(with_value(raw, "employer_match.tenure_match_tiers", gap),
                  "employer_match.tenure_match_tiers[1].min_years")
    raises_naming(with_value(raw, "employer_match.tenure_match_tiers", []), "employer_match.tenure_match_tiers")


def test_points_match_tiers_and_unselected_lists_are_unused():
    tiers = [{"min_points": 0, "max_points": 40, "match_rate": 25, "max_deferral_pct": 6},
             {"min_points": 40, "max_points": None, "match_rate": 50, "max_deferral_pct": 6}]
    raw = with_value(ours(), "employer_match.points_match_tiers", tiers)
    config = sim_config.validate(raw)
    assert config.dbt_vars()["points_match_tiers"] == []
    assert "employer_match.points_match_tiers" in config.unused_keys()
    raw = with_value(raw, "employer_match.employer_match_status", "points_based")
    config = sim_config.validate(raw)
    assert config.dbt_vars()["match_status"] == "points_based"
    assert config.dbt_vars()["points_match_tiers"][1] == {
        "min_points": 40, "max_points": None, "match_rate": 0.5, "max_deferral_pct": 0.06}
    assert "employer_match.points_match_tiers" not in config.unused_keys()


def test_core_schedules(peer):
    raw = with_value(peer, "employer_core_contribution.status", "graded_by_service")
    dbt_vars = sim_config.validate(raw).dbt_vars()
    assert dbt_vars["core_graded_schedule"] == [
        {"min_years": 0, "rate": 0.01}, {"min_years": 3, "rate": 0.02}, {"min_years": 6, "rate": 0.03}]
    unsorted = [{"service_years_min": 0, "service_years_max": None, "contribution_rate": 0.01},
                {"service_years_min": 0, "service_years_max": 5, "contribution_rate": 0.02}]
    raises_naming(with_value(raw, "employer_core_contribution.graded_schedule", unsorted),
                  "employer_core_contribution.graded_schedule[0].service_years_max")
    not_from_zero = [{"service_years_min": 1, "service_years_max": None, "contribution_rate": 0.01}]
    raises_naming(with_value(raw, "employer_core_contribution.graded_schedule", not_from_zero),
                  "employer_core_contribution.graded_schedule[0].service_years_min")

    ages = [{"min_age": 0, "max_age": 30, "contribution_rate": 0.03},
            {"min_age": 30, "max_age": None, "contribution_rate": 0.06}]
    raw = with_value(peer, "employer_core_contribution.status", "age_banded")
    raw = with_value(raw, "employer_core_contribution.age_schedule", ages)
    config = sim_config.validate(raw)
    assert config.dbt_vars()["core_age_schedule"] == [
        {"min_age": 0, "max_age": 30, "rate": 0.03}, {"min_age": 30, "max_age": None, "rate": 0.06}]
    assert "employer_core_contribution.contribution_rate" in config.unused_keys()
    closed = [ages[0], {**ages[1], "max_age": 65}]
    raises_naming(with_value(raw, "employer_core_contribution.age_schedule", closed),
                  "employer_core_contribution.age_schedule[1].max_age")


def test_vesting_sections():
    graded = [{"years": 1, "vested_pct": 0.5}, {"years": 2, "vested_pct": 1.0}]
    raw = with_value(ours(), "vesting.core", {"type": "graded", "schedule": graded})
    assert sim_config.validate(raw).dbt_vars()["vesting_core_schedule"] == [
        {"years": 0, "vested_pct": 0.0}, {"years": 1, "vested_pct": 0.5}, {"years": 2, "vested_pct": 1.0}]
    raises_naming(with_value(ours(), "vesting.core", {"type": "graded", "schedule": graded[:1]}),
                  "vesting.core.schedule[0].vested_pct")
    decreasing = [{"years": 1, "vested_pct": 0.6}, {"years": 2, "vested_pct": 0.4}, {"years": 3, "vested_pct": 1}]
    raises_naming(with_value(ours(), "vesting.core", {"type": "graded", "schedule": decreasing}),
                  "vesting.core.schedule[1].vested_pct")
    raw = with_value(ours(), "vesting.match", {"type": "immediate"})
    assert sim_config.validate(raw).dbt_vars()["vesting_match_schedule"] == [{"years": 0, "vested_pct": 1.0}]


def test_fallbacks():
    raw = {"eligibility": {"waiting_period_days": 90}}
    config = sim_config.validate(raw)
    assert config.dbt_vars()["plan_eligibility_waiting_period_days"] == 90
    assert "eligibility.waiting_period_days" not in config.unused_keys()
    raw = {"eligibility": {"waiting_period_days": 90}, "plan_eligibility": {"waiting_period_days": 30}}
    config = sim_config.validate(raw)
    assert config.dbt_vars()["plan_eligibility_waiting_period_days"] == 30
    assert "eligibility.waiting_period_days" in config.unused_keys()

    raw = {"enrollment": {"voluntary_enrollment": {"deferral_rates": {"match_optimization": False}}}}
    assert sim_config.validate(raw).dbt_vars()["match_magnet_enabled"] is False
    raw["enrollment"]["match_magnet"] = {"enabled": True}
    config = sim_config.validate(raw)
    assert config.dbt_vars()["match_magnet_enabled"] is True
    assert "enrollment.voluntary_enrollment.deferral_rates.match_optimization" in config.unused_keys()


def test_scalar_section_is_an_error():
    raises_naming({"enrollment": {"auto_enrollment": 5}}, "enrollment.auto_enrollment")
