"""Compliance testing on real runs (dbt + DuckDB): the ADP test failing and corrected by refunds
or by a QNEC, a safe-harbor match deemed to pass, and top-heavy plans at 65 % and 55 % of
balances held by key employees. A still workforce (no exits, hires or rate changes) keeps every
ratio at what the census says, so each figure can be worked by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import new_workdir, results_dir, snakemake

pytestmark = pytest.mark.slow

STILL = """
simulation: {target_growth_rate: 0.0}
workforce:
  total_termination_rate: 0.0
  new_hire_termination_rate: 0.0
  retirement: {enabled: false}
deferral_auto_escalation: {enabled: false}
compensation: {cola_rate: 0.0, merit_budget: 0.0, promotion_rate_multiplier: 0.0}
"""
SAFE_HARBOR = "employer_match: {active_formula: safe_harbor_basic}\n"
QNEC = "compliance: {adp_correction: qnec}\n"
STRETCH = "employer_match: {active_formula: stretch_match}\n"  # 25 % of deferrals up to 12 % of pay
HEADER = ("employee_id,employee_birth_date,employee_hire_date,employee_gross_compensation,employee_deferral_rate,"
          "prior_year_compensation,is_officer,ownership_pct,balance_pre_tax")


def _limit(nhce_average: float) -> float:
    """IRC 401(k)(3)(A)(ii)."""
    return max(1.25 * nhce_average, min(2 * nhce_average, nhce_average + 0.02))


def _census(path, *, hces=10, nhces=40, key_balance=0.0, other_balance=0.0):
    """HCEs paid 180,000 (also last year) deferring 12 %, NHCEs paid 60,000 deferring 3 %, all aged
    40 and hired in 2015. The first HCE, an officer owning 10 %, is the one key employee (a 5 % owner,
    416(i)(1)(A)(ii); as an officer alone, paid under the 220,000 limit of 2024, he would not be) and
    holds key_balance; each other employee holds an equal share of other_balance."""
    rows = [HEADER]
    for i in range(hces):
        balance = key_balance if i == 0 else other_balance / (hces + nhces - 1)
        rows.append(f"H{i:02d},1985-06-01,2015-03-01,180000,0.12,180000,{str(i == 0).lower()},{10 if i == 0 else 0},"
                    f"{balance:.2f}")
    for i in range(nhces):
        rows.append(f"N{i:02d},1985-06-01,2015-03-01,60000,0.03,60000,false,0,"
                    f"{other_balance / (hces + nhces - 1):.2f}")
    path.write_text("\n".join(rows) + "\n")
    return path


def _run(tmp_path, scenarios: dict[str, str], **census) -> dict[str, tuple[pd.DataFrame, pd.DataFrame, pd.Series]]:
    """Runs 2025 for each scenario overlay; returns (tests, snapshot, summary row) by scenario."""
    workdir = new_workdir(tmp_path)
    for name, text in scenarios.items():
        (workdir / "config" / "scenarios" / f"{name}.yaml").write_text(STILL + text)
    path = _census(workdir / "census.csv", **census)
    snakemake(workdir, config={"census": str(path), "start_year": 2025, "end_year": 2025,
                               "scenarios": "[" + ",".join(scenarios) + "]", "reports": False})
    out = {}
    import duckdb
    for name in scenarios:
        run_dir = results_dir(workdir) / name / "seed_42"
        with duckdb.connect(str(run_dir / "simulation.duckdb"), read_only=True) as con:
            tests = con.execute("select * from fct_compliance_tests").df().set_index("test_name")
        snapshot = pd.read_parquet(run_dir / "years" / "2025" / "snapshot.parquet").set_index("employee_id")
        summary = pd.read_csv(run_dir / "summary.csv").set_index("simulation_year").loc[2025]
        out[name] = (tests, snapshot, summary)
    return out


@pytest.fixture(scope="module")
def adp_runs(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("adp"), {"refunds": "", "qnec": QNEC, "safe_harbor": SAFE_HARBOR,
                                                 "stretch": STRETCH,
                                                 "stretch_qmac": STRETCH + "compliance: {acp_correction: qmac}\n"})


def test_adp_fails_at_a_five_percent_limit_and_refunds_level_hces_to_it(adp_runs):
    tests, snapshot, summary = adp_runs["refunds"]
    hces = snapshot[snapshot.is_hce]
    assert len(hces) == 10 and (snapshot.deferral_rate.round(6).isin([0.12, 0.03])).all()
    adp = tests.loc["adp"]
    # NHCEs at 3 %: the limit is 3 % + 2 points = 5 %, the HCEs' 12 % fails by 7 points
    assert (adp.hce_average, adp.nhce_average, adp.limit_value) == pytest.approx((0.12, 0.03, 0.05))
    assert adp.result == "corrected" and adp.margin == pytest.approx(-0.07)
    # each HCE refunds 7 % of 180,000 = 12,600.00 (equal deferrals: dollar leveling takes the same
    # from each), so every HCE keeps 5 % of pay and the HCE average is the limit exactly
    assert (hces.adp_refund == 12600.0).all() and (hces.adp_recharacterized == 0).all()
    kept = (hces.employee_deferrals - hces.catch_up_deferrals - hces.adp_refund) / hces.plan_compensation
    assert kept.mean() == pytest.approx(0.05, abs=1e-12)
    assert adp.hce_average_corrected == pytest.approx(0.05)
    assert adp.corrective_amount == pytest.approx(126000.0) == summary.adp_refunds
    assert (snapshot[~snapshot.is_hce].adp_refund == 0).all()
    # refunds leave the plan: what reaches the accounts is the deferrals less the refund
    posted = hces.employee_deferrals - hces.adp_refund + hces.match_amount + hces.core_amount
    assert ((hces.account_contributions - posted).abs() < 0.005).all()
    assert summary.corrective_contributions == 0
    assert summary.adp_result == "corrected" and summary.compliance_tests_failed >= 1


def test_a_qnec_is_the_smallest_rate_that_passes_and_is_employer_cost(adp_runs):
    tests, snapshot, summary = adp_runs["qnec"]
    refunds = adp_runs["refunds"][2]
    adp = tests.loc["adp"]
    # the NHCE average must reach the A with max(1.25 A, min(2 A, A + 2 pp)) = 12 %: A = 12 / 1.25 = 9.6 %,
    # so the QNEC is 6.6 % of pay: 0.066 x 60,000 = 3,960.00 to each of the 40 NHCEs
    nhces = snapshot[~snapshot.is_hce]
    assert (nhces.qnec_amount == 3960.0).all() and (snapshot[snapshot.is_hce].qnec_amount == 0).all()
    assert adp.corrective_amount == pytest.approx(158400.0) == summary.qnec_amount
    assert adp.limit_value_corrected == pytest.approx(0.12) and adp.hce_average_corrected == pytest.approx(0.12)
    # the rate the run gave passes and one hundredth of a percent less would not
    rate = (nhces.qnec_amount / nhces.plan_compensation).round(6).unique()
    assert len(rate) == 1 and _limit(adp.nhce_average + rate[0]) >= adp.hce_average - 1e-12
    assert _limit(adp.nhce_average + rate[0] - 0.0001) < adp.hce_average
    assert "qnec of 6.6 % of pay" in adp.note
    # the QNEC is employer cost; no refunds
    assert summary.corrective_contributions == pytest.approx(158400.0)
    assert summary.employer_contributions == pytest.approx(summary.employer_match + summary.employer_core + 158400.0)
    assert summary.net_employer_cost - refunds.net_employer_cost == pytest.approx(158400.0, abs=0.01)
    assert (snapshot.adp_refund == 0).all()


def test_a_safe_harbor_match_is_deemed_to_pass_adp_and_acp(adp_runs):
    tests, snapshot, summary = adp_runs["safe_harbor"]
    assert tests.loc["adp", "result"] == "deemed_pass" and tests.loc["acp", "result"] == "deemed_pass"
    assert "safe-harbor" in tests.loc["adp", "note"]
    assert (snapshot.adp_refund == 0).all() and (snapshot.qnec_amount == 0).all()
    assert summary.adp_result == "deemed_pass" and summary.acp_result == "deemed_pass"


def test_acp_fails_under_a_stretch_match_and_is_corrected_by_refund_or_qmac(adp_runs):
    tests, snapshot, summary = adp_runs["stretch"]
    acp = tests.loc["acp"]
    # match 25 % of deferrals: HCEs 3 % of pay, NHCEs 0.75 %; the limit is 2 x 0.75 = 1.5 %
    assert (acp.hce_average, acp.nhce_average, acp.limit_value) == pytest.approx((0.03, 0.0075, 0.015))
    assert acp.result == "corrected"
    hces = snapshot[snapshot.is_hce]
    # refund: each HCE keeps 1.5 % of 180,000 of match, 5,400 - 2,700 = 2,700.00 distributed
    assert (hces.acp_refund == 2700.0).all() and (snapshot[~snapshot.is_hce].acp_refund == 0).all()
    assert summary.acp_refunds == pytest.approx(27000.0) == acp.corrective_amount
    tests, snapshot, summary = adp_runs["stretch_qmac"]
    # QMAC: the NHCE average must reach 3 % / 2 = 1.5 %, so 0.75 % of pay, 450.00 to each NHCE
    nhces = snapshot[~snapshot.is_hce]
    assert (nhces.qmac_amount == 450.0).all() and (snapshot.acp_refund == 0).all()
    assert summary.qmac_amount == pytest.approx(18000.0) and tests.loc["acp", "limit_value_corrected"] == pytest.approx(0.03)
    assert summary.corrective_contributions == pytest.approx(18000.0)


def test_the_top_paid_group_election_keeps_hces_to_the_top_fifth(tmp_path):
    """15 of 50 employees are paid above the threshold; with the election only the top 20 %, 10, are HCEs
    (ties of pay broken by id), so five 12 % deferrers join the NHCEs: (5 x 12 + 35 x 3) / 40 = 4.125 %."""
    runs = _run(tmp_path, {"by_pay": "", "top_paid": "compliance: {hce_top_paid_group: true}\n"}, hces=15, nhces=35)
    by_pay, top_paid = runs["by_pay"], runs["top_paid"]
    assert by_pay[1].is_hce.sum() == 15 and top_paid[1].is_hce.sum() == 10
    assert top_paid[0].loc["adp", "nhce_average"] == pytest.approx(0.04125, abs=1e-4)
    assert top_paid[0].loc["adp", "limit_value"] == pytest.approx(0.06125, abs=1e-4)
    assert by_pay[0].loc["adp", "nhce_average"] == pytest.approx(0.03)


def test_prior_year_testing_takes_last_years_nhce_average(tmp_path):
    workdir = new_workdir(tmp_path)
    (workdir / "config" / "scenarios" / "prior_year.yaml").write_text("compliance: {testing_method: prior_year}\n")
    snakemake(workdir, config={"census_size": 600, "start_year": 2025, "end_year": 2026,
                               "scenarios": "[prior_year]", "reports": False})
    summary = pd.read_csv(results_dir(workdir) / "prior_year" / "seed_42" / "summary.csv").set_index("simulation_year")
    # the first year: the first-year rule's 3 %; the second: what the NHCEs averaged in the first
    assert summary.loc[2025, "adp_nhce_tested_average"] == pytest.approx(0.03)
    assert summary.loc[2025, "adp_limit"] == pytest.approx(0.05)
    assert summary.loc[2026, "adp_nhce_tested_average"] == pytest.approx(summary.loc[2025, "adp_nhce_average"])
    assert summary.loc[2026, "acp_nhce_tested_average"] == pytest.approx(summary.loc[2025, "acp_nhce_average"])
    assert summary.loc[2025, "adp_nhce_average"] != pytest.approx(0.03)


NO_EMPLOYER_MONEY = "employer_match: {enabled: false}\nemployer_core_contribution: {enabled: false}\n"


def _top_heavy(tmp_path, key_share: float, scenarios: dict[str, str]):
    total = 1_000_000.0
    return _run(tmp_path, scenarios, key_balance=key_share * total, other_balance=(1 - key_share) * total)


@pytest.fixture(scope="module")
def top_heavy_runs(tmp_path_factory):
    return _top_heavy(tmp_path_factory.mktemp("top_heavy"), 0.65,
                      {"top_heavy": "", "no_employer": NO_EMPLOYER_MONEY})


def test_key_employees_at_65_percent_make_the_plan_top_heavy(top_heavy_runs):
    tests, snapshot, summary = top_heavy_runs["top_heavy"]
    row = tests.loc["top_heavy"]
    assert row.hce_average == pytest.approx(0.65) and row.result == "corrected"
    assert snapshot.loc["H00", "is_key_employee"] and snapshot.is_key_employee.sum() == 1
    # non-key participants get 3 % of pay with match and core counted (416(c)(2)): the tiered match on a
    # 3 % deferral is 3 % of pay and the core 1 %, so the NHCEs are owed nothing more; the HCEs at 12 %
    # get 4 % match + 1 % core, also above 3 %
    assert (snapshot.top_heavy_minimum == 0).all()
    employer = (snapshot.match_amount + snapshot.core_amount) / snapshot.plan_compensation
    assert (employer[~snapshot.is_key_employee] >= 0.03 - 1e-9).all()
    assert summary.top_heavy_result == "corrected" and summary.top_heavy_key_share == pytest.approx(0.65)


def test_top_heavy_minimum_tops_up_without_a_match(top_heavy_runs):
    """Without match and core, a top-heavy plan owes every non-key participant 3 % of pay."""
    tests, snapshot, summary = top_heavy_runs["no_employer"]
    non_key = snapshot[~snapshot.is_key_employee]
    assert (non_key.top_heavy_minimum == (0.03 * non_key.plan_compensation).round(2)).all()
    assert snapshot.loc["H00", "top_heavy_minimum"] == 0
    expected = round((0.03 * non_key.plan_compensation).round(2).sum(), 2)
    assert tests.loc["top_heavy", "corrective_amount"] == pytest.approx(expected)
    assert summary.top_heavy_minimum == pytest.approx(expected) == summary.corrective_contributions
    assert summary.net_employer_cost == pytest.approx(expected, abs=0.01)
    # the minimum is employer money in the accounts (the HCEs' ADP refunds leave them)
    posted = snapshot.employee_deferrals - snapshot.adp_refund + snapshot.top_heavy_minimum
    assert ((snapshot.account_contributions - posted).abs() < 0.005).all()


def test_key_employees_at_55_percent_is_not_top_heavy(tmp_path):
    tests, snapshot, summary = _top_heavy(tmp_path, 0.55, {"top_heavy": ""})["top_heavy"]
    assert tests.loc["top_heavy", "hce_average"] == pytest.approx(0.55)
    assert tests.loc["top_heavy", "result"] == "pass" and (snapshot.top_heavy_minimum == 0).all()
