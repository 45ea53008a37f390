"""Scenarios side by side, seed ensembles, compliance results across scenarios and seeds, and many runs in
parallel on one machine."""
from __future__ import annotations

import json
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pandas as pd
import pytest

from conftest import new_workdir, results_dir, snakemake

pytestmark = pytest.mark.slow

WORKFORCE_EVENTS = ("hire", "termination", "promotion", "raise")
WORKFORCE_COLUMNS = ["employee_id", "simulation_year", "employment_status", "detailed_status_code", "level_id",
                     "current_compensation", "prorated_compensation", "termination_date"]


def _run(workdir, scenarios, seeds, end=2027, size=600, extra=None, *args):
    config = {"census_size": size, "start_year": 2025, "end_year": end,
              "scenarios": "[" + ",".join(scenarios) + "]", "seeds": "[" + ",".join(map(str, seeds)) + "]",
              "reports": False}
    config.update(extra or {})
    return snakemake(workdir, *args, config=config)


def _parquet(run_dir, name, columns="*"):
    # the snapshot's employees: former employees' accounts (deferred_vested) follow the plan's money
    where = "where employment_status <> 'deferred_vested'" if name == "snapshot" else ""
    return duckdb.sql(f"select {columns} from read_parquet('{run_dir}/years/*/{name}.parquet') {where} "
                      "order by all").df()


@pytest.fixture(scope="module")
def two_scenarios(tmp_path_factory):
    workdir = new_workdir(tmp_path_factory.mktemp("scenarios"))
    result = _run(workdir, ["baseline", "richer_match"], [42], 2027, 1500, {"reports": True})
    return workdir, result


def test_scenarios_differing_in_match_share_the_workforce(two_scenarios):
    workdir, result = two_scenarios
    base, rich = results_dir(workdir) / "baseline" / "seed_42", results_dir(workdir) / "richer_match" / "seed_42"
    # built once: baseline builds each year's workforce, richer_match reads it (and says so)
    for year in (2025, 2026, 2027):
        assert json.loads((base / "years" / str(year) / "summary.json").read_text())["workforce_from"] is None
        assert json.loads((rich / "years" / str(year) / "summary.json").read_text())["workforce_from"] == "baseline"
        assert f"[richer_match seed 42] year {year}, workforce of baseline:" in result.stdout
        assert f"[baseline seed 42] year {year}:" in result.stdout
        for name in ("employees.parquet", "compensation_changes.parquet", "needs.parquet"):
            shared = (base / "years" / str(year) / "workforce" / name).read_bytes()
            assert shared == (rich / "years" / str(year) / "workforce" / name).read_bytes()
    columns = "employee_id, simulation_year, event_type, event_category, effective_date, compensation_after"
    for name, select in (("events", columns), ("snapshot", ", ".join(WORKFORCE_COLUMNS))):
        a = _parquet(base, name, select)
        b = _parquet(rich, name, select)
        if name == "events":
            a, b = a[a.event_type.isin(WORKFORCE_EVENTS)], b[b.event_type.isin(WORKFORCE_EVENTS)]
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    summary_a = pd.read_csv(base / "summary.csv")
    summary_b = pd.read_csv(rich / "summary.csv")
    assert (summary_b.employer_match > summary_a.employer_match).all()
    assert (summary_b.net_employer_cost != summary_a.net_employer_cost).all()
    assert (summary_a.end_headcount == summary_b.end_headcount).all()


def test_comparison_report_names_the_match_as_the_only_difference(two_scenarios):
    workdir, _ = two_scenarios
    out = results_dir(workdir) / "comparison" / "baseline_vs_richer_match" / "seed_42"
    html = (out / "comparison.html").read_text()
    tables = pd.read_csv(out / "comparison_tables.csv")
    assert {"employer_match", "net_employer_cost", "end_headcount"} <= set(tables.metric)
    match = tables[(tables.metric == "employer_match") & (tables.row == "variance")]
    assert (match.drop(columns=["metric", "row"]).astype(float) > 0).all(axis=None)
    headcount = tables[(tables.metric == "end_headcount") & (tables.row == "variance")]
    assert (headcount.drop(columns=["metric", "row"]).astype(float) == 0).all(axis=None)
    # the configuration differences listed are all match keys
    section = html[html.index("Configuration differences"):]
    section = section[:section.index("<h2", 10)]
    keys = set(re.findall(r"<td class=\"key\">([^<]+)</td>", section))
    assert keys and all(k.startswith("employer_match.") for k in keys), keys
    assert "employer_match.active_formula" in keys


