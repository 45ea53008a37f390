"""Reports of a run: charts, Excel workbook, HTML run report, scenario comparison; HTML opened in headless Chromium."""
from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import charts
import comparison
import html_report
import report_breakdowns
import report_plan_text
import runs
import simconfig
import summary_metrics
import workbook
from conftest import REPO, Run, new_workdir, simulate
from simconfig.segments import read_seed

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RUN_CHARTS = ("headcount", "pay", "participation", "employer_cost", "plan_assets", "readiness")
METADATA = {"config_hash": "abc123", "seed": 42, "years": "2025-2027", "census_file": "census.csv",
            "census_sha256": "f" * 64, "version_python": "3.11", "commit": "deadbeef<script>alert(1)</script>",
            "run_seconds": 12.5}


# Screen width of the browser test and the width of a printed A4 page (portrait, default margins) in CSS px.
SCREEN_WIDTH, PRINT_WIDTH = 1024, 700
WORKFORCE_METRICS = ("end_headcount", "hires", "retirements", "total_terminations", "total_compensation",
                     "average_compensation")


def shipped_config(overlay: dict | None = None) -> dict:
    """config/simulation_config.yaml (with an overlay) validated, every default filled in, as the job gets it."""
    raw = simconfig.deep_merge(simconfig.load_yaml(REPO / "config" / "simulation_config.yaml"), overlay or {})
    return simconfig.validate(raw).model.model_dump(mode="json")


@pytest.fixture(scope="session")
def report_run(tmp_path_factory) -> Run:
    """baseline and richer_match (config/scenarios/richer_match.yaml: only the match differs), reports on."""
    return simulate(new_workdir(tmp_path_factory.mktemp("reports")), size=1500, end=2027, reports=True,
                    extra={"scenarios": "[baseline,richer_match]"})


@pytest.fixture(scope="session")
def match_summaries(report_run: Run) -> dict[str, pd.DataFrame]:
    """The real summaries of the two scenarios of report_run."""
    scenarios = report_run.run_dir.parent.parent
    return {name: pd.read_csv(scenarios / name / f"seed_{report_run.seed}" / "summary.csv")
            for name in ("baseline", "richer_match")}


@pytest.fixture(scope="session")
def out_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("report_outputs")


@pytest.fixture(scope="session")
def run_charts(report_run: Run, out_dir: Path) -> list[Path]:
    return charts.make_run_charts(report_run.run_dir, out_dir / "charts")


@pytest.fixture(scope="session")
def summaries(report_run: Run) -> dict[str, pd.DataFrame]:
    """The real summary and a hand-made scenario with a richer match and slightly more people."""
    base = pd.read_csv(report_run.run_dir / "summary.csv")
    other = base.copy()
    other["scenario_id"] = "richer"
    other["end_headcount"] += [1, 2, 3]
    other["employer_match"] *= 1.25
    other["net_employer_cost"] = other["employer_match"] + other["employer_core"] - other["forfeitures"]
    other["participation_rate"] += 0.02
    return {"baseline": base, "richer": other}


@pytest.fixture(scope="session")
def run_report(report_run: Run, run_charts: list[Path], out_dir: Path) -> Path:
    # The shipped config, as the job gets it, with markup in a formula's name (shown escaped).
    config = shipped_config({"employer_match": {"formulas": {"tiered_match": {"name": "<b>not bold</b>"}}}})
    return html_report.write_run_report(report_run.run_dir, run_charts, METADATA, config,
                                        out_dir / "run_report.html")


@pytest.fixture(scope="session")
def match_comparison(match_summaries: dict[str, pd.DataFrame], out_dir: Path) -> tuple[Path, list[Path]]:
    """The comparison report of the real baseline and richer_match runs, and its charts."""
    overlay = charts.make_comparison_charts(match_summaries, out_dir / "match_comparison_charts")
    configs = {"baseline": shipped_config(),
               "richer_match": shipped_config(yaml.safe_load((REPO / "config" / "scenarios" /
                                                              "richer_match.yaml").read_text()))}
    differences = comparison.config_differences(configs, "baseline")
    path = comparison.write_comparison_report(match_summaries, "baseline", differences, overlay, METADATA,
                                              out_dir / "match_comparison.html")
    return path, overlay


@pytest.fixture(scope="session")
def comparison_report(summaries: dict[str, pd.DataFrame], out_dir: Path) -> Path:
    overlay = charts.make_comparison_charts(summaries, out_dir / "comparison_charts")
    differences = comparison.config_differences(
        {"baseline": {"employer_match": {"active_formula": "tiered_match"}},
         "richer": {"employer_match": {"active_formula": "rich_tiered"}}}, "baseline")
    return comparison.write_comparison_report(summaries, "baseline", differences, overlay, METADATA,
                                              out_dir / "comparison.html")


# --- charts -------------------------------------------------------------------------------------------


def test_run_charts_are_valid_png_and_svg(run_charts: list[Path]):
    assert sorted(p.name for p in run_charts) == sorted(f"{n}.{e}" for n in RUN_CHARTS for e in ("png", "svg"))
    for path in run_charts:
        data = path.read_bytes()
        if path.suffix == ".png":
            assert data.startswith(PNG_MAGIC), path
            assert b"Software" not in data[:2000], "PNG should carry no software stamp"
        else:
            root = ET.fromstring(data)
            assert root.tag == "{http://www.w3.org/2000/svg}svg", path
            assert b"<dc:date>" not in data, "SVG should carry no date"


def test_charts_are_deterministic(report_run: Run, run_charts: list[Path], tmp_path: Path):
    again = charts.make_run_charts(report_run.run_dir, tmp_path)
    for first, second in zip(run_charts, again):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_deferral_buckets_count_every_active_participant(report_run: Run):
    buckets = charts.deferral_buckets(report_run.run_dir)
    snapshots = report_run.snapshots()
    participants = snapshots[(snapshots.employment_status == "active")
                             & (snapshots.participation_status == "participating")]
    assert list(buckets.columns) == list(charts.DEFERRAL_BUCKETS)
    assert buckets.sum(axis=1).to_dict() == participants.groupby("simulation_year").size().to_dict()
    ten_plus = participants[participants.deferral_rate.round(6) >= 0.10].groupby("simulation_year").size()
    assert buckets["10%+"].to_dict() == ten_plus.reindex(buckets.index, fill_value=0).to_dict()


def test_comparison_charts_only_for_metrics_that_differ(summaries: dict[str, pd.DataFrame], tmp_path: Path):
    # The hand-made scenario changes headcount, match, net cost and participation; average pay is the same.
    paths = charts.make_comparison_charts(summaries, tmp_path)
    assert {p.name for p in paths} == {f"comparison_{m}.{e}" for m in
                                       ("end_headcount", "participation_rate", "net_employer_cost")
                                       for e in ("png", "svg")}
    assert "average_compensation" in summary_metrics.comparison_charts()
    assert all(p.read_bytes().startswith(PNG_MAGIC) for p in paths if p.suffix == ".png")
    # Nothing differs: no chart, and the (rule's output) directory exists all the same.
    same = {"a": summaries["baseline"], "b": summaries["baseline"].copy()}
    assert charts.make_comparison_charts(same, tmp_path / "none") == [] and (tmp_path / "none").is_dir()


def test_run_chart_axes_start_at_zero(report_run: Run):
    figures = charts.run_figures(report_run.run_dir)
    assert list(figures) == list(RUN_CHARTS)
    for name, figure in figures.items():
        for ax in figure.axes:
            low, high = ax.get_ylim()
            if name == "employer_cost":  # forfeitures are drawn below zero
                assert low < 0 < high, (name, low, high)
            else:
                assert low == 0 and high > 0, (name, ax.get_title(), low, high)
    top = figures["participation"].axes[0]
    assert top.get_ylim() == (0.0, 1.0)  # the participation rate on the full 0-100 % scale
    headcount = figures["headcount"].axes[0]
    assert headcount.get_ylim()[1] >= pd.read_csv(report_run.run_dir / "summary.csv")["end_headcount"].max()


