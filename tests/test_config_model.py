"""The config model (workflow/scripts/simconfig): strict keys, errors naming file and key,
the peer's config, the dbt vars contract and the files exported from the model."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml

import simconfig
from simconfig import ConfigError, peer_schema, reference, run_settings, workforce
from simconfig.model import SimulationConfig

REPO = Path(__file__).resolve().parents[1]
OUR_CONFIG = REPO / "config" / "simulation_config.yaml"
PEER_CONFIG = REPO / "tests" / "fixtures" / "peer_simulation_config.yaml"


def ours() -> dict:
    return simconfig.load_yaml(OUR_CONFIG)


def peer() -> dict:
    return simconfig.load_yaml(PEER_CONFIG)


def with_value(raw: dict, path: str, value) -> dict:
    raw = copy.deepcopy(raw)
    node = raw
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return raw


def dbt_vars(raw: dict) -> dict:
    return simconfig.dbt_vars(simconfig.validate(raw).model)


def raises_naming(raw: dict, path: str) -> str:
    with pytest.raises(ConfigError) as error:
        simconfig.validate(raw, "test.yaml")
    message = str(error.value)
    assert f"'{path}'" in message, message
    assert message.startswith("test.yaml: "), message
    return message


# ---- strict keys ----------------------------------------------------------------------------------

def test_a_typo_names_the_file_the_key_and_the_right_key():
    message = raises_naming(with_value(ours(), "workforce.total_terminaton_rate", 0.20),
                            "workforce.total_terminaton_rate")
    assert "did you mean 'workforce.total_termination_rate'?" in message


def test_a_key_in_the_wrong_section_suggests_where_it_belongs():
    message = raises_naming({"workforce": {"cola_rate": 0.03}}, "workforce.cola_rate")
    assert "did you mean 'compensation.cola_rate'?" in message


def test_an_unknown_key_with_no_close_match_lists_the_valid_ones():
    message = raises_naming({"workforce": {"zzz": 1}}, "workforce.zzz")
    assert "total_termination_rate" in message and "part_time_hours_per_week" in message


def test_out_of_range_values_name_the_key_and_the_bound():
    message = raises_naming(with_value(ours(), "workforce.total_termination_rate", 1.5),
                            "workforce.total_termination_rate")
    assert "must be at most 1 (got 1.5)" in message
    message = raises_naming(with_value(ours(), "enrollment.auto_enrollment.window_days", -1),
                            "enrollment.auto_enrollment.window_days")
    assert "must be at least 0 (got -1)" in message
    raises_naming(with_value(ours(), "enrollment.auto_enrollment.opt_out_rates.by_age.young", 1.5),
                  "enrollment.auto_enrollment.opt_out_rates.by_age.young")


def test_values_are_not_coerced():
    assert "must be a number" in raises_naming(with_value(ours(), "compensation.cola_rate", "0.02"),
                                               "compensation.cola_rate")
    assert "must be true or false" in raises_naming(
        with_value(ours(), "enrollment.auto_enrollment.enabled", 1), "enrollment.auto_enrollment.enabled")
    assert "must be a whole number" in raises_naming(with_value(ours(), "plan_eligibility.minimum_age", 21.5),
                                                     "plan_eligibility.minimum_age")
    raises_naming(with_value(ours(), "compensation.cola_rate", float("nan")), "compensation.cola_rate")


def test_an_error_in_an_overlay_names_the_overlay_file(tmp_path):
    overlay = tmp_path / "rich.yaml"
    overlay.write_text("employer_match:\n  enabled: yes please\n")
    with pytest.raises(ConfigError) as error:
        simconfig.load(OUR_CONFIG, overlay)
    assert str(error.value).startswith(f"{overlay}: key 'employer_match.enabled'"), str(error.value)
    overlay.write_text("workforce:\n  total_termination_rat: 0.2\n")
    with pytest.raises(ConfigError) as error:
        simconfig.load(OUR_CONFIG, overlay)
    assert str(error.value).startswith(f"{overlay}: unknown key 'workforce.total_termination_rat'")


def test_our_config_has_no_key_without_effect():
    assert simconfig.load(OUR_CONFIG).unmodelled == {}


def test_every_modelled_key_has_a_description():
    def visit(model, prefix):
        for name, info in model.model_fields.items():
            assert info.description, f"{prefix}{name}"
            annotation = simconfig.loader._unwrap(info.annotation)
            if simconfig.loader._is_model(annotation):
                visit(annotation, f"{prefix}{name}.")
    visit(SimulationConfig, "")


# ---- the peer's config ------------------------------------------------------------------------------

def test_peer_config_loads_and_maps_its_plan():
    loaded = simconfig.validate(peer())
    values = simconfig.dbt_vars(loaded.model)
    formula = values["match_formula"]
    assert (formula["type"], formula["cap"]) == ("simple", pytest.approx(0.03))
    assert formula["tiers"] == [{"employee_min": 0.0, "employee_max": 0.06, "match_rate": 0.5}]
    assert values["opt_out_income_multipliers"] == {"low": 1.2, "moderate": 1.0, "high": 0.7, "executive": 0.5}
    assert values["yoy_income_multipliers"] == {"low": 0.8, "moderate": 1.0, "high": 1.2, "executive": 1.3}
    assert values["auto_enrollment_default_rate"] == 0.02
    assert values["auto_enrollment_hire_date_cutoff"] == "2020-01-01"
    assert values["match_magnet_enabled"] is True  # from deferral_rates.match_optimization
    assert values["vesting_match_schedule"] == [{"years": 0, "vested_pct": 1.0}]


def test_peer_keys_without_effect_are_set_aside_and_the_rest_is_modelled():
    unmodelled = set(simconfig.validate(peer()).unmodelled_keys())
    for path in ("setup.clear_tables", "optimization.max_workers", "corporate_network.enabled",
                 "enrollment.timing.processing_frequency",
                 "enrollment.year_over_year_conversion.deferral_rates.conservative",
                 "employer_match.formulas.tiered_match.tiers[0].tier", "compensation.growth_target",
                 "employer_core_contribution.integration.disparity_rate"):
        assert path in unmodelled, path
    for path in ("enrollment.auto_enrollment.default_deferral_rate",
                 "enrollment.auto_enrollment.opt_out_rates.by_income.low_income",
                 "employer_match.formulas.qaca_safe_harbor.vesting_schedule",
                 "employer_match.formulas.simple_match.name", "employer_core_contribution.graded_schedule",
                 "employer_core_contribution.integration.enabled", "eligibility.waiting_period_days",
                 "deferral_match_response.enabled", "deferral_match_response.upward_partial_increase_rate"):
        assert not any(key == path or key.startswith(path + ".") for key in unmodelled), path


def test_the_peer_notice_is_short_and_grouped_by_section():
    notice = peer_schema.notice(simconfig.validate(peer(), "peer.yaml").unmodelled)
    lines = notice.splitlines()
    assert lines[0].startswith("peer.yaml: ") and "have no effect here" in lines[0]
    assert len(lines) <= 20
    sections = [line.split(":")[0].strip() for line in lines[1:]]
    assert len(sections) == len(set(sections))  # one line per section
    assert any(line.startswith("  enrollment:") for line in lines)


def test_strict_config_turns_the_notice_into_an_error(tmp_path):
    config = tmp_path / "peer.yaml"
    config.write_text(PEER_CONFIG.read_text())
    plan = run_settings.plan_run({"simulation_config": str(config)}, REPO)
    assert plan.notice() and "corporate_network" in plan.notice()
    with pytest.raises(ConfigError) as error:
        run_settings.plan_run({"simulation_config": str(config), "strict_config": True}, REPO)
    assert "strict_config" in str(error.value) and "corporate_network" in str(error.value)


def test_peer_values_that_would_be_silently_remapped_are_rejected():
    message = raises_naming(with_value(peer(), "raise_timing.methodology", "legacy"), "raise_timing.methodology")
    assert "fixed" in message and "realistic" in message
    raises_naming(with_value(peer(), "deferral_auto_escalation.require_active_enrollment", False),
                  "deferral_auto_escalation.require_active_enrollment")
    message = raises_naming(with_value(ours(), "employer_match.employer_match_status", "tenure_graded"),
                            "employer_match.employer_match_status")
    assert "not modelled" in message
    message = raises_naming(with_value(peer(), "employer_core_contribution.integration.enabled", True),
                            "employer_core_contribution.integration.enabled")
    assert "Social-Security integration" in message


def test_fallback_keys_must_agree_with_the_key_they_stand_in_for():
    assert dbt_vars({"eligibility": {"waiting_period_days": 90}})["plan_eligibility_waiting_period_days"] == 90
    both = {"eligibility": {"waiting_period_days": 90}, "plan_eligibility": {"waiting_period_days": 90}}
    assert dbt_vars(both)["plan_eligibility_waiting_period_days"] == 90
    raises_naming(with_value(both, "plan_eligibility.waiting_period_days", 30), "eligibility.waiting_period_days")
    raw = {"enrollment": {"voluntary_enrollment": {"deferral_rates": {"match_optimization": False}}}}
    assert dbt_vars(raw)["match_magnet_enabled"] is False
    raises_naming(with_value(raw, "enrollment.match_magnet.enabled", True),
                  "enrollment.voluntary_enrollment.deferral_rates.match_optimization")


# ---- structured sections --------------------------------------------------------------------------

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


def test_bad_choices_and_dates_name_the_key():
    for path, value in (("enrollment.auto_enrollment.scope", "everyone"),
                        ("employer_core_contribution.status", "generous"),
                        ("employer_match.formulas.tiered_match.type", "mystery"),
                        ("vesting.match.type", "eventually"),
                        ("deferral_auto_escalation.hire_date_cutoff", "2020-13-01"),
                        ("deferral_auto_escalation.effective_day", "02-30"),
                        ("enrollment.year_over_year_conversion.timing.enrollment_day", 31),  # June: 30 days
                        ("enrollment.voluntary_enrollment.base_rates_by_age.teen", 0.1)):
        raises_naming(with_value(ours(), path, value), path)


def test_unquoted_yaml_dates_and_whole_percents():
    raw = yaml.safe_load("deferral_auto_escalation:\n  hire_date_cutoff: 2021-03-01\n")
    assert dbt_vars(raw)["escalation_hire_date_cutoff"] == "2021-03-01"
    raw = with_value(ours(), "employer_match.active_formula", "simple_match")
    raw = with_value(raw, "employer_match.formulas.simple_match.match_rate", 50)
    raw = with_value(raw, "employer_match.formulas.simple_match.max_match_percentage", 6)
    assert dbt_vars(raw)["match_formula"]["tiers"] == [{"employee_min": 0.0, "employee_max": 0.06, "match_rate": 0.5}]
    assert dbt_vars(raw)["match_formula"]["cap"] == pytest.approx(0.03)


def test_service_and_points_tiers():
    tiers = [{"min_years": 0, "max_years": 2, "match_rate": 25, "max_deferral_pct": 6},
             {"min_years": 2, "max_years": None, "match_rate": 0.5, "max_deferral_pct": 0.06}]
    raw = with_value(ours(), "employer_match.employer_match_status", "graded_by_service")
    raw = with_value(raw, "employer_match.tenure_match_tiers", tiers)
    values = dbt_vars(raw)
    assert values["match_status"] == "graded_by_service"
    assert values["tenure_match_tiers"] == [
        {"min_years": 0, "max_years": 2, "match_rate": 0.25, "max_deferral_pct": 0.06},
        {"min_years": 2, "max_years": None, "match_rate": 0.5, "max_deferral_pct": 0.06}]
    raises_naming(with_value(raw, "employer_match.tenure_match_tiers", [tiers[0], {**tiers[1], "min_years": 3}]),
                  "employer_match.tenure_match_tiers[1].min_years")
    raises_naming(with_value(raw, "employer_match.tenure_match_tiers", []), "employer_match.tenure_match_tiers")
    points = [{"min_points": 0, "max_points": 40, "match_rate": 25, "max_deferral_pct": 6},
              {"min_points": 40, "max_points": None, "match_rate": 50, "max_deferral_pct": 6}]
    raw = with_value(ours(), "employer_match.points_match_tiers", points)
    assert dbt_vars(raw)["points_match_tiers"] == []  # defined, not active: validated, no effect
    raw = with_value(raw, "employer_match.employer_match_status", "points_based")
    assert dbt_vars(raw)["points_match_tiers"][1] == {
        "min_points": 40, "max_points": None, "match_rate": 0.5, "max_deferral_pct": 0.06}


def test_core_schedules():
    raw = with_value(peer(), "employer_core_contribution.status", "graded_by_service")
    assert dbt_vars(raw)["core_graded_schedule"] == [
        {"min_years": 0, "rate": 0.01}, {"min_years": 3, "rate": 0.02}, {"min_years": 6, "rate": 0.03}]
    unsorted = [{"service_years_min": 0, "service_years_max": None, "contribution_rate": 0.01},
                {"service_years_min": 0, "service_years_max": 5, "contribution_rate": 0.02}]
    raises_naming(with_value(raw, "employer_core_contribution.graded_schedule", unsorted),
                  "employer_core_contribution.graded_schedule[0].service_years_max")
    ages = [{"min_age": 0, "max_age": 30, "contribution_rate": 0.03},
            {"min_age": 30, "max_age": None, "contribution_rate": 0.06}]
    raw = with_value(with_value(peer(), "employer_core_contribution.status", "age_banded"),
                     "employer_core_contribution.age_schedule", ages)
    assert dbt_vars(raw)["core_age_schedule"] == [
        {"min_age": 0, "max_age": 30, "rate": 0.03}, {"min_age": 30, "max_age": None, "rate": 0.06}]
    raises_naming(with_value(raw, "employer_core_contribution.age_schedule", [ages[0], {**ages[1], "max_age": 65}]),
                  "employer_core_contribution.age_schedule[1].max_age")


def test_vesting_and_formula_vesting():
    graded = [{"years": 1, "vested_pct": 0.5}, {"years": 2, "vested_pct": 1.0}]
    raw = with_value(ours(), "vesting.core", {"type": "graded", "schedule": graded})
    assert dbt_vars(raw)["vesting_core_schedule"] == [
        {"years": 0, "vested_pct": 0.0}, {"years": 1, "vested_pct": 0.5}, {"years": 2, "vested_pct": 1.0}]
    raises_naming(with_value(ours(), "vesting.core", {"type": "graded", "schedule": graded[:1]}),
                  "vesting.core.schedule[0].vested_pct")
    decreasing = [{"years": 1, "vested_pct": 0.6}, {"years": 2, "vested_pct": 0.4}, {"years": 3, "vested_pct": 1}]
    raises_naming(with_value(ours(), "vesting.core", {"type": "graded", "schedule": decreasing}),
                  "vesting.core.schedule[1].vested_pct")
    raw = with_value(ours(), "employer_match.active_formula", "stretch_match")
    raw = with_value(raw, "employer_match.formulas.stretch_match.immediate_vesting", True)
    assert dbt_vars(raw)["vesting_match_schedule"] == [{"years": 0, "vested_pct": 1.0}]


def test_a_scalar_where_a_section_belongs_is_an_error():
    raises_naming({"enrollment": {"auto_enrollment": 5}}, "enrollment.auto_enrollment")


# ---- one source: the dbt vars and the exported files -------------------------------------------------

def test_exported_files_are_current():
    """dbt_project.yml's vars, the JSON schemas and docs/configuration.md are generated from the model
    (`make config-docs`); any drift fails here."""
    stale = [str(path.relative_to(REPO)) for path, text in reference.outputs().items()
             if not path.exists() or path.read_text() != text]
    assert not stale, f"run `make config-docs`: {stale}"


def test_dbt_project_vars_are_the_default_config():
    project_vars = yaml.safe_load((REPO / "dbt" / "dbt_project.yml").read_text())["vars"]
    assert project_vars == json.loads(json.dumps(simconfig.dbt_vars(SimulationConfig())))
    assert set(dbt_vars(ours())) == set(project_vars) == set(dbt_vars(peer()))


def test_every_dbt_var_is_read_by_some_model_or_macro():
    project_vars = yaml.safe_load((REPO / "dbt" / "dbt_project.yml").read_text())["vars"]
    sql = "\n".join(p.read_text() for folder in ("models", "macros", "tests")
                    for p in (REPO / "dbt" / folder).rglob("*.sql"))
    read = set(re.findall(r"""var\(\s*['"](\w+)['"]""", sql))
    assert set(project_vars) - read == set()
    # besides the config's vars, the SQL reads one the workflow sets: a scenario reading another's workforce
    assert read - set(project_vars) == {workforce.SHARED_VAR}, "a var the SQL reads that the config does not set"