def _projected_ratio(row, r=0.06, g=0.03, age=67, factor=15.0) -> float:
    """The DC replacement ratio (README, the model, item 18) worked from one snapshot row."""
    n = max(age - row.current_age, 0)
    employer_rate = row.employer_contributions / row.plan_compensation if row.plan_compensation else 0.0
    contribution = min(row.deferral_rate * row.current_compensation, row.deferral_limit) \
        + employer_rate * row.current_compensation
    balance = row.account_balance_eoy * (1 + r) ** n + contribution * (1 + g) * ((1 + r) ** n - (1 + g) ** n) / (r - g)
    return balance / factor / (row.current_compensation * (1 + g) ** n)


def test_a_richer_match_raises_readiness_as_the_hand_calculation_says(two_scenarios):
    workdir, _ = two_scenarios
    base, rich = (results_dir(workdir) / name / "seed_42" for name in ("baseline", "richer_match"))
    summary_a, summary_b = pd.read_csv(base / "summary.csv"), pd.read_csv(rich / "summary.csv")
    assert (summary_b.replacement_ratio_median > summary_a.replacement_ratio_median).all()
    assert (summary_b.total_plan_assets > summary_a.total_plan_assets).all()
    # one employee, by hand: a 6 % deferrer with 20 years to go gets 6 % of pay (100 % on 6 %) instead
    # of 4 % (100 % on 3 % and 50 % on the next 2 %)
    last = summary_a.simulation_year.max()
    a, b = (frame[(frame.simulation_year == last) & (frame.employment_status == "active")]
            for frame in (_parquet(base, "snapshot"), _parquet(rich, "snapshot")))
    both = a.merge(b, on="employee_id", suffixes=("_a", "_b"))
    chosen = both[(both.deferral_rate_a == 0.06) & (both.years_to_retirement_a >= 20) & (both.match_amount_a > 0)
                  & (both.current_compensation_a == both.current_compensation_b)].iloc[0]
    rows = {}
    for side, frame in (("a", a), ("b", b)):
        rows[side] = frame.set_index("employee_id").loc[chosen.employee_id]
        assert rows[side].dc_replacement_ratio == pytest.approx(_projected_ratio(rows[side]), abs=1e-6)
    assert rows["b"].match_amount == pytest.approx(1.5 * rows["a"].match_amount, abs=0.02)
    gain = _projected_ratio(rows["b"]) - _projected_ratio(rows["a"])
    assert gain > 0.03 and rows["b"].dc_replacement_ratio - rows["a"].dc_replacement_ratio == pytest.approx(gain, abs=2e-6)
    # and the comparison report carries the readiness figures
    tables = pd.read_csv(results_dir(workdir) / "comparison" / "baseline_vs_richer_match" / "seed_42"
                         / "comparison_tables.csv")
    variance = tables[(tables.metric == "replacement_ratio_median") & (tables.row == "variance")]
    assert len(variance) == 1 and (variance.drop(columns=["metric", "row"]).astype(float) > 0).all(axis=None)


def test_changing_the_baseline_reruns_only_the_comparison(two_scenarios):
    workdir, _ = two_scenarios
    config = {"baseline_scenario": "richer_match", "reports": True}
    dry = _run(workdir, ["baseline", "richer_match"], [42], 2027, 1500, config, "--dry-run")
    table = (dry.stdout + dry.stderr).split("Job stats:")[1].split("Reasons:")[0]
    jobs = set(re.findall(r"^(\w+)\s+\d+$", table, re.MULTILINE)) - {"total"}
    assert jobs == {"scenario_comparison", "all"}, table
    _run(workdir, ["baseline", "richer_match"], [42], 2027, 1500, config)
    out = results_dir(workdir) / "comparison" / "richer_match_vs_baseline" / "seed_42"
    tables = pd.read_csv(out / "comparison_tables.csv")
    match = tables[tables.metric == "employer_match"]
    assert match.row.iloc[0] == "richer_match"  # the first row of every table is the baseline
    variance = match[match.row == "variance"].drop(columns=["metric", "row"]).astype(float)
    assert (variance < 0).all(axis=None)  # baseline now has the richer match
    assert "vs richer_match" in (out / "comparison.html").read_text()