def test_comparison_chart_axes_start_at_zero(summaries: dict[str, pd.DataFrame]):
    for metric in summary_metrics.comparison_charts():
        low, high = charts.comparison_figure(summaries, metric).axes[0].get_ylim()
        values = pd.concat([f[metric] for f in summaries.values()])
        assert low == 0 and high >= values.max(), (metric, low, high)


# --- workbook -----------------------------------------------------------------------------------------


def test_workbook_sheets(report_run: Run, tmp_path: Path):
    path = workbook.write_workbook(report_run.run_dir, METADATA, shipped_config(), tmp_path / "run.xlsx")
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    assert list(sheets) == ["Summary", "Breakdowns", "Balances and readiness", "Compliance", "Events by type",
                            "Assumptions", "Metadata"]

    # Readable headers: no snake_case anywhere.
    for name, frame in sheets.items():
        for header in map(str, frame.columns):
            assert not re.search(r"[a-z]_[a-z]", header), (name, header)

    # Summary: the labels as headers, value for value (floats at Excel's 16 significant digits).
    expected, got = pd.read_csv(report_run.run_dir / "summary.csv"), sheets["Summary"]
    assert list(got.columns) == [summary_metrics.label(c) for c in expected.columns] and len(got) == len(expected)
    assert "Participation rate" in got.columns and "Net employer cost" in got.columns
    for column in expected.columns:
        values = got[summary_metrics.label(column)]
        if pd.api.types.is_float_dtype(expected[column]):
            np.testing.assert_allclose(values.to_numpy(float), expected[column].to_numpy(float), rtol=1e-14)
        else:
            assert values.tolist() == expected[column].tolist(), column

    # Event counts against the Parquet files.
    events = sheets["Events by type"]
    years = [str(y) for y in report_run.years]
    events.columns = [str(c) for c in events.columns]
    assert list(events.columns) == ["Event type", "Event category", *years, "Total"]
    truth = report_run.events().groupby(["event_type", "event_category", "simulation_year"]).size()
    detail = events[events["Event category"] != workbook.ALL_CATEGORIES]
    got_detail = detail.melt(["Event type", "Event category"], years, "simulation_year", "n")
    got_detail = got_detail.astype({"simulation_year": int}).set_index(
        ["Event type", "Event category", "simulation_year"])["n"]
    assert got_detail[got_detail > 0].sort_index().to_dict() == truth.sort_index().to_dict()
    subtotal = events[events["Event category"] == workbook.ALL_CATEGORIES].set_index("Event type")
    by_type = report_run.events().groupby("event_type").size()
    assert subtotal["Total"].to_dict() == by_type.to_dict()
    assert int(detail["Total"].sum()) == len(report_run.events())

    # Breakdowns: every year and banding; each banding's actives add up to the year-end headcount.
    breakdowns = sheets["Breakdowns"]
    assert list(breakdowns.columns[:4]) == ["Year", "Breakdown", "Band", "Year-end actives"]
    totals = breakdowns.groupby(["Year", "Breakdown"])["Year-end actives"].sum()
    for year, headcount in zip(expected["simulation_year"], expected["end_headcount"]):
        assert totals.loc[year].tolist() == [headcount] * len(report_breakdowns.BANDINGS), year

    # Assumptions: config keys with value, unit and description; numbers stay numbers.
    assumptions = sheets["Assumptions"].set_index("Key")
    assert list(sheets["Assumptions"].columns) == ["Key", "Value", "Unit", "Description"]
    rate = assumptions.loc["enrollment.auto_enrollment.default_deferral_rate"]
    assert rate["Value"] == 0.06 and rate["Unit"] == "percent" and "auto-enrolled" in rate["Description"]
    assert assumptions.loc["vesting.match.years", "Unit"] == "years"

    # Metadata: the given keys, in order.
    assert sheets["Metadata"]["Key"].tolist() == list(METADATA)
    assert sheets["Metadata"].set_index("Key").loc["commit", "Value"] == METADATA["commit"]


def test_workbook_number_formats(report_run: Run, tmp_path: Path):
    from openpyxl import load_workbook

    path = workbook.write_workbook(report_run.run_dir, METADATA, shipped_config(), tmp_path / "run.xlsx")
    book = load_workbook(path)

    def formats(sheet: str, header: str) -> set[str]:
        rows = list(book[sheet].iter_rows())
        column = [c.value for c in rows[0]].index(header)
        return {row[column].number_format for row in rows[1:]}

    assert formats("Summary", "Participation rate") == {"0.00%"}
    assert formats("Summary", "Net employer cost") == {"$#,##0"}
    assert formats("Summary", "End headcount") == {"#,##0"}
    assert formats("Breakdowns", "Participation rate") == {"0.00%"}
    assert formats("Breakdowns", "Employer cost per participant") == {"$#,##0"}
    assert formats("Events by type", "Total") == {"#,##0"}
    keys = [c.value for c in next(book["Assumptions"].iter_cols(min_col=1, max_col=1))]
    row = keys.index("enrollment.auto_enrollment.default_deferral_rate") + 1
    assert book["Assumptions"].cell(row=row, column=2).number_format == "0.00%"
    assert all(cell.font.bold for cell in book["Summary"][1])


# --- plan design in words, breakdowns -------------------------------------------------------------------


def test_plan_design_sentence_of_the_shipped_config():
    assert report_plan_text.plan_design_sentence(shipped_config()) == (
        "Match: 100 % of the first 3 % and 50 % of the next 2 % (3-year cliff vesting); "
        "core: 1 % of pay (6-year graded vesting); auto-enrollment at 6 % for new hires; "
        "escalation 1 % a year to 10 %.")


def test_plan_design_sentence_of_other_formulas():
    safe_harbor = shipped_config({"employer_match": {"active_formula": "safe_harbor_basic"},
                                  "employer_core_contribution": {"enabled": False}})
    assert report_plan_text.plan_design_sentence(safe_harbor) == (
        "Match: safe harbor (basic), 100 % of the first 3 % and 50 % of the next 2 % (immediate vesting); "
        "no core contribution; auto-enrollment at 6 % for new hires; escalation 1 % a year to 10 %.")
    qaca = shipped_config({"employer_match": {"active_formula": "qaca_safe_harbor"}})
    assert report_plan_text.match_text(qaca) == "QACA safe harbor (basic), 100 % of the first 1 % and 50 % of the next 5 %"
    assert report_plan_text.match_vesting(qaca) == "2-year cliff vesting"
    capped = shipped_config(yaml.safe_load((REPO / "config" / "scenarios" / "dollar_capped_match.yaml").read_text()))
    assert report_plan_text.match_text(capped) == "50 % of the first 6 %, at most $2,000 a year"
    simple = shipped_config({"employer_match": {"active_formula": "simple_match"}})
    assert report_plan_text.match_text(simple) == "50 % of deferrals up to 6 % of pay"
    by_service = shipped_config({
        "employer_match": {"employer_match_status": "graded_by_service", "tenure_match_tiers": [
            {"min_years": 0, "max_years": 2, "match_rate": 0.25, "max_deferral_pct": 0.06},
            {"min_years": 2, "max_years": None, "match_rate": 0.5, "max_deferral_pct": 0.06}]},
        "employer_core_contribution": {"status": "age_banded", "age_schedule": [
            {"min_age": 0, "max_age": 30, "contribution_rate": 0.03},
            {"min_age": 30, "max_age": None, "contribution_rate": 0.06}]},
        "vesting": {"core": {"type": "immediate"}, "match": {"type": "graded", "schedule": [
            {"years": 0, "vested_pct": 0.0}, {"years": 1, "vested_pct": 0.5}, {"years": 2, "vested_pct": 1.0}]}},
        "enrollment": {"auto_enrollment": {"scope": "all_eligible_employees", "default_deferral_rate": 0.04}},
        "deferral_auto_escalation": {"enabled": False}})
    assert report_plan_text.plan_design_sentence(by_service) == (
        "Match: by years of service: 25 % of deferrals up to 6 % of pay under 2 years; 50 % of deferrals up to "
        "6 % of pay from 2 years (2-year graded vesting); core: by age: 3 % of pay under age 30; 6 % of pay from "
        "age 30 (immediate vesting); auto-enrollment at 4 % for all eligible employees; no automatic escalation.")
    nonelective = shipped_config({"employer_match": {"enabled": False},
                                  "employer_core_contribution": {"safe_harbor": True, "contribution_rate": 0.03},
                                  "vesting": {"core": {"type": "immediate"}},
                                  "enrollment": {"auto_enrollment": {"enabled": False}}})
    assert report_plan_text.plan_design_sentence(nonelective) == (
        "No employer match; core: safe-harbor nonelective, 3 % of pay (immediate vesting); no auto-enrollment; "
        "escalation 1 % a year to 10 %.")