def _scalar_keys() -> list[tuple[str, object]]:
    """Every scalar key of the model (not sections, lists or maps) with its field info."""
    keys = []

    def visit(model, prefix):
        for name, info in model.model_fields.items():
            annotation = simconfig.loader._unwrap(info.annotation)
            if simconfig.loader._is_model(annotation):
                visit(annotation, f"{prefix}{name}.")
            elif not any(t in str(annotation) for t in ("list[", "dict[")):
                keys.append((f"{prefix}{name}", info))
    visit(SimulationConfig, "")
    return keys


SCALAR_KEYS = _scalar_keys()


def perturbed_value(path: str, info, current):
    """A valid value other than the current one (the key's `perturb` metadata when it has one)."""
    extra = info.json_schema_extra or {}
    if "perturb" in extra:
        return extra["perturb"]
    annotation = simconfig.loader._unwrap(info.annotation)
    if annotation is bool or isinstance(current, bool):
        return not current
    if "Literal" in str(annotation):
        choices = [a for a in annotation.__args__ if a != current]
        return choices[0]
    low = next((m.ge for m in info.metadata if getattr(m, "ge", None) is not None), 0)
    high = next((m.le for m in info.metadata if getattr(m, "le", None) is not None), None)
    if annotation is int:
        value = (current or 0) + 1
        return value if high is None or value <= high else current - 1
    value = (current or 0.0) * 1.5 if current else (low + (high if high is not None else 1)) * 0.3
    return min(value, high) if high is not None else value


