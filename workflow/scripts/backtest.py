"""`make backtest`: fit on the snapshots before the holdout year, simulate the holdout year from
the last fitted snapshot with the project's own workflow, and score the result against the
actual holdout snapshot: headcount, hires, terminations (by tenure band), promotions, average
pay, participation, average deferral and age mix, each with warn/fail thresholds and the
P10-P90 band of the replicates.

Two runs are scored: the fitted overlay and the defaults (the base config as it is). The
solver's counts are exact given the rates, so the seed alone gives no spread in headcount,
hires or terminations; each fitted replicate therefore uses its own seed *and* its own draw of
the fitted workforce rates (growth, experienced and new-hire termination rates) from
their 95 % intervals, so its band shows both the model's randomness and the fit's uncertainty.

    python workflow/scripts/backtest.py --history a.csv b.csv c.csv d.csv --holdout-year 2026 --name acme
"""
from __future__ import annotations

import argparse
import copy
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

import fit_history
import fit_report
import fit_settings
import history
import sim_io
import sim_runner
import simconfig
from generate_history import SNAPSHOT_AS_CENSUS
from simconfig.model import SimulationConfig

REPO = Path(__file__).resolve().parents[2]
DRAWN = {  # overlay key -> the estimate whose interval it is drawn from
    "simulation.target_growth_rate": "simulation.target_growth_rate",
    "workforce.total_termination_rate": "workforce.total_termination_rate",
    "workforce.new_hire_termination_rate": "workforce.new_hire_termination_rate",
}
SHARE_METRICS = ("age_mix",)


# ---- the metrics, computed the same way on actual and simulated snapshots ------------------------

def metrics(start: pd.DataFrame, end: pd.DataFrame, year: int, config: SimulationConfig) -> dict[str, float]:
    """start: the actives of Dec 31 of year-1; end: census rows as of Dec 31 of the year."""
    as_of = pd.Timestamp(year, 12, 31)
    gone = end["active"].eq(False).fillna(False).astype(bool) | (end["employee_termination_date"] <= as_of)
    actives = end[~gone]
    active_ids = set(actives["employee_id"])
    stayed = start["employee_id"].isin(active_ids)
    after = actives.set_index("employee_id")["level_id"]
    promoted = stayed & (start["employee_id"].map(after) > start["level_id"])
    age = history.age_in(year, actives["employee_birth_date"])
    eligible = actives[(age >= config.plan_eligibility.minimum_age)
                       & actives["eligibility_override"].ne(False).fillna(True).astype(bool)]
    rate = eligible["employee_deferral_rate"].fillna(0)
    out = {
        "headcount": float(len(actives)),
        "hires": float((end["employee_hire_date"].dt.year == year).sum()),
        "terminations": float((~stayed).sum()),
        "promotions": float(promoted.sum()),
        "average_pay": float(actives["employee_gross_compensation"].mean()),
        "participation_rate": float((rate > 0).mean()),
        "average_deferral_rate": float(rate[rate > 0].mean()),
    }
    tenure = history.band_of(history.tenure_at(start["employee_hire_date"], as_of), "config_tenure_bands")
    for band in [r["band_label"] for r in history.read_seed("config_tenure_bands")]:
        out[f"terminations[{band}]"] = float(((~stayed) & (tenure == band)).sum())
    bands = history.band_of(age, "config_age_bands")
    for band in [r["band_label"] for r in history.read_seed("config_age_bands")]:
        out[f"age_mix[{band}]"] = float((bands == band).mean())
    return out


def simulated_rows(snapshot: Path, with_leavers: bool) -> pd.DataFrame:
    with duckdb.connect() as con:
        rows = con.execute(SNAPSHOT_AS_CENSUS.format(path=sim_io.sql_literal(snapshot))).df()
    for column in ("employee_birth_date", "employee_hire_date", "employee_termination_date"):
        rows[column] = pd.to_datetime(rows[column])
    return rows if with_leavers else rows[rows["active"]]