def test_breakdowns_add_up_and_match_a_hand_count(report_run: Run):
    tables = report_breakdowns.breakdowns(report_run.run_dir)
    assert list(tables) == ["age", "tenure", "pay", "hce"]
    summary = pd.read_csv(report_run.run_dir / "summary.csv").set_index("simulation_year")
    snapshots = report_run.snapshots()
    actives = snapshots[snapshots.employment_status == "active"]
    for name, table in tables.items():
        by_year = table.groupby("simulation_year")
        # Every year-end active is in exactly one band; eligible and participating add up to the summary's.
        assert by_year["actives"].sum().to_dict() == summary["end_headcount"].to_dict(), name
        assert by_year["eligible"].sum().to_dict() == summary["eligible_actives"].to_dict(), name
        assert by_year["participants"].sum().to_dict() == summary["participating_eligible_actives"].to_dict(), name
        assert not table["band"].isna().any(), name
    seen = set(tables["age"]["band"])  # the seed's labels, in the seed's order
    assert tables["age"]["band"].unique().tolist() == [
        r["band_label"] for r in read_seed("config_age_bands") if r["band_label"] in seen]

    def hand(frame: pd.DataFrame) -> dict:
        eligible = frame[frame.is_plan_eligible]
        participating = eligible[eligible.participation_status == "participating"]
        cost = float((frame.match_amount.fillna(0) + frame.core_amount.fillna(0)).sum())
        return {"actives": len(frame), "participants": len(participating),
                "participation_rate": len(participating) / len(eligible),
                "employer_cost": cost, "cost_per_employee": cost / len(frame), "cost_per_participant":
                cost / len(participating)}

    last = report_run.years[-1]
    final = actives[actives.simulation_year == last]
    cases = {("age", "25-34"): final[(final.current_age >= 25) & (final.current_age < 35)],
             ("tenure", "< 2"): final[final.current_tenure < 2],
             ("hce", "HCE"): final[final.is_hce],
             ("pay", "Staff ($50k-$80k)"): final[final.level_id == 1]}
    for (banding, band), frame in cases.items():
        table = tables[banding]
        row = table[(table.simulation_year == last) & (table.band == band)].iloc[0]
        for column, value in hand(frame).items():
            assert row[column] == pytest.approx(value, rel=1e-12), (banding, band, column)


# --- comparison tables ---------------------------------------------------------------------------------


def test_baseline_against_itself_has_zero_variance(summaries: dict[str, pd.DataFrame]):
    base = summaries["baseline"]
    tables = comparison.compare_summaries({"baseline": base, "same": base.copy()}, "baseline")
    assert set(tables) == set(comparison.METRICS)
    for metric, table in tables.items():
        assert table.index.tolist() == ["baseline", "same", "variance", "variance %"]
        assert (table.loc["variance"] == 0).all(), metric
        pct = table.loc["variance %"]
        assert ((pct == 0) | pct.isna()).all(), metric


def test_variance_is_scenario_minus_baseline(summaries: dict[str, pd.DataFrame]):
    base, other = summaries["baseline"], summaries["richer"]
    tables = comparison.compare_summaries(summaries, "baseline")
    years = base["simulation_year"].tolist()
    for metric, table in tables.items():
        expected = other[metric].to_numpy(float) - base[metric].to_numpy(float)
        np.testing.assert_allclose(table.loc["variance", years].to_numpy(float), expected, atol=1e-9)
        np.testing.assert_allclose(table.loc["richer", years].to_numpy(float), other[metric].to_numpy(float))
        how = comparison.METRICS[metric]
        period = {"sum": expected.sum(), "mean": expected.mean(), "last": expected[-1]}[how]
        assert table.loc["variance", "period"] == pytest.approx(period, abs=1e-6), metric
    headcount = tables["end_headcount"]
    assert headcount.loc["variance", years].tolist() == [1, 2, 3]
    assert headcount.loc["baseline", "period"] == base["end_headcount"].iloc[-1]
    match = tables["employer_match"]
    np.testing.assert_allclose(match.loc["variance %", years].to_numpy(float), 25.0)


def test_variance_percent_is_blank_where_baseline_is_zero(tmp_path: Path):
    def frame(forfeitures: list[float]) -> pd.DataFrame:
        data = {metric: [1.0, 2.0] for metric in comparison.METRICS}
        return pd.DataFrame({**data, "simulation_year": [2025, 2026], "forfeitures": forfeitures})

    tables = comparison.compare_summaries({"b": frame([0.0, 100.0]), "s": frame([50.0, 150.0])}, "b")
    pct = tables["forfeitures"].loc["variance %"]
    assert np.isnan(pct[2025]) and pct[2026] == pytest.approx(50.0)
    path = comparison.write_comparison_tables(tables, tmp_path)
    stacked = pd.read_csv(path, keep_default_na=False, dtype=str)
    assert list(stacked.columns) == ["metric", "row", "2025", "2026", "period"]
    assert len(stacked) == 4 * len(comparison.METRICS)
    row = stacked[(stacked.metric == "forfeitures") & (stacked.row == "variance %")].iloc[0]
    assert row["2025"] == "" and float(row["2026"]) == pytest.approx(50.0)


def test_config_differences_finds_exactly_the_changed_keys():
    base = yaml.safe_load((REPO / "config" / "simulation_config.yaml").read_text())
    changed = copy.deepcopy(base)
    changed["simulation"]["target_growth_rate"] = 0.05
    changed["employer_match"]["active_formula"] = "rich_tiered"
    changed["employer_match"].setdefault("formulas", {})["rich_tiered"] = {"type": "tiered"}
    first_section = next(k for k, v in base.items() if isinstance(v, dict) and v and k != "simulation")
    first_key = next(iter(base[first_section]))
    del changed[first_section][first_key]
    rows = comparison.config_differences({"baseline": base, "richer": changed, "same": copy.deepcopy(base)},
                                         "baseline")
    removed = {k for k in simconfig.flatten(base) if k.startswith(f"{first_section}.{first_key}")}
    assert {r["key"] for r in rows} == {"simulation.target_growth_rate", "employer_match.active_formula",
                                       "employer_match.formulas.rich_tiered.type"} | removed
    assert {r["scenario"] for r in rows} == {"richer"}
    growth = next(r for r in rows if r["key"] == "simulation.target_growth_rate")
    assert growth["baseline_value"] == base["simulation"]["target_growth_rate"] and growth["scenario_value"] == 0.05
    new = next(r for r in rows if r["key"] == "employer_match.formulas.rich_tiered.type")
    assert new["baseline_value"] == comparison.NOT_SET


# --- HTML ----------------------------------------------------------------------------------------------


def test_run_report_content(report_run: Run, run_report: Path):
    page = run_report.read_text()
    assert "scenario baseline, seed 42" in page
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;not bold&lt;/b&gt;" in page
    assert page.count('src="data:image/svg+xml;base64,') == len(RUN_CHARTS)
    assert "http://" not in page and "https://" not in page
    gates = len(json.loads(report_run.year_file(2025, "summary.json").read_text())["quality_gates"])
    assert f"all {gates} pass" in page
    assert "Rows rejected" in page and "not active at the as-of date" in page
    # The plan design in words, and the headline with the first and last year's figures.
    assert ("Match: 100 % of the first 3 % and 50 % of the next 2 % (3-year cliff vesting)") in page
    summary = pd.read_csv(report_run.run_dir / "summary.csv")
    first, last = summary.iloc[0], summary.iloc[-1]
    headline = re.search(r'<p class="headline" id="headline">(.*?)</p>', page).group(1)
    assert headline.startswith(f"From {report_run.years[0]} to {report_run.years[-1]}, end headcount ")
    assert f"from {first.end_headcount:,} to {last.end_headcount:,}" in headline
    assert f"from {first.participation_rate:.2%} to {last.participation_rate:.2%}" in headline
    assert "net employer cost" in headline and "employer cost / payroll" in headline
    # Assumptions by config key with units, not raw decimals.
    assert "enrollment.auto_enrollment.default_deferral_rate</td><td class=\"wrap\">6 %</td>" in page
    assert "vesting.match.years</td><td class=\"wrap\">3 years</td>" in page