def overlays(path: str) -> dict:
    """The test overlays of the key and of every section above it (".x" is a sibling of the field)."""
    merged, model, walked = {}, SimulationConfig, []
    for part in path.split("."):
        info = model.model_fields[part]
        parent = ".".join(walked)
        for other, value in ((info.json_schema_extra or {}).get("test_overlay") or {}).items():
            merged[f"{parent}{other}" if other.startswith(".") else other] = value
        walked.append(part)
        model = simconfig.loader._unwrap(info.annotation)
    return merged



def test_every_scalar_key_reaches_the_dbt_vars_or_is_documented():
    """Changing any scalar key changes the dbt vars of a run (with the key's test overlay, which
    makes it apply), except the keys that accept one value only."""
    base_raw = ours()
    untested = []
    for path, info in SCALAR_KEYS:
        raw = copy.deepcopy(base_raw)
        parent = path.rsplit(".", 1)[0]
        for other, value in overlays(path).items():
            raw = with_value(raw, other, value)
        model = simconfig.validate(raw).model
        current = model
        for part in path.split("."):
            current = getattr(current, part)
        target = path
        if isinstance(info.validation_alias, str) and info.validation_alias in _node(raw, parent):
            target = f"{parent}.{info.validation_alias}"  # the file spells it with the peer's alias
        try:
            changed = dbt_vars(with_value(raw, target, perturbed_value(path, info, current)))
        except ConfigError:
            untested.append(path)  # e.g. require_active_enrollment: true is the only value
            continue
        assert changed != simconfig.dbt_vars(model), f"{path} does not change the dbt vars"
    assert untested == ["deferral_auto_escalation.require_active_enrollment",
                        "deferral_match_response.upward_partial_increase_rate",
                        "deferral_match_response.downward_partial_decrease_rate",
                        "employer_core_contribution.integration.enabled"], untested