# ---- the scorecard --------------------------------------------------------------------------------

def family(metric: str) -> str:
    return metric.split("[")[0]


def score(actual: dict[str, float], replicates: pd.DataFrame, run: str,
          thresholds: dict[str, fit_settings.Threshold]) -> pd.DataFrame:
    rows = []
    for metric, value in actual.items():
        values = replicates[metric].to_numpy(dtype=float)
        median, p10, p90 = (float(np.percentile(values, q)) for q in (50, 10, 90))
        name = family(metric)
        if name in SHARE_METRICS:
            error = abs(median - value)  # a difference of shares
        else:
            error = abs(median - value) / abs(value) if value else (0.0 if median == value else float("inf"))
        limit = thresholds[name]
        status = "FAIL" if error > limit.fail else "WARN" if error > limit.warn else "PASS"
        rows.append({"run": run, "metric": metric, "actual": value, "predicted": median, "p10": p10, "p90": p90,
                     "inside_band": bool(p10 - 1e-9 <= value <= p90 + 1e-9), "error": error, "warn": limit.warn,
                     "fail": limit.fail, "status": status})
    return pd.DataFrame(rows)


def drawn_overlay(overlay: dict, estimates: list[fit_history.Estimate], seed: int) -> dict:
    """The fitted overlay with the workforce rates drawn from their intervals (seeded)."""
    rng = np.random.default_rng(seed)
    drawn = copy.deepcopy(overlay)
    for key, target in DRAWN.items():
        found = next((e for e in estimates if e.target == target), None)
        if found is None or not np.isfinite(found.low) or found.z == 0:
            continue
        se = found.z * (found.high - found.low) / (2 * 1.959963984540054)
        node = drawn
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = round(float(np.clip(rng.normal(found.fitted, se), 0.0, 0.95)), 6)
    return drawn


