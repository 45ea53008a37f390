"""Reports of a run: charts, Excel workbook, HTML run report, scenario comparison; HTML opened in headless Chromium."""
from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import charts
import comparison
import html_report
import simconfig
import summary_metrics
import workbook
from conftest import REPO, Run, new_workdir, simulate

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RUN_CHARTS = ("headcount", "pay", "participation", "employer_cost")
METADATA = {"config_hash": "abc123", "seed": 42, "years": "2025-2027", "census_file": "census.csv",
            "census_sha256": "f" * 64, "version_python": "3.11", "commit": "deadbeef<script>alert(1)</script>",
            "run_seconds": 12.5}


@pytest.fixture(scope="session")
def report_run(tmp_path_factory) -> Run:
    return simulate(new_workdir(tmp_path_factory.mktemp("reports")), size=1500, end=2027, reports=True)


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
    config = {"simulation": {"target_growth_rate": 0.03}, "employer_match": {"active_formula": "tiered_match"},
              "workforce": {"note": "<b>not bold</b>"}}
    return html_report.write_run_report(report_run.run_dir, run_charts, METADATA, config,
                                        out_dir / "run_report.html")


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


def test_comparison_charts(summaries: dict[str, pd.DataFrame], tmp_path: Path):
    paths = charts.make_comparison_charts(summaries, tmp_path)
    assert {p.name for p in paths} == {f"comparison_{m}.{e}" for m in summary_metrics.comparison_charts()
                                       for e in ("png", "svg")}
    assert all(p.read_bytes().startswith(PNG_MAGIC) for p in paths if p.suffix == ".png")


# --- workbook -----------------------------------------------------------------------------------------


def test_workbook_sheets(report_run: Run, tmp_path: Path):
    path = workbook.write_workbook(report_run.run_dir, METADATA, {"simulation": {"random_seed": 42}},
                                   tmp_path / "run.xlsx")
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    assert list(sheets) == ["summary", "events_by_type", "assumptions", "metadata"]

    # Summary: value for value (floats at Excel's 16 significant digits, which openpyxl writes).
    expected, got = pd.read_csv(report_run.run_dir / "summary.csv"), sheets["summary"]
    assert list(got.columns) == list(expected.columns) and len(got) == len(expected)
    for column in expected.columns:
        if pd.api.types.is_float_dtype(expected[column]):
            np.testing.assert_allclose(got[column].to_numpy(float), expected[column].to_numpy(float), rtol=1e-14)
        else:
            assert got[column].tolist() == expected[column].tolist(), column

    # Event counts against the Parquet files.
    events = sheets["events_by_type"]
    years = [str(y) for y in report_run.years]
    events.columns = [str(c) for c in events.columns]
    assert list(events.columns) == ["event_type", "event_category", *years, "total"]
    truth = report_run.events().groupby(["event_type", "event_category", "simulation_year"]).size()
    detail = events[events.event_category != workbook.ALL_CATEGORIES]
    got_detail = detail.melt(["event_type", "event_category"], years, "simulation_year", "n")
    got_detail = got_detail.astype({"simulation_year": int}).set_index(
        ["event_type", "event_category", "simulation_year"])["n"]
    assert got_detail[got_detail > 0].sort_index().to_dict() == truth.sort_index().to_dict()
    subtotal = events[events.event_category == workbook.ALL_CATEGORIES].set_index("event_type")
    by_type = report_run.events().groupby("event_type").size()
    assert subtotal["total"].to_dict() == by_type.to_dict()
    assert int(detail["total"].sum()) == len(report_run.events())

    # Metadata: the given keys, in order.
    assert sheets["metadata"]["key"].tolist() == list(METADATA)
    assert sheets["metadata"].set_index("key").loc["commit", "value"] == METADATA["commit"]


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


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's Chromium with `apt-get install -y chromium` (as root)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield instance
        instance.close()


def open_offline(browser, path: Path) -> dict:
    """Load a report from file:// and return console errors, non-file/data requests, element boxes, row counts."""
    page = browser.new_page()
    errors: list[str] = []
    external: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else external.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    boxes = page.eval_on_selector_all(
        "svg, img", """els => els.map(e => { const r = e.getBoundingClientRect();
            return {tag: e.tagName, width: r.width, height: r.height,
                    natural: e.tagName === 'IMG' ? e.naturalWidth : 1}; })""")
    rows = page.eval_on_selector_all("table[id]", "ts => Object.fromEntries(ts.map(t => "
                                                  "[t.id, t.tBodies[0].rows.length]))")
    page.close()
    return {"errors": errors, "external": external, "boxes": boxes, "rows": rows}


def test_run_report_renders_offline_in_chromium(browser, report_run: Run, run_report: Path):
    seen = open_offline(browser, run_report)
    assert seen["errors"] == []
    assert seen["external"] == []
    assert len(seen["boxes"]) == len(RUN_CHARTS)
    for box in seen["boxes"]:
        assert box["width"] > 0 and box["height"] > 0 and box["natural"] > 0, box
    assert seen["rows"]["summary-workforce"] == len(report_run.years)
    assert seen["rows"]["summary-plan"] == len(report_run.years)
    assert seen["rows"]["quality-gates"] == len(report_run.years)
    assert seen["rows"]["run-metadata"] == len(METADATA)


def test_comparison_report_renders_offline_in_chromium(browser, comparison_report: Path):
    seen = open_offline(browser, comparison_report)
    assert seen["errors"] == []
    assert seen["external"] == []
    assert len(seen["boxes"]) == len(summary_metrics.comparison_charts())
    for box in seen["boxes"]:
        assert box["width"] > 0 and box["height"] > 0 and box["natural"] > 0, box
    for metric in comparison.METRICS:
        assert seen["rows"][f"metric-{metric}"] == 4  # baseline, richer, variance, variance %
    assert seen["rows"]["config-differences"] == 1