def test_changing_one_overlay_reruns_only_that_scenario(two_scenarios):
    workdir, _ = two_scenarios
    overlay = workdir / "config" / "scenarios" / "richer_match.yaml"
    overlay.write_text(overlay.read_text().replace("max_match_percentage: 0.06", "max_match_percentage: 0.05"))
    dry = _run(workdir, ["baseline", "richer_match"], [42], 2027, 1500, {"reports": True}, "--dry-run")
    output = dry.stdout + dry.stderr
    assert "richer_match/seed_42/simulation.duckdb" in output
    assert "baseline/seed_42/simulation.duckdb" not in output
    assert "wildcards: scenario=baseline" not in output


def test_snakemake_report_zip(two_scenarios, tmp_path):
    workdir, _ = two_scenarios
    # restore the overlay edited by the previous test so the report describes finished runs
    overlay = workdir / "config" / "scenarios" / "richer_match.yaml"
    overlay.write_text(overlay.read_text().replace("max_match_percentage: 0.05", "max_match_percentage: 0.06"))
    report = workdir / "report.zip"
    _run(workdir, ["baseline", "richer_match"], [42], 2027, 1500, {"reports": True}, "--report", str(report))
    with zipfile.ZipFile(report) as archive:
        names = archive.namelist()
    assert any(n.endswith("report.html") for n in names)
    assert any(n.endswith("comparison.html") for n in names)
    assert any(n.endswith("workbook.xlsx") for n in names)
    assert any(n.endswith("headcount.svg") for n in names)


def test_ensemble_labels_deterministic_and_varying_metrics(tmp_path):
    workdir = new_workdir(tmp_path)
    # stochastic returns: one market draw per (seed, year), so plan assets carry return risk
    (workdir / "config" / "scenarios" / "stochastic.yaml").write_text("investment_returns: {mode: stochastic}\n")
    _run(workdir, ["stochastic"], list(range(1, 11)), 2026, 400)
    ensemble = results_dir(workdir) / "stochastic" / "ensemble"
    table = pd.read_csv(ensemble / "ensemble_summary.csv")
    spread = pd.read_csv(ensemble / "ensemble_spread.csv").set_index("metric").spread
    for metric in ("end_headcount", "hires", "total_terminations"):
        assert spread[metric] == "deterministic", metric
        assert (table[table.metric == metric].sd == 0).all()
    assert (table[table.metric == "end_headcount"].n_seeds == 10).all()
    for metric in ("participation_rate", "net_employer_cost", "employer_match", "hires_level_1",
                   "terminations_tenure_< 2", "market_return", "investment_earnings", "total_plan_assets"):
        assert spread[metric] == "varies across seeds", metric
        rows = table[table.metric == metric]
        assert (rows.p10 <= rows.p50).all() and (rows.p50 <= rows.p90).all()
    returns = pd.concat(pd.read_csv(results_dir(workdir) / "stochastic" / f"seed_{seed}" / "summary.csv")
                        for seed in range(1, 11)).market_return
    assert returns.nunique() == 20 and -0.6 < returns.min() and returns.max() < 1.0
    assets = table[table.metric == "total_plan_assets"]
    assert (assets.p90 > assets.p10).all()
    assert (ensemble / "ensemble_bands.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summaries = {seed: pd.read_csv(results_dir(workdir) / "stochastic" / f"seed_{seed}" / "summary.csv")
                 for seed in range(1, 11)}
    _assert_fail_shares(table, summaries)