def test_per_head_costs(report_run: Run):
    summary = html_report.with_per_head(pd.read_csv(report_run.run_dir / "summary.csv"))
    row = summary.iloc[-1]
    assert row.cost_per_participant == pytest.approx(row.net_employer_cost / row.participating_eligible_actives)
    assert row.cost_per_employee == pytest.approx(row.net_employer_cost / row.end_headcount)


def test_key_figures_split_long_runs():
    years = list(range(2025, 2040))  # 15 years: three tables of at most six years
    frame = pd.DataFrame({"simulation_year": years, "end_headcount": range(100, 115)})
    html = html_report.transposed_tables(frame, ["end_headcount"], "t")
    assert html.count("<table") == 3 and 'id="t"' in html and 'id="t-2"' in html and 'id="t-3"' in html
    assert "<th class=\"num\">2030</th></tr>" in html and "<th class=\"num\">2031</th>" in html


def test_comparison_of_a_match_change_leaves_the_workforce_unchanged(match_summaries, match_comparison):
    path, overlay = match_comparison
    changed, unchanged = comparison.changed_metrics(match_summaries)
    assert set(WORKFORCE_METRICS) <= set(unchanged)
    assert {"net_employer_cost", "employer_match"} <= set(changed)
    # Charts only for what differs: none for headcount or pay.
    drawn = {p.stem for p in overlay if p.suffix == ".svg"}
    assert drawn == {f"comparison_{m}" for m in summary_metrics.comparison_charts() if m in changed}
    assert "comparison_net_employer_cost" in drawn
    assert not drawn & {"comparison_end_headcount", "comparison_average_compensation"}
    # A richer match puts more money in the accounts: plan assets and readiness are compared and drawn.
    assert {"total_plan_assets", "replacement_ratio_median"} <= set(changed)
    assert {"comparison_total_plan_assets", "comparison_replacement_ratio_median"} <= drawn
    page = path.read_text()
    headline = re.search(r'<p class="headline" id="headline">(.*?)</p>', page, re.S).group(1)
    assert headline.startswith("richer_match against baseline over 2025-2027: ")
    assert "net employer cost" in headline
    assert "Unchanged: end headcount, hires, retirements, terminations, total pay, average pay" in headline
    for metric in WORKFORCE_METRICS:
        assert f'id="metric-{metric}"' not in page, metric
    assert 'id="metric-net_employer_cost"' in page


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's Chromium with `apt-get install -y chromium` (as root)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield instance
        instance.close()


# Tables wider than their container (the page's column, or the scroll box around each table).
OVERFLOWING_TABLES = """() => [...document.querySelectorAll('table')].map(t => {
    const box = t.parentElement, body = document.body.getBoundingClientRect(), r = t.getBoundingClientRect();
    return {id: t.id, width: r.width, box: box.clientWidth, scroll: box.scrollWidth, right: r.right,
            page: body.right};
}).filter(t => t.scroll > t.box || t.width > t.box + 0.5 || t.right > t.page + 0.5)"""


def open_offline(browser, path: Path) -> dict:
    """Load a report from file:// at 1,024 px and return console messages, non-file/data requests, element boxes,
    row counts, and the tables that overflow on screen and in print."""
    page = browser.new_page(viewport={"width": SCREEN_WIDTH, "height": 900})
    console: list[str] = []
    external: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else external.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    boxes = page.eval_on_selector_all(
        "svg, img", """els => els.map(e => { const r = e.getBoundingClientRect();
            return {tag: e.tagName, width: r.width, height: r.height,
                    natural: e.tagName === 'IMG' ? e.naturalWidth : 1}; })""")
    rows = page.eval_on_selector_all("table[id]", "ts => Object.fromEntries(ts.map(t => "
                                                  "[t.id, t.tBodies[0].rows.length]))")
    tables = page.evaluate("() => document.querySelectorAll('table').length")
    overflow = page.evaluate(OVERFLOWING_TABLES)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": PRINT_WIDTH, "height": 900})
    print_overflow = page.evaluate(OVERFLOWING_TABLES)
    page.close()
    return {"errors": console, "external": external, "boxes": boxes, "rows": rows, "tables": tables,
            "overflow": overflow, "print_overflow": print_overflow}


def test_run_report_renders_offline_in_chromium(browser, report_run: Run, run_report: Path):
    seen = open_offline(browser, run_report)
    assert seen["errors"] == []
    assert seen["external"] == []
    assert seen["tables"] > 20  # key figures, breakdowns, assumptions by section, data quality, metadata
    assert seen["overflow"] == [], "tables wider than the page at 1,024 px"
    assert seen["print_overflow"] == [], "tables wider than a printed page"
    assert len(seen["boxes"]) == len(RUN_CHARTS)
    for box in seen["boxes"]:
        assert box["width"] > 0 and box["height"] > 0 and box["natural"] > 0, box
    # Key figures: a row per metric, a column per year.
    assert seen["rows"]["summary-workforce"] == len(summary_metrics.group("workforce")) - 1  # not the year
    assert seen["rows"]["summary-plan"] == len(summary_metrics.group("plan")) - 1 + len(html_report.PER_HEAD)
    assert seen["rows"]["breakdown-age"] == report_breakdowns.breakdowns(report_run.run_dir)["age"].query(
        f"simulation_year == {report_run.years[-1]}").shape[0]
    assert seen["rows"]["breakdown-hce"] == 2
    assert seen["rows"]["summary-accounts"] == len(set(summary_metrics.group("accounts"))
                                                   - set(html_report.FORFEITURE_USE))
    assert seen["rows"]["summary-readiness"] == len(summary_metrics.group("readiness"))
    assert seen["rows"]["readiness-pay"] == report_breakdowns.readiness_breakdowns(report_run.run_dir)["pay"].query(
        f"simulation_year == {report_run.years[-1]}").shape[0]
    assert seen["rows"]["quality-gates"] == len(report_run.years)
    assert seen["rows"]["run-metadata"] == len(METADATA)


def test_comparison_report_renders_offline_in_chromium(browser, comparison_report: Path):
    seen = open_offline(browser, comparison_report)
    assert seen["errors"] == []
    assert seen["external"] == []
    assert seen["overflow"] == [] and seen["print_overflow"] == []
    changed = ("end_headcount", "participation_rate", "employer_match", "net_employer_cost")
    assert len(seen["boxes"]) == len([m for m in changed if m in summary_metrics.comparison_charts()])
    for box in seen["boxes"]:
        assert box["width"] > 0 and box["height"] > 0 and box["natural"] > 0, box
    for metric in comparison.METRICS:
        if metric in changed:
            assert seen["rows"][f"metric-{metric}"] == 4  # baseline, richer, variance, variance %
        else:
            assert f"metric-{metric}" not in seen["rows"], metric
    assert seen["rows"]["unchanged-metrics"] == len(comparison.METRICS) - len(changed)
    assert seen["rows"]["config-differences"] == 1


def test_match_comparison_renders_in_chromium(browser, match_comparison, match_summaries):
    path, overlay = match_comparison
    seen = open_offline(browser, path)
    assert seen["errors"] == [] and seen["external"] == []
    assert seen["overflow"] == [] and seen["print_overflow"] == []
    assert len(seen["boxes"]) == len([p for p in overlay if p.suffix == ".svg"])
    _, unchanged = comparison.changed_metrics(match_summaries)
    assert seen["rows"]["unchanged-metrics"] == len(unchanged)


