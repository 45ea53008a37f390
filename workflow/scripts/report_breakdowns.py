"""Participation, deferral and employer cost of year-end actives by age band, tenure band, pay band
(job level) and HCE status, from each year's snapshot. Bands come from the dbt seeds
(config_age_bands, config_tenure_bands, config_job_levels), the one definition the SQL uses too.
Also the year's compliance tests (fct_compliance_tests of the run's database, or the summary's figures
where the database is absent), which the run report and the workbook show."""
from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd

import summary_metrics
from simconfig.segments import band_case_sql, read_seed

# banding -> (title, the SQL giving the band label, the SQL giving its sort order)
BANDINGS = {
    "age": ("Age band", band_case_sql("config_age_bands", "current_age"),
            "min(current_age)"),
    "tenure": ("Tenure band (years of service)", band_case_sql("config_tenure_bands", "current_tenure"),
               "min(current_tenure)"),
    "pay": ("Pay band (job level)",
            "case " + " ".join(f"when level_id = {int(r['level_id'])} then '{r['level_name']} "
                               f"(${int(r['min_compensation']) // 1000}k-${int(r['max_compensation']) // 1000}k)'"
                               for r in read_seed("config_job_levels"))
            + " else 'Level ' || cast(level_id as varchar) end",
            "min(level_id)"),
    "hce": ("HCE status", "case when is_hce then 'HCE' else 'Non-HCE' end", "min(case when is_hce then 1 else 0 end)"),
}

# Breakdown columns, their labels and units (count | rate | money), in display order.
COLUMNS = {
    "actives": ("Year-end actives", "count"),
    "eligible": ("Eligible", "count"),
    "participants": ("Participating", "count"),
    "participation_rate": ("Participation rate", "rate"),
    "average_deferral_rate": ("Average deferral rate", "rate"),
    "employee_deferrals": ("Employee deferrals", "money"),
    "employer_cost": ("Employer cost", "money"),
    "cost_per_employee": ("Employer cost per employee", "money"),
    "cost_per_participant": ("Employer cost per participant", "money"),
}

# Column headers of the page, short enough for nine columns on a printed page (soft hyphens).
SHORT_LABELS = {
    "actives": "Actives", "eligible": "Eligible", "participants": "Partici\u00adpating",
    "participation_rate": "Partici\u00adpation rate", "average_deferral_rate": "Average deferral",
    "employee_deferrals": "Employee deferrals", "employer_cost": "Employer cost",
    "cost_per_employee": "Cost per employee", "cost_per_participant": "Cost per partici\u00adpant",
}


def _sql(band_sql: str, order_sql: str) -> str:
    # The same definitions as fct_year_summary: participating = eligible and participation_status
    # 'participating'; the average deferral rate over active participants; money of year-end actives.
    return f"""
        with actives as (
            select *, {band_sql} as band from read_parquet($files) where employment_status = 'active'
        )
        select simulation_year, band, {order_sql} as band_order,
               count(*) as actives,
               count(*) filter (where is_plan_eligible) as eligible,
               count(*) filter (where is_plan_eligible and participation_status = 'participating') as participants,
               avg(deferral_rate) filter (where participation_status = 'participating') as average_deferral_rate,
               coalesce(sum(employee_deferrals), 0) as employee_deferrals,
               coalesce(sum(match_amount), 0) as employer_match,
               coalesce(sum(core_amount), 0) as employer_core
        from actives
        group by simulation_year, band"""


def breakdowns(run_dir: Path) -> dict[str, pd.DataFrame]:
    """Per banding (age, tenure, pay, hce): rows (simulation_year, band) in band order, columns COLUMNS
    (plus employer_match, employer_core). Rates and per-head costs are blank where the divisor is 0."""
    files = [str(p) for p in sorted(Path(run_dir).glob("years/*/snapshot.parquet"))]
    tables = {}
    for name, (_, band_sql, order_sql) in BANDINGS.items():
        if not files:
            tables[name] = pd.DataFrame(columns=["simulation_year", "band", *COLUMNS])
            continue
        with duckdb.connect() as con:  # own connection: jobs run in threads
            frame = con.execute(_sql(band_sql, order_sql), {"files": files}).df()
        frame = frame.sort_values(["simulation_year", "band_order"]).drop(columns="band_order")
        frame["employer_cost"] = frame["employer_match"] + frame["employer_core"]
        frame["participation_rate"] = frame["participants"] / frame["eligible"].where(frame["eligible"] > 0)
        frame["cost_per_employee"] = frame["employer_cost"] / frame["actives"]
        frame["cost_per_participant"] = frame["employer_cost"] / frame["participants"].where(frame["participants"] > 0)
        frame = frame.astype({"simulation_year": int, "actives": int, "eligible": int, "participants": int})
        tables[name] = frame[["simulation_year", "band", *COLUMNS, "employer_match", "employer_core"]] \
            .reset_index(drop=True)
    return tables