COMPLIANCE_TESTS = ("adp", "acp", "top_heavy", "coverage_410b_deferral", "coverage_410b_match", "coverage_410b_core")


def _assert_fail_shares(table: pd.DataFrame, summaries: dict[int, pd.DataFrame]) -> None:
    """Each test's <test>_fail_share of the ensemble table: every year, in [0, 1], the share of the seeds whose
    summary has the test failed (fail, or failed and corrected) that year."""
    years = sorted({int(y) for frame in summaries.values() for y in frame.simulation_year})
    for test in COMPLIANCE_TESTS:
        rows = table[table.metric == f"{test}_fail_share"].set_index("simulation_year")
        assert list(rows.index) == years, test
        assert ((rows["mean"] >= 0) & (rows["mean"] <= 1)).all() and (rows.n_seeds == len(summaries)).all(), test
        for year in years:
            results = [frame.set_index("simulation_year").at[year, f"{test}_result"] for frame in summaries.values()]
            assert rows.at[year, "mean"] == pytest.approx(
                sum(r in ("fail", "corrected") for r in results) / len(results)), (test, year)


# A still workforce (no exits, hires or raises; as tests/test_compliance.py) of 10 HCEs paid 180,000 deferring
# 12 % and 40 NHCEs paid 60,000 deferring 3 %: the ADP limit is 5 %, so the HCEs' 12 % fails and is corrected
# by refunds, unless a safe-harbor match makes ADP and ACP deemed to pass. The census gives no prior-year pay.
from test_compliance import SAFE_HARBOR, STILL  # noqa: E402


@pytest.fixture(scope="module")
def compliance_scenarios(tmp_path_factory):
    """still (the ADP corrected by refunds) and safe_harbor (ADP and ACP deemed to pass), seeds 1 and 2, 2025,
    reports on: run reports, the comparison of each seed and the ensemble of each scenario."""
    workdir = new_workdir(tmp_path_factory.mktemp("compliance_scenarios"))
    (workdir / "config" / "scenarios" / "still.yaml").write_text(STILL)
    (workdir / "config" / "scenarios" / "safe_harbor.yaml").write_text(STILL + SAFE_HARBOR)
    rows = ["employee_id,employee_birth_date,employee_hire_date,employee_gross_compensation,employee_deferral_rate"]
    rows += [f"H{i:02d},1985-06-01,2015-03-01,180000,0.12" for i in range(10)]
    rows += [f"N{i:02d},1985-06-01,2015-03-01,60000,0.03" for i in range(40)]
    census = workdir / "census.csv"
    census.write_text("\n".join(rows) + "\n")
    snakemake(workdir, config={"census": str(census), "start_year": 2025, "end_year": 2025,
                               "scenarios": "[still,safe_harbor]", "seeds": "[1,2]", "reports": True})
    return results_dir(workdir)


def _table_rows(page: str, table_id: str) -> list[tuple[str, list[str]]]:
    """(the row's class, its cells' text) of each body row of a report table."""
    import html

    body = re.search(rf'<table id="{table_id}".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [(klass, [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", cells)])
            for klass, cells in re.findall(r'<tr(?: class="([^"]*)")?>(.*?)</tr>', body)]


