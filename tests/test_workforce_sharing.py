"""Which scenarios share one workforce per seed (workflow/scripts/simconfig/workforce.py): the vars the
workforce models read, found in the SQL and the macros it calls, decide it. The runs that prove a
shared workforce gives the same results as building it are in test_scenarios_and_ensembles.py."""
from __future__ import annotations

import re

import simconfig
from simconfig import workforce
from simconfig.model import SimulationConfig


def _vars(overlay: dict | None = None) -> dict:
    config = SimulationConfig.model_validate(simconfig.deep_merge(SimulationConfig().model_dump(), overlay or {}))
    return simconfig.dbt_vars(config, random_seed=42, start_year=2025, end_year=2029)


def test_workforce_vars_are_the_workforce_models_vars_and_no_plan_var():
    names = workforce.workforce_var_names()
    # read in the workforce models themselves
    assert {"total_termination_rate", "target_growth_rate", "new_hire_termination_rate", "cola_rate",
            "merit_budget", "pay_band_index", "retirement_maximum_age", "seed_tables"} <= names
    # read only through macros: promoted_salary (promotion caps), sim_random (the seed)
    assert {"promotion_max_cap_pct", "promotion_max_cap_amount", "random_seed"} <= names
    for path in workforce.WORKFORCE_MODELS.glob("*.sql"):
        direct = set(re.findall(r"""var\(\s*['"](\w+)['"]""", path.read_text())) - {workforce.SHARED_VAR}
        assert direct <= names, path.name
    # plan design: match, core, enrollment, escalation, vesting, limits, the hires excluded from the plan
    plan = {"match_formula", "core_rate", "auto_enrollment_default_rate", "escalation_maximum_rate",
            "vesting_match_schedule", "irs_limit_index", "new_hire_ineligible_pct", "scenario_id"}
    assert not plan & names
    assert plan <= set(_vars()), "a plan var was renamed: update this test"


def test_plan_only_scenarios_share_and_a_workforce_change_builds_its_own():
    scenarios = {
        "baseline": _vars(),
        "richer_match": _vars({"employer_match": {"active_formula": "rich_tiered", "formulas": {"rich_tiered": {
            "name": "100% on the first 6%", "type": "tiered",
            "tiers": [{"employee_min": 0.0, "employee_max": 0.06, "match_rate": 1.0}]}}}}),
        "no_core": _vars({"employer_core_contribution": {"enabled": False}}),
        "high_turnover": _vars({"workforce": {"total_termination_rate": 0.2}}),
        "high_turnover_rich": _vars({"workforce": {"total_termination_rate": 0.2},
                                     "employer_core_contribution": {"enabled": False}}),
        "higher_cola": _vars({"compensation": {"cola_rate": 0.03}}),
    }
    assert scenarios["richer_match"]["match_formula"] != scenarios["baseline"]["match_formula"]
    assert workforce.workforce_sources(scenarios) == {
        "baseline": "baseline", "richer_match": "baseline", "no_core": "baseline",
        "high_turnover": "high_turnover", "high_turnover_rich": "high_turnover", "higher_cola": "higher_cola"}
    # the first of a group in the run's order builds the workforce
    reordered = {name: scenarios[name] for name in ("no_core", "baseline", "richer_match")}
    assert workforce.workforce_sources(reordered) == {"no_core": "no_core", "baseline": "no_core",
                                                      "richer_match": "no_core"}