def title(banding: str) -> str:
    return BANDINGS[banding][0]


# Readiness columns of the by-band table, their labels and units, in display order.
READINESS_COLUMNS = {
    "actives": ("Year-end actives", "count"),
    "median_total_replacement_ratio": ("Median replacement ratio", "rate"),
    "median_dc_replacement_ratio": ("Median DC replacement ratio", "rate"),
    "share_on_track": ("Share at or above target", "rate"),
}
READINESS_BANDINGS = ("age", "pay")
READINESS_SNAPSHOT_COLUMNS = ("total_replacement_ratio", "dc_replacement_ratio")


def readiness_target(config: dict | None) -> float:
    """retirement_readiness.target_replacement_ratio of the run's config (0.70 without one)."""
    return float(((config or {}).get("retirement_readiness") or {}).get("target_replacement_ratio", 0.70))


def snapshot_files(run_dir: Path) -> list[str]:
    return [str(p) for p in sorted(Path(run_dir).glob("years/*/snapshot.parquet"))]


def snapshot_columns(files: list[str]) -> set[str]:
    """The columns of the snapshots (empty without any): older runs have no balance or readiness columns."""
    if not files:
        return set()
    with duckdb.connect() as con:
        return {row[0] for row in con.execute("describe select * from read_parquet($files)", {"files": files})
                .fetchall()}


def readiness_breakdowns(run_dir: Path, target: float = 0.70) -> dict[str, pd.DataFrame]:
    """Per banding (age, pay): rows (simulation_year, band) in band order, columns READINESS_COLUMNS, over
    year-end actives (former employees with a balance have no projection). Medians and the share on track
    are over actives with a projected ratio, as in fct_year_summary; empty tables if the run has none."""
    files = snapshot_files(run_dir)
    empty = pd.DataFrame(columns=["simulation_year", "band", *READINESS_COLUMNS])
    if not set(READINESS_SNAPSHOT_COLUMNS) <= snapshot_columns(files):
        return {name: empty.copy() for name in READINESS_BANDINGS}
    tables = {}
    for name in READINESS_BANDINGS:
        _, band_sql, order_sql = BANDINGS[name]
        sql = f"""
            select simulation_year, {band_sql} as band, {order_sql} as band_order, count(*) as actives,
                   median(total_replacement_ratio) as median_total_replacement_ratio,
                   median(dc_replacement_ratio) as median_dc_replacement_ratio,
                   count(*) filter (where total_replacement_ratio >= $target)
                       / nullif(count(total_replacement_ratio), 0) as share_on_track
            from read_parquet($files) where employment_status = 'active'
            group by all"""
        with duckdb.connect() as con:  # own connection: jobs run in threads
            frame = con.execute(sql, {"files": files, "target": float(target)}).df()
        frame = frame.sort_values(["simulation_year", "band_order"]).drop(columns="band_order")
        tables[name] = frame.astype({"simulation_year": int, "actives": int}).reset_index(drop=True)
    return tables


# --- compliance tests --------------------------------------------------------------------------------

# Results that count as a failed test: failed, whether or not a correction followed (fct_compliance_tests).
FAILED_RESULTS = ("fail", "corrected")
# The columns of fct_compliance_tests the reports show, their labels and units, in display order. For
# top-heavy the HCE figure is the key employees' share of balances; for coverage the share benefiting.
COMPLIANCE_COLUMNS = {
    "simulation_year": ("Year", "year"),
    "test": ("Test", "text"),
    "result": ("Result", "text"),
    "hce_average": ("HCE average or share", "rate"),
    "nhce_average": ("NHCE average or share (tested)", "rate"),
    "limit_value": ("Limit", "rate"),
    "margin": ("Margin", "rate"),
    "hce_average_corrected": ("HCE average after correction", "rate"),
    "limit_value_corrected": ("Limit after correction", "rate"),
    "corrective_amount": ("Corrective amount", "money"),
    "note": ("Note", "text"),
}
# The summary's money columns of each test's correction (their sum is the test's corrective_amount).
CORRECTIONS = {"adp": ("adp_refunds", "adp_recharacterized", "qnec_amount"), "acp": ("acp_refunds", "qmac_amount"),
               "top_heavy": ("top_heavy_minimum",)}