def test_run_reports_show_the_corrected_and_the_deemed_adp(compliance_scenarios):
    for scenario, adp, acp in (("still", "corrected", "pass"), ("safe_harbor", "deemed pass", "deemed pass")):
        run = compliance_scenarios / scenario / "seed_1"
        summary = pd.read_csv(run / "summary.csv").iloc[0]
        assert (summary.adp_result.replace("_", " "), summary.acp_result.replace("_", " ")) == (adp, acp)
        page = (run / "report" / "report.html").read_text()
        section = page[page.index("<h2>Compliance testing</h2>"):page.index("<h2>Assumptions</h2>")]
        results = {cells[0]: cells[1:] for _, cells in _table_rows(section, "compliance-results")}
        assert results["ADP test"] == [adp] and results["ACP test"] == [acp] and results["Top-heavy test"] == ["pass"]
        assert results["ADP HCE average"] == ["12.00%"] and results["ADP NHCE average"] == ["3.00%"]
        assert results["ADP limit"] == ["5.00%"] and results["ADP test margin"] == ["-7.00 pp"]
        notes = [cells for _, cells in _table_rows(section, "compliance-notes")]
        corrections = {cells[0]: cells[1:] for _, cells in _table_rows(section, "compliance-corrections")}
        if scenario == "still":
            # 7 % of 180,000 refunded to each of the 10 HCEs, the note from fct_compliance_tests
            assert notes == [["2025", "ADP test", "corrected", "$126,000", "refund"]]
            assert corrections["ADP refunds"] == ["$126,000"] and corrections["Corrective contributions"] == ["$0"]
        else:
            assert notes == [["2025", "ADP test", "deemed pass", "$0", "safe-harbor design: deemed to pass"],
                             ["2025", "ACP test", "deemed pass", "$0", "safe-harbor design: deemed to pass"]]
            assert corrections["ADP refunds"] == ["$0"]
        # no prior_year_compensation in the census: its annual rate stood in for 2024 pay
        assert ("the census gives no prior_year_compensation, so each employee&#x27;s census annual pay rate stands "
                "in for 2024 pay") in section


def test_comparison_flags_the_results_a_safe_harbor_match_flips(compliance_scenarios):
    out = compliance_scenarios / "comparison" / "still_vs_safe_harbor" / "seed_1"
    page = (out / "comparison.html").read_text()
    rows = _table_rows(page, "compliance-results")
    assert len(rows) == len(COMPLIANCE_TESTS)  # one year
    flips = {cells[1]: cells[2:4] for klass, cells in rows if klass == "flip"}
    assert flips == {"ADP test": ["corrected", "deemed pass"], "ACP test": ["pass", "deemed pass"]}
    assert all(cells[-1] == ("flip" if klass == "flip" else "") for klass, cells in rows)
    assert all(cells[2] == cells[3] for klass, cells in rows if klass != "flip")
    headline = re.search(r'<p class="headline" id="headline">(.*?)</p>', page, re.S).group(1)
    assert ("safe_harbor against still, compliance: ADP test corrected → deemed pass (2025); ACP test pass → "
            "deemed pass (2025).") in headline
    # the money of the corrections is compared like any other: the refunds are gone, nothing else is paid instead
    tables = pd.read_csv(out / "comparison_tables.csv").set_index(["metric", "row"])
    assert tables.at[("adp_refunds", "variance"), "period"] == pytest.approx(-126000.0)
    assert tables.at[("corrective_contributions", "variance"), "period"] == 0
    assert tables.at[("corrective_contributions", "still"), "2025"] == 0


def test_ensembles_write_the_share_of_seeds_failing_each_test(compliance_scenarios):
    for scenario, adp_share in (("still", 1.0), ("safe_harbor", 0.0)):
        table = pd.read_csv(compliance_scenarios / scenario / "ensemble" / "ensemble_summary.csv")
        summaries = {seed: pd.read_csv(compliance_scenarios / scenario / f"seed_{seed}" / "summary.csv")
                     for seed in (1, 2)}
        _assert_fail_shares(table, summaries)
        shares = table[table.metric.str.endswith("_fail_share")].set_index("metric")["mean"]
        assert shares["adp_fail_share"] == adp_share
        assert (shares.drop("adp_fail_share") == 0).all()


