"""Participation, deferral and employer cost of year-end actives by age band, tenure band, pay band
(job level) and HCE status, from each year's snapshot. Bands come from the dbt seeds
(config_age_bands, config_tenure_bands, config_job_levels), the one definition the SQL uses too."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

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