def test_workflow_writes_the_comparison_of_the_match_scenario(report_run: Run):
    # The comparison written by the workflow itself (the job calls the same functions).
    pages = list(report_run.run_dir.parent.parent.rglob("comparison.html"))
    assert len(pages) == 1, pages
    charts_dir = pages[0].parent / "charts"
    drawn = {p.stem for p in charts_dir.glob("*.svg")}
    assert "comparison_net_employer_cost" in drawn
    assert not drawn & {"comparison_end_headcount", "comparison_average_compensation"}


def test_overflow_check_finds_a_table_too_wide(browser, tmp_path: Path):
    # The probe of the browser tests is not blind: 30 columns of money do not fit 1,024 px.
    headers = [f"Column {i}" for i in range(30)]
    wide = html_report.html_table(headers, [["$1,234,567,890"] * 30], numeric=set(range(30)), table_id="wide")
    path = tmp_path / "wide.html"
    path.write_text(html_report.html_page("Wide", "a table too wide", [("Wide", wide)]))
    seen = open_offline(browser, path)
    assert [t["id"] for t in seen["overflow"]] == ["wide"]
    assert seen["errors"] == []


def test_long_runs_fit_the_page(browser, summaries: dict[str, pd.DataFrame], tmp_path: Path):
    # Twelve years (the 3-year summaries repeated): the key figures and the comparison split their years.
    def long(frame: pd.DataFrame) -> pd.DataFrame:
        frame = pd.concat([frame] * 4, ignore_index=True)
        return frame.assign(simulation_year=range(2025, 2025 + len(frame)))

    twelve = {name: long(frame) for name, frame in summaries.items()}
    path = comparison.write_comparison_report(twelve, "baseline", [], [], METADATA, tmp_path / "long.html")
    key_figures = tmp_path / "key_figures.html"
    key_figures.write_text(html_report.html_page("Key figures", "12 years", [
        ("Key figures", html_report.key_figures(twelve["baseline"]))]))
    for page in (path, key_figures):
        seen = open_offline(browser, page)
        assert seen["overflow"] == [] and seen["print_overflow"] == [], page.name
        assert seen["errors"] == []
    seen = open_offline(browser, path)
    assert seen["rows"]["metric-net_employer_cost"] == 4 and seen["rows"]["metric-net_employer_cost-3"] == 4
    assert "metric-net_employer_cost-4" not in seen["rows"]  # 12 years + period: 6 + 6 + 1 columns


# ---------------------------------------------------------------- hostile input, end to end

HOSTILE = "<script>window.__ran = 1</script>\"onerror=\"window.__ran = 2"


@pytest.fixture(scope="session")
def hostile_run(tmp_path_factory) -> Run:
    """A census whose ids and an extra header carry markup (one id spans two lines), written with a
    byte-order mark and CRLF line ends, Excel serial birth dates on some rows, in a directory, file
    and config path with spaces, quotes and non-ASCII letters; one year with reports, whose quality
    gates (the year's dbt tests) must pass."""
    work = new_workdir(tmp_path_factory.mktemp("hostile") / "wörk dir's \"q\"")
    census_path = work / "census for 'Ünïcode' \"plan\".csv"
    headers = ["Employee ID", "Date of Birth", "Hire Date", "Annual Salary", HOSTILE]
    lines = [",".join('"' + h.replace('"', '""') + '"' for h in headers)]
    for i in range(200):
        employee = f"{HOSTILE} {i}" if i % 10 == 0 else "E\n" + str(i) if i == 7 else f"E{i:04d}"
        birth = str(25_000 + 37 * i) if i % 3 == 0 else f"{1 + i % 12:02d}/{1 + i % 28:02d}/{1965 + i % 35}"
        lines.append(",".join('"' + v.replace('"', '""') + '"' for v in
                              [employee, birth, "03/01/2012", f"${50_000 + 313 * i:,}.00",
                               "<img src=x onerror=alert(1)>"]))
    census_path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    config = work / "config" / "my config's ü.yaml"
    config.write_text((work / "config" / "simulation_config.yaml").read_text())
    return simulate(work, size=200, end=2025, reports=True,
                    extra={"census": str(census_path), "simulation_config": str(config)})


def test_paths_with_spaces_quotes_and_non_ascii_work_end_to_end(hostile_run: Run):
    assert (hostile_run.run_dir / "report" / "report.html").exists()
    events = hostile_run.events()
    assert events.employee_id.str.startswith(HOSTILE).sum() > 0  # ids kept as given, in the data
    report = json.loads((runs.census_dir(hostile_run.run_dir) / "census_report.json").read_text())
    assert report["rows_rejected"] == 0 and HOSTILE in report["ignored_columns"]
    assert report["column_sources"]["employee_id"] == "Employee ID"  # the byte-order mark is not in the header
    assert (events.employee_id == "E\n7").any()
    summary = json.loads(hostile_run.year_file(2025, "summary.json").read_text())
    assert summary["quality_gates"] and all(g["status"] == "pass" for g in summary["quality_gates"])