def backtest(paths: list[Path], holdout_year: int, name: str, config_path: Path, settings: fit_settings.Settings,
             out_dir: Path) -> pd.DataFrame:
    snapshots = history.read_history(paths, max_reject_share=settings.fit.max_reject_share,
                                     min_id_overlap=settings.fit.min_id_overlap)
    by_year = {s.year: s for s in snapshots}
    if holdout_year not in by_year:
        raise history.HistoryError(f"no snapshot as of Dec 31 {holdout_year} among {' '.join(map(str, paths))}")
    fitted_on = [s for s in snapshots if s.year < holdout_year]
    if len(fitted_on) < 2:
        raise history.HistoryError(f"the backtest needs two or more snapshots before {holdout_year} to fit on "
                                   f"(got {len(fitted_on)})")
    last, actual = fitted_on[-1], by_year[holdout_year]
    config = simconfig.load(config_path).model
    result = fit_history.fit([s.path for s in fitted_on], config, settings.fit)
    seeds = list(settings.backtest.seeds)
    scenario = f"fitted_{name}"
    overlays = {f"{scenario}_{seed}": drawn_overlay(result.overlay, result.estimates, seed) for seed in seeds}
    # the defaults and the fitted replicates in two working directories, side by side (one dbt each)
    work = out_dir / ".work"
    shutil.rmtree(work, ignore_errors=True)  # fresh run directories: results/backtest
    sim_runner.prepare_workdir(work / "defaults")
    sim_runner.prepare_workdir(work / "fitted", overlays)
    fit_history.write_outputs(result, name, config_path, work / "fitted" / "config" / "scenarios", out_dir / "fit")
    jobs = {"defaults": [("baseline", seed) for seed in seeds],
            "fitted": [(f"{scenario}_{seed}", seed) for seed in seeds]}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {label: pool.submit(sim_runner.simulate, work / label, start=holdout_year, end=holdout_year,
                                      scenarios=sorted({s for s, _ in pairs}), seeds=seeds, census=last.path,
                                      run="backtest", pairs=pairs, cores=1)
                   for label, pairs in jobs.items()}
        runs = {label: future.result() for label, future in futures.items()}

    with_leavers = len(actual.leavers_in(holdout_year)) > 0
    start = last.actives
    actual_metrics = metrics(start, actual.rows, holdout_year, config)
    replicates = []
    for label, pairs in jobs.items():
        for scenario_name, seed in pairs:
            rows = simulated_rows(runs[label].snapshot(scenario_name, seed, holdout_year), with_leavers)
            replicates.append({"run": label, "seed": seed, **metrics(start, rows, holdout_year, config)})
    replicates = pd.DataFrame(replicates)
    scorecard = pd.concat([score(actual_metrics, replicates[replicates["run"] == label], label,
                                 settings.backtest.thresholds) for label in ("fitted", "defaults")], ignore_index=True)
    scorecard = pd.concat([scorecard, age_mix_rows(scorecard, settings.backtest.thresholds)], ignore_index=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    scorecard.to_csv(out_dir / "scorecard.csv", index=False)
    replicates.to_csv(out_dir / "replicates.csv", index=False)
    notes = (f"<p>Fitted on {len(fitted_on)} snapshots ({fitted_on[0].year}-{last.year}); simulated {holdout_year} "
             f"from {last.path} with seeds {', '.join(map(str, seeds))}; actual: {actual.path}. Error: "
             "|median - actual| / actual (age mix: the difference of shares). Fitted replicates draw the growth, "
             "termination and new-hire termination rates from their fitted intervals, one draw per seed; the "
             "defaults replicates differ by seed only. The fit: fit/fit_report.html.</p>")
    (out_dir / "scorecard.html").write_text(fit_report.backtest_html(
        scorecard, f"Backtest: {name}, holdout {holdout_year}", f"history {' '.join(map(str, paths))}", notes))
    return scorecard


def age_mix_rows(scorecard: pd.DataFrame, thresholds: dict[str, fit_settings.Threshold]) -> pd.DataFrame:
    """One age_mix row per run: the largest difference of band shares."""
    rows = []
    for _, group in scorecard[scorecard["metric"].str.startswith("age_mix[")].groupby("run", sort=False):
        worst = group.loc[group["error"].idxmax()]
        limit = thresholds["age_mix"]
        status = "FAIL" if worst["error"] > limit.fail else "WARN" if worst["error"] > limit.warn else "PASS"
        rows.append({**worst.to_dict(), "metric": f"age_mix (largest: {worst['metric'][8:-1]})",
                     "inside_band": bool(group["inside_band"].all()), "status": status})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--history", nargs="+", type=Path, required=True, help="year-end snapshots, oldest first")
    parser.add_argument("--holdout-year", type=int, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--config", type=Path, default=REPO / "config" / "simulation_config.yaml")
    parser.add_argument("--settings", type=Path, help="fit and backtest settings (default config/fit.yaml)")
    parser.add_argument("--seeds", nargs="+", type=int, help="overrides backtest.seeds")
    parser.add_argument("--out", type=Path, help="default results/backtest/<name>")
    args = parser.parse_args(argv)
    try:
        settings = fit_settings.load(args.settings)
        if args.seeds:
            settings = fit_settings.Settings(fit=settings.fit, backtest=fit_settings.BacktestSettings(
                seeds=args.seeds, thresholds=settings.backtest.thresholds))
        out = args.out or REPO / "results" / "backtest" / args.name
        scorecard = backtest(args.history, args.holdout_year, args.name, args.config, settings, out)
    except (history.HistoryError, fit_settings.SettingsError, simconfig.ConfigError, sim_runner.SimulationFailed,
            ValueError) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    for run in ("fitted", "defaults"):
        part = scorecard[(scorecard["run"] == run) & ~scorecard["metric"].str.contains(r"\[")]
        print(f"{run}: " + ", ".join(f"{r.metric} {r.status}" for r in part.itertuples()))
    print(f"scorecard: {out / 'scorecard.csv'} and {out / 'scorecard.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