def compliance_tests() -> tuple[str, ...]:
    """The test names (adp, acp, top_heavy, coverage_410b_*) in report order: the summary's <test>_result
    columns of meta group compliance (fct_year_summary.yml)."""
    return tuple(c.removesuffix("_result") for c in summary_metrics.group("compliance") if c.endswith("_result"))


def test_label(test: str) -> str:
    """'ADP test', '410(b) coverage, deferrals': the label of the summary's <test>_result column."""
    return summary_metrics.label(f"{test}_result")


def result_text(result: object) -> str:
    """'deemed_pass' -> 'deemed pass'; a missing result -> '–'."""
    if result is None or (isinstance(result, float) and math.isnan(result)):
        return "–"
    return str(result).replace("_", " ")


def has_compliance(summary: pd.DataFrame) -> bool:
    """Whether the summary has the compliance columns (a run from before compliance testing has not)."""
    return all(f"{test}_result" in summary.columns for test in compliance_tests())


def _from_database(path: Path) -> pd.DataFrame | None:
    """fct_compliance_tests of the run's database, read-only; None if it is absent or has no such view."""
    if not path.exists():
        return None
    columns = ", ".join(c for c in COMPLIANCE_COLUMNS if c not in ("test",))
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(f"select test_name, {columns} from fct_compliance_tests").df()
    except duckdb.Error:  # a database from before compliance testing, or one being written
        return None


def _from_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """The rows of fct_compliance_tests as far as the summary has them: results, ADP/ACP averages and limits,
    the key share, margins and corrective amounts; the note says what the correction was."""
    rows = []
    for record in summary.to_dict("records"):
        def get(column: str, record: dict = record) -> float:
            value = record.get(column)
            return float("nan") if value is None else float(value)

        for test in compliance_tests():
            margin = get(f"{test}_margin")
            if test == "top_heavy":
                hce, nhce = get("top_heavy_key_share"), 1 - get("top_heavy_key_share")
                limit = hce + margin
            else:
                hce, nhce, limit = (get(f"{test}_hce_average"), get(f"{test}_nhce_tested_average"),
                                    get(f"{test}_limit"))
            amounts = {c: get(c) for c in CORRECTIONS.get(test, ()) if c in record}
            moved = [f"{summary_metrics.label(c)} ${v:,.2f}" for c, v in amounts.items() if v]
            rows.append({"test_name": test, "simulation_year": int(record["simulation_year"]),
                         "result": record.get(f"{test}_result"), "hce_average": hce, "nhce_average": nhce,
                         "limit_value": limit, "margin": margin, "hce_average_corrected": float("nan"),
                         "limit_value_corrected": float("nan"),
                         "corrective_amount": sum(v for v in amounts.values() if not math.isnan(v)),
                         "note": "; ".join(moved) or None})
    return pd.DataFrame(rows, columns=["test_name", *(c for c in COMPLIANCE_COLUMNS if c != "test")])


def compliance_results(run_dir: Path, summary: pd.DataFrame | None = None) -> tuple[pd.DataFrame, str]:
    """The run's compliance tests, one row per year and test (years in order, tests in compliance_tests()
    order), columns test_name and COMPLIANCE_COLUMNS (test: its label); and where they come from: "database"
    (fct_compliance_tests of simulation.duckdb, opened read-only) or "summary" (derived from the summary's
    figures where the database is absent: no corrected averages, notes only of the corrective amounts).
    Empty for a run from before compliance testing."""
    run_dir = Path(run_dir)
    summary = pd.read_csv(run_dir / "summary.csv") if summary is None else summary
    if not has_compliance(summary):
        return pd.DataFrame(columns=["test_name", *COMPLIANCE_COLUMNS]), "summary"
    frame, source = _from_database(run_dir / "simulation.duckdb"), "database"
    if frame is None or frame.empty:
        frame, source = _from_summary(summary), "summary"
    order = {test: i for i, test in enumerate(compliance_tests())}
    frame = frame.assign(test=frame["test_name"].map(test_label), _order=frame["test_name"].map(order)) \
        .sort_values(["simulation_year", "_order"]).drop(columns="_order")
    frame["simulation_year"] = frame["simulation_year"].astype(int)
    return frame[["test_name", *COMPLIANCE_COLUMNS]].reset_index(drop=True), source