def _node(raw: dict, path: str) -> dict:
    for part in path.split("."):
        raw = raw.get(part) or {}
    return raw


# ---- plan rules checked at load (IRC 401(k)(12), (13)) ------------------------------------------

def test_safe_harbor_formulas_can_be_active_and_must_vest_at_once():
    raw = with_value(ours(), "employer_match.active_formula", "safe_harbor_basic")
    assert dbt_vars(raw)["match_formula"]["type"] == "safe_harbor"
    assert dbt_vars(raw)["vesting_match_schedule"] == [{"years": 0, "vested_pct": 1.0}]
    message = raises_naming(with_value(raw, "employer_match.formulas.safe_harbor_basic.immediate_vesting", False),
                            "employer_match.formulas.safe_harbor_basic.immediate_vesting")
    assert "401(k)(12)(E)" in message


def test_a_safe_harbor_formula_less_generous_than_the_basic_match_is_rejected():
    thin = [{"employee_min": 0.0, "employee_max": 0.04, "match_rate": 0.5}]
    raw = with_value(ours(), "employer_match.active_formula", "safe_harbor_basic")
    message = raises_naming(with_value(raw, "employer_match.formulas.safe_harbor_basic.tiers", thin),
                            "employer_match.formulas.safe_harbor_basic.tiers")
    assert "less than the basic safe-harbor match" in message
    rising = [{"employee_min": 0.0, "employee_max": 0.03, "match_rate": 1.0},
              {"employee_min": 0.03, "employee_max": 0.05, "match_rate": 150}]  # 150 % (a whole-number percent)
    assert "must not rise" in raises_naming(with_value(raw, "employer_match.formulas.safe_harbor_basic.tiers", rising),
                                            "employer_match.formulas.safe_harbor_basic.tiers")
    enhanced = [{"employee_min": 0.0, "employee_max": 0.04, "match_rate": 1.0}]  # 100 % of 4 %: enhanced
    assert dbt_vars(with_value(raw, "employer_match.formulas.safe_harbor_basic.tiers", enhanced))


