"""A sponsor's history: two or more year-end census snapshots of one employer, read with the
census reader and matched by employee id. Each consecutive pair (Dec 31 of Y-1, Dec 31 of Y)
gives the year Y's observations in the model's own terms: age and tenure as of Dec 31 of Y,
the bands of the hazard seeds, who left, who was hired, promoted, raised, enrolled."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import census
from simconfig.segments import read_seed


class HistoryError(ValueError):
    """The history cannot be used; the message names the file and what to fix."""


@dataclass(frozen=True)
class Snapshot:
    path: Path
    year: int            # as of Dec 31 of this year
    rows: pd.DataFrame   # the census reader's clean rows
    rejected: int

    @property
    def actives(self) -> pd.DataFrame:
        as_of = pd.Timestamp(self.year, 12, 31)
        rows = self.rows
        gone = rows["active"].eq(False).fillna(False) | (rows["employee_termination_date"] <= as_of)
        return rows[~gone.astype(bool)]

    def leavers_in(self, year: int) -> pd.DataFrame:
        """Rows of people who left during `year` (inactive, with a termination date in it)."""
        term = self.rows["employee_termination_date"]
        return self.rows[term.dt.year.eq(year).fillna(False).astype(bool)]


def year_in_name(path: Path) -> int | None:
    years = re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", path.name)
    return int(years[-1]) if years else None


def latest_date_year(path: Path, rows: pd.DataFrame) -> int:
    """The year of the latest hire or termination date of a snapshot without a year in its name."""
    latest = pd.concat([pd.to_datetime(rows["employee_hire_date"]),
                        pd.to_datetime(rows["employee_termination_date"])]).max()
    if pd.isna(latest):
        raise HistoryError(f"{path}: no year in the file name and no dates to tell the year it is as of")
    return int(latest.year)


def read_snapshot(path: Path, max_reject_share: float) -> Snapshot:
    path = Path(path)
    try:
        raw = census.read_raw(path)
        year = year_in_name(path)
        if year is None:  # read once (as of today) to learn the year from the dates, then check
            year = latest_date_year(path, census.validate(raw, dt.date.today(), source=str(path))[0])
        clean, _, report = census.validate(raw, dt.date(year, 12, 31), source=str(path))
    except census.CensusError as error:
        raise HistoryError(str(error)) from None
    if report.rows_read and report.rows_rejected / report.rows_read > max_reject_share:
        raise HistoryError(f"{path}: {report.rows_rejected} of {report.rows_read} rows rejected as of Dec 31 {year} "
                           f"(reasons: {', '.join(report.reject_reasons)}); check the file's dates and year")
    for column in ("employee_birth_date", "employee_hire_date", "employee_termination_date"):
        clean[column] = pd.to_datetime(clean[column])
    return Snapshot(path, year, clean, report.rows_rejected)


def read_history(paths: list[Path], *, max_reject_share: float = 0.05, min_id_overlap: float = 0.5) -> list[Snapshot]:
    """The snapshots in the given order, checked: a year apart, in order, the same employer."""
    if len(paths) < 2:
        raise HistoryError(f"a history needs two or more snapshots (got {len(paths)}: {' '.join(map(str, paths))})")
    snapshots = [read_snapshot(Path(p), max_reject_share) for p in paths]
    for previous, current in zip(snapshots, snapshots[1:]):
        if current.year <= previous.year:
            raise HistoryError(f"{current.path}: dates out of order: it is as of Dec 31 {current.year}, but follows "
                               f"{previous.path} (as of Dec 31 {previous.year}); give the snapshots oldest first")
        if current.year != previous.year + 1:
            raise HistoryError(f"{current.path}: as of Dec 31 {current.year}, but the snapshot before it "
                               f"({previous.path}) is as of {previous.year}; snapshots must be one year apart")
        latest_hire = current.rows["employee_hire_date"].max()
        if latest_hire < previous.rows["employee_hire_date"].max():
            raise HistoryError(f"{current.path}: dates out of order: its latest hire date ({latest_hire.date()}) is "
                               f"not after {previous.path}'s; is it really as of Dec 31 {current.year}?")
        start = set(previous.actives["employee_id"])
        found = len(start & set(current.rows["employee_id"]))
        if found == 0:
            raise HistoryError(f"{current.path}: no employee id in common with {previous.path}; the snapshots must be "
                               "of the same employer with the same ids")
        if found / max(len(start), 1) < min_id_overlap:
            raise HistoryError(f"{current.path}: only {found} of the {len(start)} actives of {previous.path} "
                               f"({found / len(start):.0%}) appear in it, below min_id_overlap {min_id_overlap:.0%}; "
                               "are the ids the same?")
    return snapshots


# ---- bands, as the model computes them (dbt int_workforce_start) --------------------------------

def band_of(values: pd.Series, seed: str) -> pd.Series:
    """Band label of each value from a [min_value, max_value) band seed."""
    rows = read_seed(seed)
    edges = [float(r["min_value"]) for r in rows] + [float(rows[-1]["max_value"])]
    labels = [r["band_label"] for r in rows]
    return pd.Series(pd.cut(values, bins=edges, right=False, labels=labels).astype(object), index=values.index)


def age_in(year: int, birth: pd.Series) -> pd.Series:
    """Age as of Dec 31 of the year: the year minus the birth year."""
    return year - birth.dt.year


def tenure_at(hire: pd.Series, day: pd.Timestamp) -> pd.Series:
    """Whole years of service on `day` (the dbt macro service_years)."""
    before_anniversary = (day.month * 100 + day.day) < (hire.dt.month * 100 + hire.dt.day)
    return day.year - hire.dt.year - before_anniversary.astype(int)


def year_observations(previous: Snapshot, current: Snapshot) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(start, hires) of year Y = current.year.

    start: one row per active of Dec 31 Y-1 with age/tenure (Dec 31 of Y), bands, level, pay,
    participation then and at Y's end, and outcome: stayed, left (a leaver row, or absent).
    hires: the year's hires seen in the current snapshot (actives, and leavers when it lists them)."""
    year = current.year
    year_end = pd.Timestamp(year, 12, 31)
    start = previous.actives.copy()
    start["year"] = year
    start["age"] = age_in(year, start["employee_birth_date"])
    start["tenure"] = tenure_at(start["employee_hire_date"], year_end)
    start["age_band"] = band_of(start["age"], "config_age_bands")
    start["tenure_band"] = band_of(start["tenure"], "config_tenure_bands")
    start["hired_last_year"] = start["employee_hire_date"].dt.year == year - 1
    start["enrolled_before"] = start["employee_deferral_rate"].fillna(0) > 0
    now = current.rows.set_index("employee_id")
    active_now = set(current.actives["employee_id"])
    start["stayed"] = start["employee_id"].isin(active_now)
    matched = now.reindex(start["employee_id"])
    start["level_after"] = matched["level_id"].to_numpy()
    start["pay_after"] = matched["employee_gross_compensation"].to_numpy()
    start["deferral_after"] = matched["employee_deferral_rate"].fillna(0).to_numpy()
    start["listed_after"] = start["employee_id"].isin(now.index)
    start["promoted"] = start["stayed"] & (start["level_after"] > start["level_id"])

    hires = current.rows[current.rows["employee_hire_date"].dt.year == year].copy()
    hires["year"] = year
    hires["age"] = age_in(year, hires["employee_birth_date"])
    hires["left"] = ~hires["employee_id"].isin(active_now)
    return start.reset_index(drop=True), hires.reset_index(drop=True)


def lists_leavers(snapshots: list[Snapshot]) -> bool:
    """Whether the snapshots list the year's leavers (so hires who left the same year are seen)."""
    return any(len(s.leavers_in(s.year)) > 0 for s in snapshots[1:])


def levels() -> list[int]:
    return sorted(int(r["level_id"]) for r in read_seed("config_job_levels"))


def seed_merit_rates() -> dict[int, float]:
    return {int(r["level_id"]): float(r["merit_rate"]) for r in read_seed("config_job_levels")}


def as_array(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=float)