def test_markup_from_the_census_is_text_in_the_report_and_workbook(browser, hostile_run: Run):
    html = hostile_run.run_dir / "report" / "report.html"
    assert "<script>window.__ran" not in html.read_text()  # escaped in the file
    page = browser.new_page(viewport={"width": SCREEN_WIDTH, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(html.as_uri(), wait_until="load")
    assert page.evaluate("window.__ran") is None  # no script ran
    assert HOSTILE in page.inner_text("body")       # shown as text
    assert page.eval_on_selector_all("img[onerror], [onerror]", "els => els.length") == 0
    page.close()
    assert problems == []
    metadata = pd.read_excel(hostile_run.run_dir / "report" / "workbook.xlsx", sheet_name="Metadata")
    assert metadata.Value.astype(str).str.contains("census for 'Ünïcode' \"plan\".csv", regex=False).any()


def test_workbook_text_is_never_a_formula(report_run: Run, tmp_path: Path):
    import openpyxl

    config = simconfig.validate({}).model.model_dump(mode="json")
    path = workbook.write_workbook(report_run.run_dir, {**METADATA, "census_file": "=HYPERLINK(\"http://x\")"},
                                   config, tmp_path / "w.xlsx")
    sheet = openpyxl.load_workbook(path)["Metadata"]
    cells = [c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=HYPERLINK")]
    assert cells and all(c.data_type == "s" for c in cells)


def test_config_differences_are_shown_in_their_units():
    rows = [{"key": "employer_match.formulas.rich.max_match_percentage", "baseline_value": 0.04,
             "scenario": "rich", "scenario_value": 0.06},
            {"key": "employer_match.formulas.rich.tiers", "baseline_value": comparison.NOT_SET, "scenario": "rich",
             "scenario_value": [{"employee_min": 0.0, "employee_max": 0.06, "match_rate": 1.0}]}]
    html = comparison.differences_html(rows)
    assert ">4 %</td>" in html and ">6 %</td>" in html
    assert "employee_min 0 %, employee_max 6 %, match_rate 100 %" in html
    assert "[{" not in html and "{&quot;" not in html  # no JSON


# --- balances and retirement readiness ----------------------------------------------------------------

BALANCE_SOURCES = ("balance_pre_tax", "balance_roth", "balance_after_tax", "balance_match", "balance_core",
                   "balance_rollover", "loan_balance")


def table_cells(page: str, table_id: str) -> dict[str, list[str]]:
    """The body rows of a report table by their first cell: {label: [the other cells' text]}."""
    import html as html_lib

    table = re.search(rf'<table id="{re.escape(table_id)}".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    rows = [[html_lib.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table)]
    return {row[0]: row[1:] for row in rows}


def copy_run(run_dir: Path, to: Path, balance_columns: list[str] | None = None, old: bool = False) -> Path:
    """The summary, snapshots and census report of a run in another run directory, `to`; returns its
    scenario and seed directory. balance_columns replaces the census report's; old: without the account
    and readiness columns (a run from before balances)."""
    census, to = runs.census_dir(run_dir), to / run_dir.parent.name / run_dir.name
    summary = pd.read_csv(run_dir / "summary.csv")
    account_columns = [*summary_metrics.group("accounts"), *summary_metrics.group("readiness"),
                       *html_report.ACCOUNT_DETAIL, *html_report.FORFEITURE_USE]
    to.mkdir(parents=True)
    runs.census_dir(to).mkdir()
    report = json.loads((census / "census_report.json").read_text())
    if balance_columns is not None:
        report["balance_columns"] = balance_columns
    if old:
        report.pop("balance_columns", None)
        summary = summary.drop(columns=[c for c in account_columns if c in summary.columns and c != "forfeitures"])
    (runs.census_dir(to) / "census_report.json").write_text(json.dumps(report))
    summary.to_csv(to / "summary.csv", index=False)
    for path in sorted(run_dir.glob("years/*/snapshot.parquet")):
        snapshot = pd.read_parquet(path)
        if old:  # employees only, and none of the account columns
            first = list(snapshot.columns).index("account_status")
            snapshot = snapshot[snapshot.employment_status != "deferred_vested"].iloc[:, :first]
        (to / "years" / path.parent.name).mkdir(parents=True)
        snapshot.to_parquet(to / "years" / path.parent.name / "snapshot.parquet")
    return to


def last_year_actives(report_run: Run) -> pd.DataFrame:
    snapshots = report_run.snapshots()
    return snapshots[(snapshots.simulation_year == report_run.years[-1]) & (snapshots.employment_status == "active")]


def test_balances_section_shows_the_summary_values(report_run: Run, run_report: Path):
    page = run_report.read_text()
    assert page.index("<h2>Charts</h2>") < page.index("<h2>Balances and retirement readiness</h2>") \
        < page.index("<h2>By age, tenure, pay and HCE status</h2>")
    census = json.loads((runs.census_dir(report_run.run_dir) / "census_report.json").read_text())
    assert census["balance_columns"]  # the generated census gives balances
    assert f"Opening balances come from the census columns {', '.join(census['balance_columns'])}." in page
    summary = pd.read_csv(report_run.run_dir / "summary.csv").set_index("simulation_year")
    tables = {"summary-accounts": [c for c in summary_metrics.group("accounts")
                                   if c not in html_report.FORFEITURE_USE],
              "summary-forfeitures": list(html_report.FORFEITURE_USE),
              "summary-payouts": list(html_report.ACCOUNT_DETAIL),
              "summary-readiness": list(summary_metrics.group("readiness"))}
    for table_id, columns in tables.items():
        cells = table_cells(page, table_id)
        assert list(cells) == [summary_metrics.label(c) for c in columns], table_id
        for column in columns:
            expected = [html_report.format_value(summary_metrics.unit(column), summary.at[y, column])
                        for y in report_run.years]
            assert cells[summary_metrics.label(column)] == expected, column
    # The shipped config uses forfeitures for employer contributions, in the year they arise.
    used = summary["forfeitures_used_for_contributions"].sum()
    assert used == pytest.approx(summary["forfeitures"].sum()) and used > 0
    assert (f"used for employer contributions {html_report.short_money(used)}, for plan expenses $0" in page)
    assert "(forfeitures: use reduce_employer_contributions, timing same_year)" in page
    assert {"chart-plan_assets", "chart-readiness"} <= set(re.findall(r'<figure id="(chart-[a-z_]+)"', page))
    section = page[page.index("<h2>Balances and retirement readiness</h2>"):page.index("<h2>By age, tenure")]
    assert section.count("<figure") == 2  # the balance charts are here, not under Charts


def test_census_without_balances_says_so(report_run: Run, tmp_path: Path):
    run = copy_run(report_run.run_dir, tmp_path / "run", balance_columns=[])
    page = html_report.render_run_report(run, [], METADATA, shipped_config())
    assert (f"The census gives no account balances: every account starts at zero in {report_run.years[0]}."
            in page)
    assert "Opening balances come from" not in page and "no account balances" in page
    given = copy_run(report_run.run_dir, tmp_path / "given", balance_columns=["balance_pre_tax", "loan_balance"])
    page = html_report.render_run_report(given, [], METADATA, shipped_config())
    assert "Opening balances come from the census columns balance_pre_tax, loan_balance." in page
    assert "no account balances" not in page


def test_plan_assets_chart_stacks_every_account(report_run: Run, run_charts: list[Path]):
    png = next(p for p in run_charts if p.name == "plan_assets.png")
    assert png.read_bytes().startswith(PNG_MAGIC)
    readiness = next(p for p in run_charts if p.name == "readiness.png")
    assert readiness.read_bytes().startswith(PNG_MAGIC)
    # Sums over every row of the snapshot: employees and former employees with a deferred vested balance.
    every = report_run.snapshots(with_former=True)
    assert (every.employment_status == "deferred_vested").any()
    expected = every.groupby("simulation_year")[list(BALANCE_SOURCES)].sum()
    sources = charts.plan_asset_sources(report_run.run_dir)
    assert list(sources.columns) == list(BALANCE_SOURCES)
    np.testing.assert_allclose(sources.to_numpy(), expected.to_numpy(), rtol=1e-9)
    summary = pd.read_csv(report_run.run_dir / "summary.csv").set_index("simulation_year")
    np.testing.assert_allclose(sources.sum(axis=1), summary["total_plan_assets"], rtol=1e-9)
    # The drawn bars: one per source and year, stacked to the year's total plan assets.
    top, bottom = charts.run_figures(report_run.run_dir)["plan_assets"].axes
    heights = np.array([bar.get_height() for bar in top.patches]).reshape(len(BALANCE_SOURCES), -1)
    np.testing.assert_allclose(heights.sum(axis=0), summary["total_plan_assets"], rtol=1e-9)
    lines = {line.get_label(): line.get_ydata() for line in bottom.get_lines() if not line.get_label().startswith("_")}
    assert list(lines) == ["Investment earnings", "Distributions", "Leakage"]
    np.testing.assert_allclose(lines["Leakage"], summary["leakage"])


def test_readiness_chart_marks_the_target(report_run: Run):
    ratios = last_year_actives(report_run)["total_replacement_ratio"].dropna()
    config = shipped_config({"retirement_readiness": {"target_replacement_ratio": 0.6}})
    ax = charts.run_figures(report_run.run_dir, config)["readiness"].axes[0]
    assert sum(bar.get_height() for bar in ax.patches) == len(ratios)  # every active with a projection
    target = [line for line in ax.get_lines() if line.get_label().startswith("Target 60%")]
    assert len(target) == 1 and list(target[0].get_xdata()) == [0.6, 0.6]
    assert f"({(ratios >= 0.6).mean():.1%} at or above)" in target[0].get_label()
    assert ax.get_ylim()[0] == 0 and ax.get_xlim()[0] == 0


def test_readiness_by_band_matches_the_snapshot(report_run: Run, run_report: Path):
    actives = last_year_actives(report_run).copy()
    ages = read_seed("config_age_bands")
    actives["age_band"] = pd.cut(actives.current_age, [float(r["min_value"]) for r in ages]
                                 + [float(ages[-1]["max_value"])], right=False,
                                 labels=[r["band_label"] for r in ages]).astype(str)
    levels = {int(r["level_id"]): r["level_name"] for r in read_seed("config_job_levels")}
    actives["pay_band"] = actives.level_id.map(levels)
    tables = report_breakdowns.readiness_breakdowns(report_run.run_dir, 0.70)
    assert list(tables) == ["age", "pay"]
    page = run_report.read_text()
    for banding, column in (("age", "age_band"), ("pay", "pay_band")):
        table = tables[banding]
        table = table[table.simulation_year == report_run.years[-1]]
        grouped = actives.groupby(column)
        expected = pd.DataFrame({
            "actives": grouped.size(), "median_total_replacement_ratio": grouped.total_replacement_ratio.median(),
            "median_dc_replacement_ratio": grouped.dc_replacement_ratio.median(),
            "share_on_track": grouped.total_replacement_ratio.apply(lambda r: (r.dropna() >= 0.70).mean())})
        got = table.assign(key=table.band.str.split(" (", regex=False).str[0]).set_index("key")
        assert sorted(got.index) == sorted(expected.index), banding
        for name in report_breakdowns.READINESS_COLUMNS:
            np.testing.assert_allclose(got.loc[expected.index, name].to_numpy(float),
                                       expected[name].to_numpy(float), rtol=1e-12, err_msg=f"{banding} {name}")
        assert got["actives"].sum() == len(actives)
        # The report shows the same numbers.
        cells = table_cells(page, f"readiness-{banding}")
        for row in table.to_dict("records"):
            assert cells[row["band"]] == [html_report.format_value(unit, row[c]) for c, (_, unit)
                                          in report_breakdowns.READINESS_COLUMNS.items()], (banding, row["band"])
    # The summary's figures come from the same snapshot: its median and share on track.
    last = pd.read_csv(report_run.run_dir / "summary.csv").iloc[-1]
    assert last.replacement_ratio_median == pytest.approx(actives.total_replacement_ratio.median(), abs=1e-6)
    assert last.share_on_track == pytest.approx((actives.total_replacement_ratio.dropna() >= 0.70).mean(), abs=1e-6)


def test_workbook_has_readiness_by_band(report_run: Run, tmp_path: Path):
    from openpyxl import load_workbook

    path = workbook.write_workbook(report_run.run_dir, METADATA, shipped_config(), tmp_path / "run.xlsx")
    sheet = pd.read_excel(path, sheet_name="Balances and readiness", engine="openpyxl")
    assert list(sheet.columns) == ["Year", "Breakdown", "Band",
                                   *(label for label, _ in report_breakdowns.READINESS_COLUMNS.values())]
    tables = report_breakdowns.readiness_breakdowns(report_run.run_dir, 0.70)
    assert len(sheet) == sum(len(t) for t in tables.values()) and set(sheet["Year"]) == set(report_run.years)
    summary = pd.read_csv(report_run.run_dir / "summary.csv").set_index("simulation_year")
    for (year, _), group in sheet.groupby(["Year", "Breakdown"]):
        assert group["Year-end actives"].sum() == summary.at[year, "end_headcount"]  # employees only
    age = sheet[sheet["Breakdown"] == report_breakdowns.title("age")].reset_index(drop=True)
    np.testing.assert_allclose(age["Median replacement ratio"], tables["age"]["median_total_replacement_ratio"])
    book = load_workbook(path)["Balances and readiness"]
    assert {row[4].number_format for row in book.iter_rows(min_row=2)} == {"0.00%"}


def test_a_run_without_balances_still_reports(report_run: Run, tmp_path: Path):
    run = copy_run(report_run.run_dir, tmp_path / "old", old=True)
    drawn = charts.make_run_charts(run, tmp_path / "charts")
    assert sorted(p.stem for p in drawn if p.suffix == ".svg") == sorted(RUN_CHARTS[:4])
    page = html_report.render_run_report(run, drawn, METADATA, shipped_config())
    assert "No balance data in this run." in page and 'id="summary-accounts"' not in page
    assert page.count("<figure") == 4
    assert all(t.empty for t in report_breakdowns.readiness_breakdowns(run).values())
    sheets = pd.read_excel(workbook.write_workbook(run, METADATA, shipped_config(), tmp_path / "old.xlsx"),
                           sheet_name=None, engine="openpyxl")
    assert sheets["Balances and readiness"].empty and not sheets["Breakdowns"].empty


def test_employee_counts_leave_out_former_employees(report_run: Run):
    # Former employees holding a balance are rows of the snapshot, but no band or bucket counts them.
    every = report_run.snapshots(with_former=True)
    assert (every.employment_status == "deferred_vested").any()
    employees = report_run.snapshots()
    actives = employees[employees.employment_status == "active"].groupby("simulation_year").size()
    for name, table in report_breakdowns.breakdowns(report_run.run_dir).items():
        assert table.groupby("simulation_year")["actives"].sum().to_dict() == actives.to_dict(), name
    participants = employees[(employees.employment_status == "active")
                             & (employees.participation_status == "participating")].groupby("simulation_year").size()
    assert charts.deferral_buckets(report_run.run_dir).sum(axis=1).to_dict() == participants.to_dict()


def test_ensemble_band_chart_shows_plan_assets(report_run: Run):
    import ensemble

    assert {"total_plan_assets", "replacement_ratio_median"} <= set(ensemble.BAND_CHART_METRICS)
    assert set(ensemble.BAND_CHART_METRICS) <= set(summary_metrics.numeric_metrics())
    one = ensemble.seed_metrics(report_run.run_dir, 1)
    other = one.assign(seed=2, value=np.where(one.metric == "total_plan_assets", one.value * 1.1, one.value))
    table = ensemble.ensemble_table(pd.concat([one, other], ignore_index=True))
    spread = ensemble.spread_summary(table).set_index("metric")["spread"]
    assert spread["total_plan_assets"] == "varies across seeds" and spread["end_headcount"] == "deterministic"
    figure = ensemble.band_figure(table, "two seeds")
    visible = [ax for ax in figure.axes if ax.get_visible()]
    # the metrics' bands, then the compliance tests' share of seeds failing
    assert [ax.get_title().split("\n")[0] for ax in visible] == [*ensemble.BAND_CHART_METRICS,
                                                                 "compliance tests: share of seeds failing"]
    assets = visible[list(ensemble.BAND_CHART_METRICS).index("total_plan_assets")]
    band = assets.collections[0].get_paths()[0].vertices[:, 1]  # the P10-P90 band
    rows = table[table.metric == "total_plan_assets"]
    assert band.max() == pytest.approx(rows.p90.max()) and band.min() == pytest.approx(rows.p10.min())


# --- compliance testing -------------------------------------------------------------------------------


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The body rows of a report table, each cell's text (labels may repeat, unlike table_cells' keys)."""
    import html as html_lib

    table = re.search(rf'<table id="{re.escape(table_id)}".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [[html_lib.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table)]


def expected_compliance_rows(summary: pd.DataFrame, columns: list[str]) -> list[list[str]]:
    """The rows the run report should show for these summary columns: result words, rates, margins in points."""
    summary = summary.set_index("simulation_year")
    return [[summary_metrics.label(c), *(report_breakdowns.result_text(summary.at[y, c]) if c.endswith("_result")
                                         else html_report.format_value(html_report.metric_unit(c), summary.at[y, c])
                                         for y in summary.index)] for c in columns]


def test_compliance_section_shows_the_years_results(report_run: Run, run_report: Path):
    import html as html_lib

    page = run_report.read_text()
    assert page.index("<h2>By age, tenure, pay and HCE status</h2>") < page.index("<h2>Compliance testing</h2>") \
        < page.index("<h2>Assumptions</h2>")
    summary = pd.read_csv(report_run.run_dir / "summary.csv").sort_values("simulation_year")
    # the results table: the six tests' results with their figures, by year, as the summary has them
    columns = html_report.compliance_result_columns(summary)
    tests = report_breakdowns.compliance_tests()
    assert tests == ("adp", "acp", "top_heavy", "coverage_410b_deferral", "coverage_410b_match", "coverage_410b_core")
    assert [c for c in columns if c.endswith("_result")] == [f"{t}_result" for t in tests]
    assert {"adp_hce_average", "adp_nhce_average", "adp_limit", "adp_margin", "acp_limit", "top_heavy_key_share",
            "coverage_410b_core_margin"} <= set(columns)
    rows = table_rows(page, "compliance-results")
    assert rows == expected_compliance_rows(summary, columns)
    words = {r for t in tests for r in summary[f"{t}_result"]}
    assert words <= {"pass", "fail", "deemed_pass", "corrected"} and "pass" in words
    adp = next(r for r in rows if r[0] == summary_metrics.label("adp_result"))
    assert adp[1:] == [w.replace("_", " ") for w in summary["adp_result"]]
    margin = next(r for r in rows if r[0] == summary_metrics.label("adp_margin"))
    assert margin[-1] == f"{summary['adp_margin'].iloc[-1] * 100:,.2f} pp"  # margins in percentage points
    # the corrections by year, corrective employer contributions last
    corrections = table_rows(page, "compliance-corrections")
    assert [r[0] for r in corrections] == [summary_metrics.label(c) for c in
                                           ("adp_refunds", "adp_recharacterized", "acp_refunds", "qnec_amount",
                                            "qmac_amount", "top_heavy_minimum", "corrective_contributions")]
    assert corrections == expected_compliance_rows(summary, html_report.corrective_columns(summary))
    # the notes: every test of fct_compliance_tests that did not simply pass (none in this run, or its rows)
    with report_run.db() as con:
        shown = con.execute("select simulation_year, test_name, result, note from fct_compliance_tests "
                            "where result <> 'pass' order by all").df()
    if shown.empty:
        assert "Every test passed in every year" in page
    else:
        assert len(table_rows(page, "compliance-notes")) == len(shown)
    # the generated census gives last year's pay, which the first year's HCE lookback takes
    census = json.loads((runs.census_dir(report_run.run_dir) / "census_report.json").read_text())
    assert "prior_year_compensation" in census["column_sources"]
    lookback = html_lib.unescape(re.search(r'<p id="hce-lookback">(.*?)</p>', page).group(1))
    assert lookback.startswith(f"HCE lookback of the first year ({report_run.years[0]}): each employee's "
                               f"{report_run.years[0] - 1} pay from the census column prior_year_compensation")


def test_compliance_section_without_the_database_or_prior_pay(report_run: Run, tmp_path: Path):
    """A copy of the run without simulation.duckdb whose census gave no prior-year pay, its last year's ADP
    made a corrected test: the notes come from the summary, the lookback sentence says what stood in."""
    run = copy_run(report_run.run_dir, tmp_path / "run")
    assert not (run / "simulation.duckdb").exists()
    report = json.loads((runs.census_dir(run) / "census_report.json").read_text())
    report["column_sources"].pop("prior_year_compensation")
    (runs.census_dir(run) / "census_report.json").write_text(json.dumps(report))
    summary = pd.read_csv(run / "summary.csv")
    last = summary.index[-1]
    summary.loc[last, ["adp_result", "acp_result"]] = ["corrected", "deemed_pass"]
    summary.loc[last, "adp_refunds"] = 1234.5
    summary.to_csv(run / "summary.csv", index=False)
    tests, source = report_breakdowns.compliance_results(run)
    assert source == "summary" and len(tests) == 6 * len(report_run.years)
    adp = tests[(tests.test_name == "adp") & (tests.simulation_year == report_run.years[-1])].iloc[0]
    assert adp.result == "corrected" and adp.corrective_amount == 1234.5
    assert adp.hce_average == summary.at[last, "adp_hce_average"] and adp.limit_value == summary.at[last, "adp_limit"]
    page = html_report.render_run_report(run, [], METADATA, shipped_config())
    assert "simulation.duckdb) is not there" in page
    year = str(report_run.years[-1])
    assert table_rows(page, "compliance-notes") == [
        [year, "ADP test", "corrected", "$1,234", "ADP refunds $1,234.50"],
        [year, "ACP test", "deemed pass", "$0", "–"]]
    assert (f"the census gives no prior_year_compensation, so each employee&#x27;s census annual pay rate stands "
            f"in for {report_run.years[0] - 1} pay") in page
    # a run from before compliance testing still reports, with no compliance tables
    old = summary.drop(columns=[c for c in summary_metrics.group("compliance") if c in summary.columns])
    old.to_csv(run / "summary.csv", index=False)
    page = html_report.render_run_report(run, [], METADATA, shipped_config())
    assert "No compliance tests in this run." in page and 'id="compliance-results"' not in page
    sheet = pd.read_excel(workbook.write_workbook(run, METADATA, shipped_config(), tmp_path / "old.xlsx"),
                          sheet_name="Compliance", engine="openpyxl")
    assert sheet.empty and "Result" in sheet.columns


def test_workbook_has_the_compliance_tests(report_run: Run, tmp_path: Path):
    from openpyxl import load_workbook

    path = workbook.write_workbook(report_run.run_dir, METADATA, shipped_config(), tmp_path / "run.xlsx")
    sheet = pd.read_excel(path, sheet_name="Compliance", engine="openpyxl")
    assert list(sheet.columns) == [label for label, _ in report_breakdowns.COMPLIANCE_COLUMNS.values()]
    with report_run.db() as con:
        truth = con.execute("select * from fct_compliance_tests").df()
    assert len(sheet) == len(truth) == 6 * len(report_run.years)
    summary = pd.read_csv(report_run.run_dir / "summary.csv").set_index("simulation_year")
    # each year's six tests in report order, with the summary's results and the mart's figures
    tests = list(report_breakdowns.compliance_tests())
    got = sheet.assign(test_name=tests * len(report_run.years)).set_index(["Year", "test_name"])
    assert got["Test"].tolist() == [report_breakdowns.test_label(t) for t in tests] * len(report_run.years)
    for row in truth.to_dict("records"):
        line = got.loc[(row["simulation_year"], row["test_name"])]
        assert line["Result"] == row["result"].replace("_", " ")
        assert line["Result"] == summary.at[row["simulation_year"], f"{row['test_name']}_result"].replace("_", " ")
        assert line["Margin"] == pytest.approx(row["margin"], nan_ok=True)
        assert line["Corrective amount"] == pytest.approx(row["corrective_amount"])
    book = load_workbook(path)["Compliance"]
    header = [c.value for c in book[1]]
    assert {book.cell(row=r, column=header.index("Margin") + 1).number_format
            for r in range(2, book.max_row + 1)} == {"0.00%"}
    assert {book.cell(row=r, column=header.index("Corrective amount") + 1).number_format
            for r in range(2, book.max_row + 1)} == {"$#,##0"}


def test_ensemble_fail_share_is_the_share_of_seeds_failing(report_run: Run, tmp_path: Path):
    """Two seeds, the second a copy of the run whose last year's ADP failed and was corrected: the ADP fails in
    half the seeds that year, every other test in none."""
    import ensemble

    other = tmp_path / "seed_2"
    other.mkdir()
    (other / "years").symlink_to(report_run.run_dir / "years")  # the events, for the hires and terminations
    summary = pd.read_csv(report_run.run_dir / "summary.csv")
    summary.loc[summary.index[-1], "adp_result"] = "corrected"
    summary.to_csv(other / "summary.csv", index=False)
    per_seed = pd.concat([ensemble.seed_metrics(report_run.run_dir, 1), ensemble.seed_metrics(other, 2)],
                         ignore_index=True)
    failed = ensemble.compliance_failures(summary)
    assert set(failed.metric) == {f"{t}_fail_share" for t in report_breakdowns.compliance_tests()}
    assert failed.value.isin([0.0, 1.0]).all()
    table = ensemble.ensemble_table(per_seed)
    shares = ensemble.fail_shares(table)
    assert list(shares.columns) == list(report_breakdowns.compliance_tests())
    assert list(shares.index) == report_run.years
    # the real run passes every test (as its summary says); the copy fails the ADP in its last year
    base = pd.read_csv(report_run.run_dir / "summary.csv").set_index("simulation_year")
    for test in shares.columns:
        for year in shares.index:
            seeds = [base.at[year, f"{test}_result"], summary.set_index("simulation_year").at[year, f"{test}_result"]]
            assert shares.at[year, test] == sum(r in ("fail", "corrected") for r in seeds) / 2, (test, year)
    assert shares.at[report_run.years[-1], "adp"] == 0.5 and ((shares >= 0) & (shares <= 1)).all(axis=None)
    # the band chart draws the shares in a panel of their own
    figure = ensemble.band_figure(table, "two seeds")
    panel = next(ax for ax in figure.axes if ax.get_visible() and ax.get_title().startswith("compliance tests"))
    lines = {line.get_label(): list(line.get_ydata()) for line in panel.get_lines()}
    assert len(panel.get_lines()) == 6 and lines[report_breakdowns.test_label("adp")] == shares["adp"].tolist()