def test_qaca_needs_auto_enrollment_within_its_bounds_and_two_year_vesting():
    raw = with_value(ours(), "employer_match.active_formula", "qaca_safe_harbor")
    assert dbt_vars(raw)["match_formula"]["type"] == "qaca"
    raises_naming(with_value(raw, "enrollment.auto_enrollment.default_deferral_rate", 0.02),
                  "enrollment.auto_enrollment.default_deferral_rate")
    raises_naming(with_value(raw, "enrollment.auto_enrollment.enabled", False), "enrollment.auto_enrollment.enabled")
    low = with_value(with_value(raw, "enrollment.auto_enrollment.default_deferral_rate", 0.03),
                     "deferral_auto_escalation.enabled", False)
    assert "must reach 4% in plan year 3" in raises_naming(low, "deferral_auto_escalation")
    raises_naming(with_value(raw, "deferral_auto_escalation.maximum_rate", 0.20), "deferral_auto_escalation.maximum_rate")
    raises_naming(with_value(raw, "employer_match.formulas.qaca_safe_harbor.vesting_schedule", "cliff_3_year"),
                  "employer_match.formulas.qaca_safe_harbor.vesting_schedule")


def test_safe_harbor_nonelective_is_three_percent_and_vested():
    raw = with_value(ours(), "employer_core_contribution.safe_harbor", True)
    raises_naming(raw, "employer_core_contribution.safe_harbor")  # 1 % is too little
    raw = with_value(raw, "employer_core_contribution.contribution_rate", 0.03)
    raises_naming(raw, "vesting.core")  # the shipped core vests over 6 years
    raw = with_value(raw, "vesting.core", {"type": "immediate"})
    assert dbt_vars(raw)["core_safe_harbor"] is True


def test_roth_share_needs_a_roth_option():
    raw = with_value(with_value(ours(), "employee_contributions.roth_available", False),
                     "employee_contributions.roth_share", 0.2)
    raises_naming(raw, "employee_contributions.roth_share")


def test_the_reference_plan_is_the_base_config_without_the_overlay(tmp_path):
    loaded = simconfig.load(OUR_CONFIG, REPO / "config" / "scenarios" / "richer_match.yaml")
    values = simconfig.dbt_vars(loaded.model, reference=loaded.reference)
    assert values["match_ceiling"] == 0.06 and values["reference_match_ceiling"] == 0.05
    assert values["match_per_dollar"] == 1.0 and values["reference_match_per_dollar"] == 0.8
    alone = simconfig.load(OUR_CONFIG)
    same = simconfig.dbt_vars(alone.model, reference=alone.reference)
    assert same["match_per_dollar"] == same["reference_match_per_dollar"] == 0.8
