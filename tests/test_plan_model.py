"""The DC-plan model: IRS limits, enrollment rules, escalation, employer money, vesting,
the peer's configuration, and plausibility against published participation figures."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

import runs
from conftest import REPO, Run, new_workdir, simulate

PEER_CONFIG = REPO / "tests" / "fixtures" / "peer_simulation_config.yaml"

# Published IRS limits (Notice 2024-80, Notice 2025-67)
LIMITS = {
    2025: {"402g": 23500, "catch_up": 7500, "super": 11250, "415c": 70000, "401a17": 350000},
    2026: {"402g": 24500, "catch_up": 8000, "super": 11250, "415c": 72000, "401a17": 360000},
}


def _edit_config(workdir: Path, edit) -> None:
    path = workdir / "config" / "simulation_config.yaml"
    config = yaml.safe_load(path.read_text())
    edit(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def _summary(run) -> pd.DataFrame:
    return pd.read_csv(run.run_dir / "summary.csv")


def test_deferrals_respect_the_limit_for_age_and_year(three_year_run):
    snapshots = three_year_run.snapshots()
    for year, limit in LIMITS.items():
        rows = snapshots[snapshots.simulation_year == year]
        expected = limit["402g"] + rows.current_age.map(
            lambda age, limit=limit: limit["super"] if 60 <= age <= 63 else limit["catch_up"] if age >= 50 else 0)
        assert (rows.deferral_limit == expected).all(), year
        assert (rows.employee_deferrals <= expected + 0.005).all()
        assert (rows.plan_compensation <= limit["401a17"] + 0.005).all()
        assert (rows.annual_additions <= limit["415c"] + 0.005).all()
    assert (snapshots[snapshots.current_age < 50].catch_up_deferrals == 0).all()
    assert (snapshots[snapshots.current_age >= 50].catch_up_deferrals > 0).any()
    assert snapshots.deferral_limit_reached.any(), "the generated census should reach the 402(g) limit somewhere"


def test_pay_above_401a17_earns_no_employer_money(three_year_run):
    snapshots = three_year_run.snapshots()
    high = snapshots[snapshots.compensation_limit_applied]
    assert len(high) > 0
    for year, limit in LIMITS.items():
        rows = high[high.simulation_year == year]
        assert (rows.plan_compensation.round(2) == limit["401a17"]).all()
        # tiered match capped at 4% and 1% core, of capped pay
        assert (rows.match_amount <= 0.04 * limit["401a17"] + 0.01).all()
        assert (rows.core_amount <= 0.01 * limit["401a17"] + 0.01).all()


def test_enrollment_rules(three_year_run):
    events = three_year_run.events()
    plan = events[events.event_type.isin(["enrollment", "enrollment_change"])]
    per_year = plan.groupby(["employee_id", "simulation_year", "event_type"]).size()
    assert (per_year == 1).all()
    assert (plan.event_type == "enrollment").sum() > 100 and (plan.event_type == "enrollment_change").sum() > 0

    # no enrollment before eligibility
    snapshots = three_year_run.snapshots()
    eligibility = snapshots.groupby("employee_id").plan_eligibility_date.min()
    enrolled = plan[plan.event_type == "enrollment"].join(eligibility, on="employee_id")
    assert (enrolled.effective_date >= enrolled.plan_eligibility_date).all()

    # an opted-out employee is never auto-enrolled again
    opt_outs = plan[plan.event_type == "enrollment_change"].groupby("employee_id").effective_date.min()
    auto = plan[plan.event_category == "auto_enrollment"].join(opt_outs.rename("opted_out_on"), on="employee_id")
    assert not (auto.effective_date > auto.opted_out_on).any()


def test_census_participants_stay_enrolled_at_their_rate_plus_escalation(three_year_run):
    import duckdb
    clean = runs.census_dir(three_year_run.run_dir) / "census.parquet"
    census = duckdb.sql(
        f"select employee_id, employee_deferral_rate from read_parquet('{clean}')"
        " where employee_deferral_rate > 0 and eligibility_override is distinct from false"  # excluded: no deferrals
    ).df().set_index("employee_id").employee_deferral_rate
    snapshots = three_year_run.snapshots()
    events = three_year_run.events()
    for year in three_year_run.years[1:]:
        rows = snapshots[(snapshots.simulation_year == year) & snapshots.employee_id.isin(census.index)]
        assert len(rows) > 500
        assert rows.is_enrolled.all()
        escalated = events[(events.event_type == "deferral_escalation") & (events.simulation_year <= year)]
        steps = escalated.groupby("employee_id").size().reindex(rows.employee_id, fill_value=0).to_numpy()
        start = census.reindex(rows.employee_id).to_numpy()
        expected = [max(s, min(0.10, round(s + 0.01 * k, 4))) if k else s for s, k in zip(start, steps)]
        assert (abs(rows.deferral_rate.to_numpy() - expected) < 1e-9).all(), year


def test_escalation_respects_cap_and_census_opt_out(three_year_run):
    events = three_year_run.events()
    escalations = events[events.event_type == "deferral_escalation"]
    assert len(escalations) > 100
    assert (escalations.deferral_rate_after <= 0.10 + 1e-9).all()
    assert (escalations.deferral_rate_after > escalations.deferral_rate_before).all()
    snapshots = three_year_run.snapshots()
    opted_out = set(snapshots[snapshots.auto_escalation_opt_out].employee_id)
    assert opted_out and not (set(escalations.employee_id) & opted_out)


def test_every_deferral_rate_change_is_explained_by_an_event(three_year_run):
    snapshots = three_year_run.snapshots().set_index(["employee_id", "simulation_year"])
    events = three_year_run.events()
    changes = events[events.event_type.isin(["enrollment", "enrollment_change", "deferral_escalation"])]
    for year in three_year_run.years[1:]:
        before = snapshots.xs(year - 1, level="simulation_year").deferral_rate
        after = snapshots.xs(year, level="simulation_year").deferral_rate
        both = pd.concat([before.rename("before"), after.rename("after")], axis=1, join="inner")
        year_events = changes[changes.simulation_year == year].sort_values(["employee_id", "event_sequence"])
        last_rate = year_events.groupby("employee_id").deferral_rate_after.last()
        replayed = last_rate.reindex(both.index).fillna(both.before)
        assert (abs(replayed - both.after) < 1e-9).all(), year


def test_summary_reports_plan_figures(three_year_run):
    summary = _summary(three_year_run)
    for column in ("eligible_actives", "participation_rate", "average_deferral_rate", "employee_deferrals",
                   "employer_match", "employer_core", "forfeitures", "net_employer_cost",
                   "employer_cost_share_of_payroll"):
        assert column in summary.columns
        assert summary[column].notna().all()
    assert ((summary.net_employer_cost - (summary.employer_match + summary.employer_core - summary.forfeitures))
            .abs() < 0.02).all()
    assert summary.participation_rate.between(0, 1).all()


@pytest.fixture(scope="module")
def other_seed_run(tmp_path_factory):
    return simulate(new_workdir(tmp_path_factory.mktemp("seed7")), seed=7)


@pytest.mark.slow
def test_enrollment_and_opt_out_depend_on_the_seed(three_year_run, other_seed_run):
    def outcomes(run, category):
        events = run.events()
        rows = events[events.event_category == category]
        return set(zip(rows.employee_id, rows.simulation_year))

    for category in ("auto_enrollment", "proactive_enrollment", "opt_out"):
        first, second = outcomes(three_year_run, category), outcomes(other_seed_run, category)
        assert first and second and first != second, category


@pytest.mark.slow
def test_cliff_vesting_forfeits_early_leavers(tmp_path):
    workdir = new_workdir(tmp_path)

    def three_year_cliff(config):
        config.setdefault("vesting", {})["match"] = {"type": "cliff", "years": 3}
        config["vesting"]["core"] = {"type": "cliff", "years": 3}

    _edit_config(workdir, three_year_cliff)
    run = simulate(workdir, size=3000)
    with run.db() as con:
        accounts = con.execute("select * from fct_account_balances").df()
    leavers = accounts[accounts.employment_status == "terminated"]
    short = leavers[leavers.vesting_service_years < 3]
    long = leavers[leavers.vesting_service_years >= 3]
    # under the cliff the whole employer balance, with its earnings, forfeits; at 3 years nothing does
    for source in ("match", "core"):
        before = short[f"opening_{source}"] + short[f"contributions_{source}"] + short[f"earnings_{source}"]
        assert ((short[f"forfeitures_{source}"] - before).abs() < 0.01).all()
        assert (short[f"closing_{source}"] == 0).all() and (long[f"forfeitures_{source}"] == 0).all()
    assert (short.forfeitures_match > 0).any()
    summary = _summary(run).set_index("simulation_year")
    # the census holds unvested match money, so forfeitures start in the first year
    assert (summary.forfeitures > 0).all()
    by_year = accounts.groupby("simulation_year").forfeitures_total.sum()
    assert ((summary.forfeitures - by_year).abs() < 0.01).all()
    snapshots = run.snapshots()
    contributions = snapshots.groupby("simulation_year")[["match_amount", "core_amount"]].sum()
    expected_net = contributions.match_amount + contributions.core_amount - summary.forfeitures
    assert (abs(summary.net_employer_cost - expected_net) < 0.05).all()


@pytest.mark.slow
def test_peer_configuration_runs_unchanged(tmp_path):
    workdir = new_workdir(tmp_path)
    (workdir / "config" / "simulation_config.yaml").write_text(PEER_CONFIG.read_text())
    run = simulate(workdir, size=1500, start=2025, end=2026)
    output = run.result.stdout + run.result.stderr
    assert output.count("have no effect here") == 1
    for section in ("corporate_network", "enrollment"):
        assert f"  {section}" in output or f", {section}" in output, section
    unmodelled = (run.run_dir / "unmodelled_config_keys.txt").read_text().split()
    assert "setup.clear_tables" in unmodelled and "deferral_match_response.enabled" not in unmodelled
    assert not any(key.startswith("enrollment.auto_enrollment.default") for key in unmodelled)
    events = run.events()
    # the peer's 2% default and its simple 50%-of-6% match are what run
    auto = events[events.event_category == "auto_enrollment"]
    assert len(auto) > 0 and (auto.deferral_rate_after == 0.02).all()
    snapshots = run.snapshots()
    matched = snapshots[snapshots.match_amount > 0]
    assert (matched.match_amount <= 0.03 * matched.plan_compensation + 0.01).all()


def _scenario_runs(tmp_path, overlays: dict[str, dict], size: int, end: int) -> dict[str, Run]:
    """One run of several scenarios, each an overlay on the shipped config (config/scenarios/<name>.yaml):
    the census and each year's workforce are built once for all of them (plan keys only differ), and a
    scenario's results equal those of the same design run alone
    (test_scenarios_and_ensembles.py::test_eight_runs_in_parallel_equal_each_run_alone)."""
    workdir = new_workdir(tmp_path)
    for name, overlay in overlays.items():
        (workdir / "config" / "scenarios" / f"{name}.yaml").write_text(yaml.safe_dump(overlay))
    run = simulate(workdir, size=size, start=2025, end=end, scenario=",".join(overlays))
    return {name: dataclasses.replace(run, scenario=name) for name in overlays}


@pytest.mark.slow
def test_auto_and_voluntary_enrollment_participation_is_plausible(tmp_path):
    runs = _scenario_runs(tmp_path, {
        "all_eligible_at_6": {"enrollment": {"auto_enrollment": {
            "enabled": True, "scope": "all_eligible_employees", "default_deferral_rate": 0.06,
            "hire_date_cutoff": None}}},
        "voluntary_only": {"enrollment": {"auto_enrollment": {"enabled": False},
                                          "voluntary_enrollment": {"enabled": True}}},
    }, size=2000, end=2034)
    # auto-enrollment of every eligible employee at 6 %
    summary = _summary(runs["all_eligible_at_6"])
    steady = summary.iloc[-1]
    assert 0.85 <= steady.participation_rate <= 0.97, summary.participation_rate.tolist()
    assert 0.05 <= steady.average_deferral_rate <= 0.10, summary.average_deferral_rate.tolist()
    # voluntary enrollment only
    summary = _summary(runs["voluntary_only"])
    steady = summary.iloc[-1]
    assert 0.50 <= steady.participation_rate <= 0.75, summary.participation_rate.tolist()
    assert 0.05 <= steady.average_deferral_rate <= 0.10, summary.average_deferral_rate.tolist()


# ---- plan rules to the letter (safe harbor, exclusion, Roth catch-up, match timing, response) ------

def test_excluded_employees_have_no_deferrals_or_employer_money(three_year_run):
    snapshots = three_year_run.snapshots()
    excluded = snapshots[snapshots.eligibility_override.eq(False).fillna(False)]
    assert len(excluded) > 10
    assert (excluded[["employee_deferrals", "match_amount", "core_amount"]] == 0).all(axis=None)
    assert not excluded.is_plan_eligible.any()
    events = three_year_run.events()
    plan_events = events[events.event_type.isin(["enrollment", "deferral_escalation", "deferral_match_response"])]
    assert not set(plan_events.employee_id) & set(excluded.employee_id)
    report = json.loads((runs.census_dir(three_year_run.run_dir) / "census_report.json").read_text())
    assert report["rows_excluded_with_deferral_rate"] > 0


def test_no_employer_money_before_plan_entry(three_year_run):
    snapshots = three_year_run.snapshots()
    outside = snapshots[~snapshots.is_plan_eligible]
    assert len(outside) > 0
    assert (outside[["employee_deferrals", "match_amount", "core_amount"]] == 0).all(axis=None)


def test_roth_catch_up_is_required_from_2026_above_the_threshold(three_year_run):
    snapshots = three_year_run.snapshots()
    year_2025 = snapshots[snapshots.simulation_year == 2025]
    assert not year_2025.roth_catch_up_required.any() and (year_2025.roth_catch_up_deferrals == 0).all()
    later = snapshots[(snapshots.simulation_year >= 2026) & (snapshots.catch_up_deferrals > 0)]
    required = later[later.prior_year_fica_wages > 150_000]
    assert len(required) > 10
    assert required.roth_catch_up_required.all()
    assert (required.roth_catch_up_deferrals == required.catch_up_deferrals).all()
    assert (later[later.prior_year_fica_wages <= 150_000].roth_catch_up_deferrals == 0).all()
    # the Roth catch-up is part of the Roth deferrals; pre-tax and Roth add up to the deferrals
    assert (snapshots.roth_deferrals + 0.005 >= snapshots.roth_catch_up_deferrals).all()
    assert ((snapshots.pre_tax_deferrals + snapshots.roth_deferrals - snapshots.employee_deferrals).abs() < 0.011).all()


@pytest.mark.slow
def test_safe_harbor_match_goes_to_every_plan_eligible_deferrer(tmp_path):
    def safe_harbor(config):
        config["employer_match"]["active_formula"] = "safe_harbor_basic"
        config["employer_match"]["eligibility"]["minimum_hours_annual"] = 1000
        config["employer_match"]["eligibility"]["require_active_at_year_end"] = True

    workdir = new_workdir(tmp_path)
    _edit_config(workdir, safe_harbor)
    snapshots = simulate(workdir, size=1500, start=2025, end=2026).snapshots()
    deferrers = snapshots[snapshots.is_plan_eligible & (snapshots.employee_deferrals > 0)]
    leavers_and_short = deferrers[(deferrers.employment_status == "terminated") | (deferrers.annual_hours < 1000)]
    assert len(leavers_and_short) > 50  # the conditions of an ordinary match would exclude these
    pay, deferred = deferrers.plan_compensation, deferrers.employee_deferrals
    basic = deferred.clip(upper=0.03 * pay) + 0.5 * (deferred.clip(upper=0.05 * pay) - 0.03 * pay).clip(lower=0)
    # before 415(c), which never binds at these amounts here
    assert ((deferrers.match_amount - basic.round(2)).abs() <= 0.011).all()
    assert (snapshots[~snapshots.is_plan_eligible].match_amount == 0).all()


@pytest.mark.slow
def test_per_pay_period_match_is_lower_by_exactly_the_true_up(tmp_path):
    runs = _scenario_runs(tmp_path, {"annual": {"employer_match": {"true_up": True}},
                                     "per_period": {"employer_match": {"true_up": False}}}, size=1500, end=2026)
    annual, periodic = _summary(runs["annual"]), _summary(runs["per_period"])
    assert (annual.match_true_up > 0).all() and (periodic.match_true_up == 0).all()
    difference = annual.employer_match - periodic.employer_match
    # exact to the cent (415(c) takes back no match in this census)
    assert ((difference - annual.match_true_up).abs() < 0.02).all(), (difference, annual.match_true_up)


@pytest.mark.slow
def test_match_response_raises_deferrals_under_a_richer_match(tmp_path):
    richer = yaml.safe_load((REPO / "config" / "scenarios" / "richer_match.yaml").read_text())
    overlays = {}
    for scenario, design in (("baseline", {}), ("richer_match", richer)):
        for enabled in (True, False):
            overlays[f"{scenario}_{'on' if enabled else 'off'}"] = {
                **design, "deferral_match_response": {"enabled": enabled}}
    runs = _scenario_runs(tmp_path, overlays, size=800, end=2025)
    averages = {}
    for scenario in ("baseline", "richer_match"):
        for enabled in (True, False):
            run = runs[f"{scenario}_{'on' if enabled else 'off'}"]
            averages[scenario, enabled] = _summary(run).average_deferral_rate.iloc[0]
            events = run.events()
            assert (events.event_type == "deferral_match_response").any() == enabled
    # with the response on, the richer match (6 % ceiling) pulls deferrals up more than the 5 % one
    assert averages["richer_match", True] > averages["baseline", True]
    assert averages["richer_match", True] - averages["richer_match", False] > \
        averages["baseline", True] - averages["baseline", False]