def test_eight_runs_in_parallel_equal_each_run_alone(tmp_path):
    """2 scenarios x 4 seeds x 2 years with --cores 2: no DuckDB lock error, the dbt builds of
    different runs ran side by side (each in its worker process), and runs' events, snapshots,
    states, workforce and summaries equal the same runs made on their own (three of the eight:
    each scenario, the first and last seed), though together richer_match reads baseline's
    workforce of each seed instead of building its own."""
    together = new_workdir(tmp_path / "together")
    result = _run(together, ["baseline", "richer_match"], [1, 2, 3, 4], 2026, 300)
    assert "lock" not in (result.stdout + result.stderr).lower()
    builds = [(path.parts[-5:-3], json.loads(path.read_text())["timing"])
              for path in results_dir(together).glob("*/seed_*/years/*/summary.json")]
    assert len(builds) == 16
    overlapping = [(a, b) for i, (a, ta) in enumerate(builds) for b, tb in builds[i + 1:]
                   if a != b and ta["dbt_started_at"] < tb["dbt_finished_at"] and tb["dbt_started_at"] < ta["dbt_finished_at"]]
    assert overlapping, "no two runs' year builds overlapped in time: dbt builds were serialised"
    # each scenario's foundation was built once, and its four seeds started from copies of it
    stats = result.stdout + result.stderr
    assert re.search(r"^build_foundation\s+2$", stats, re.M) and re.search(r"^foundation\s+8$", stats, re.M), stats
    for scenario in ("baseline", "richer_match"):
        built = (results_dir(together) / scenario / ".foundation" / "foundation.json").read_text()
        assert all((results_dir(together) / scenario / f"seed_{seed}" / "foundation.json").read_text() == built
                   for seed in (1, 2, 3, 4))
    runs = [("baseline", 1), ("richer_match", 4), ("richer_match", 2)]

    def run_alone(run):
        scenario, seed = run
        alone = new_workdir(tmp_path / f"alone_{scenario}_{seed}")
        _run(alone, [scenario], [seed], 2026, 300)
        return alone

    # separate Snakemake processes, two at a time (2 cores)
    with ThreadPoolExecutor(max_workers=2) as pool:
        alone_dirs = dict(zip(runs, pool.map(run_alone, runs)))
    for (scenario, seed), alone in alone_dirs.items():
        # together, richer_match reads baseline's workforce; alone, it builds its own
        shared = {json.loads(path.read_text())["workforce_from"]
                  for path in (results_dir(together) / scenario / f"seed_{seed}").glob("years/*/summary.json")}
        assert shared == ({"baseline"} if scenario == "richer_match" else {None})
        # equal up to the order in which DuckDB adds doubles (a merit budget, a year's totals)
        for name in ("events", "snapshot", "state", "workforce/employees", "workforce/compensation_changes"):
            a = _parquet(results_dir(together) / scenario / f"seed_{seed}", name)
            b = _parquet(results_dir(alone) / scenario / f"seed_{seed}", name)
            pd.testing.assert_frame_equal(a, b, rtol=1e-12)
        a, b = (pd.read_csv(results_dir(run) / scenario / f"seed_{seed}" / "summary.csv")
                for run in (together, alone))
        pd.testing.assert_frame_equal(a, b, rtol=1e-12)


def test_a_foundation_model_that_uses_the_seed_is_refused(tmp_path):
    """A scenario's seeds share its foundation, so a foundation model must not depend on the seed: the
    build runs with a seed no run uses and fails naming the model whose SQL holds it."""
    import datetime
    import shutil

    import census
    import foundation
    import generate_census
    import sim_io
    import simconfig
    from conftest import REPO

    project = tmp_path / "dbt"
    shutil.copytree(REPO / "dbt", project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "models" / "intermediate" / "foundation" / "int_seeded_draw.sql").write_text(
        "select {{ sim_random('draw', \"'E1'\", 2025) }} as draw\n")
    as_of = datetime.date(2024, 12, 31)
    raw, clean = tmp_path / "raw.parquet", tmp_path / "census.parquet"
    generate_census.write_census(generate_census.generate_census(200, 3, as_of), raw)
    census.prepare_census(raw, clean, tmp_path / "rejects.csv", as_of, 0.05)
    dbt_vars = simconfig.dbt_vars(simconfig.load(REPO / "config" / "simulation_config.yaml").model)
    with pytest.raises(foundation.FoundationUsesSeedError, match=r"model\.dc_plan_sim\.int_seeded_draw"):
        foundation.run_foundation(census_path=clean, duckdb_path=tmp_path / "simulation.duckdb",
                                  baseline_state_path=tmp_path / "baseline.parquet",
                                  report_path=tmp_path / "foundation.json", project_dir=project,
                                  target_path=tmp_path / "target", dbt_vars=dbt_vars, log=sim_io.JobLog(None))
