"""Seed ensembles: the spread of each metric across seeds, per year, as a table and band charts.

A metric identical in every seed (headcount: the solver hits its target exactly) is
labelled deterministic instead of being drawn as a band of zero width. Each compliance test
has a metric <test>_fail_share: 1 in a seed whose test failed that year (fail or corrected),
else 0, so that its mean over the seeds is the share of seeds in which the test fails.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

import report_breakdowns
import sim_io
import summary_metrics
from simconfig.segments import band_case_sql

TENURE_BANDS = band_case_sql("config_tenure_bands", "employee_tenure")
BAND_CHART_METRICS = ("end_headcount", "hires", "total_terminations", "participation_rate",
                      "net_employer_cost", "average_compensation", "total_plan_assets", "replacement_ratio_median")
BAND_CHART_COLUMNS = 3
QUANTILES = {"p10": 0.10, "p25": 0.25, "p50": 0.50, "p75": 0.75, "p90": 0.90}
FAIL_SHARE = "_fail_share"  # suffix of the compliance metrics: <test>_fail_share


def fail_share_metric(test: str) -> str:
    return f"{test}{FAIL_SHARE}"


def compliance_failures(summary: pd.DataFrame) -> pd.DataFrame:
    """Long rows (simulation_year, metric <test>_fail_share, value) of one seed's summary: 1.0 where the test
    failed (result fail or corrected), 0.0 where it passed or was deemed to pass; none for a summary from
    before compliance testing, NaN where a year has no result."""
    tests = [t for t in report_breakdowns.compliance_tests() if f"{t}_result" in summary.columns]
    frames = [pd.DataFrame({"simulation_year": summary["simulation_year"], "metric": fail_share_metric(test),
                            "value": summary[f"{test}_result"].isin(report_breakdowns.FAILED_RESULTS)
                            .astype(float).where(summary[f"{test}_result"].notna())})
              for test in tests]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["simulation_year", "metric",
                                                                                     "value"])


def seed_metrics(run_dir: Path, seed: int) -> pd.DataFrame:
    """Long table (seed, metric, simulation_year, value) of one run: summary metrics plus
    hires by level, terminations by tenure band and whether each compliance test failed."""
    con = duckdb.connect()
    try:
        summary = con.execute("select * from read_csv_auto(?)", [str(run_dir / "summary.csv")]).df()
        rows = summary.melt(id_vars="simulation_year", value_vars=[m for m in summary_metrics.numeric_metrics() if m in summary],
                            var_name="metric")
        events = str(run_dir / "years" / "*" / "events.parquet")
        detail = con.execute(f"""
            select simulation_year, 'hires_level_' || level_id as metric, count(*) as value
            from read_parquet(?) where event_type = 'hire' group by all
            union all
            select simulation_year, 'terminations_tenure_' || {TENURE_BANDS} as metric, count(*)
            from read_parquet(?) where event_type = 'termination' group by all
        """, [events, events]).df()
    finally:
        con.close()
    frame = pd.concat([rows, detail, compliance_failures(summary)], ignore_index=True)
    frame["seed"] = seed
    frame["value"] = frame["value"].astype(float)
    return frame


def ensemble_table(per_seed: pd.DataFrame) -> pd.DataFrame:
    """mean, sd and P10-P90 of every metric and year across seeds, with a deterministic flag (the mean of
    a <test>_fail_share metric is the share of seeds in which the test failed that year)."""
    grouped = per_seed.groupby(["metric", "simulation_year"]).value
    table = grouped.agg(n_seeds="count", mean="mean", sd="std", minimum="min", maximum="max")
    for name, q in QUANTILES.items():
        table[name] = grouped.quantile(q)
    table["deterministic"] = table["minimum"] == table["maximum"]
    table["sd"] = table["sd"].fillna(0.0)
    return table.reset_index().sort_values(["metric", "simulation_year"]).reset_index(drop=True)


def spread_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per metric: deterministic across seeds, or the widest P10-P90 range."""
    rows = []
    for metric, group in table.groupby("metric"):
        deterministic = bool(group.deterministic.all())
        rows.append({"metric": metric,
                     "spread": "deterministic" if deterministic else "varies across seeds",
                     "max_p10_p90_range": float((group.p90 - group.p10).max())})
    return pd.DataFrame(rows)


def fail_shares(table: pd.DataFrame) -> pd.DataFrame:
    """The share of seeds in which each compliance test failed, per year: rows simulation_year, a column per
    test (report order); empty for runs from before compliance testing."""
    rows = table[table.metric.str.endswith(FAIL_SHARE)]
    if rows.empty:
        return pd.DataFrame()
    shares = rows.pivot(index="simulation_year", columns="metric", values="mean")
    return shares[[fail_share_metric(t) for t in report_breakdowns.compliance_tests() if fail_share_metric(t) in shares]] \
        .rename(columns=lambda m: m.removesuffix(FAIL_SHARE))


def _fail_share_panel(ax, shares: pd.DataFrame, seeds: int) -> None:
    """One line per compliance test: the share of seeds in which it failed (fail or corrected)."""
    from matplotlib.ticker import PercentFormatter

    for i, test in enumerate(shares.columns):
        ax.plot(shares.index, shares[test], marker="os^Dv*"[i % 6], linestyle="-", alpha=0.85,
                label=report_breakdowns.test_label(test))
    ax.set_title(f"compliance tests: share of seeds failing\n(fail or corrected; {seeds} seeds)", fontsize=9)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xticks(list(shares.index))
    ax.tick_params(labelsize=7)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1))
    ax.legend(fontsize=6)


def band_figure(table: pd.DataFrame, title: str):
    """One panel per BAND_CHART_METRICS metric: the median with its P25-P75 and P10-P90 bands; and a panel
    of the share of seeds in which each compliance test fails."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    shares = fail_shares(table)
    panels = len(BAND_CHART_METRICS) + (0 if shares.empty else 1)
    rows = -(-panels // BAND_CHART_COLUMNS)  # as many rows as the panels need
    figure = Figure(figsize=(12, 3.5 * rows))
    axes = figure.subplots(rows, BAND_CHART_COLUMNS).flatten()
    for ax in axes[panels:]:  # spare cells of the grid
        ax.set_visible(False)
    if not shares.empty:
        seeds = int(table[table.metric.str.endswith(FAIL_SHARE)].n_seeds.max())
        _fail_share_panel(axes[len(BAND_CHART_METRICS)], shares, seeds)
    for ax, metric in zip(axes, BAND_CHART_METRICS):
        data = table[table.metric == metric]
        if data.empty:  # a metric this run lacks (a summary from before balances)
            ax.set_visible(False)
            continue
        years = data.simulation_year
        if data.deterministic.all():
            ax.plot(years, data.p50, marker="o", color="tab:blue")
            ax.set_title(f"{metric}\n(deterministic: identical in all {int(data.n_seeds.max())} seeds)", fontsize=9)
        else:
            ax.fill_between(years, data.p10, data.p90, alpha=0.2, color="tab:blue", label="P10-P90")
            ax.fill_between(years, data.p25, data.p75, alpha=0.35, color="tab:blue", label="P25-P75")
            ax.plot(years, data.p50, marker="o", color="tab:blue", label="median")
            ax.set_title(f"{metric}\n({int(data.n_seeds.max())} seeds)", fontsize=9)
            ax.legend(fontsize=7)
        ax.set_xticks(list(years))
        ax.tick_params(labelsize=7)
        # Plan assets run to hundreds of millions: $M (or $k) rather than an offset of 1e8; rates in percent.
        if summary_metrics.unit(metric) == "money":
            scale, suffix = (1e6, "M") if data.p90.abs().max() >= 1e6 else (1e3, "k")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _, s=scale, x=suffix: f"${v / s:,.1f}{x}"))
        elif summary_metrics.unit(metric) == "rate":
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1))  # decimals as the range needs
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def write_band_charts(table: pd.DataFrame, out_dir: Path, title: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    figure = band_figure(table, title)
    paths = []
    for suffix, options in (("png", {"dpi": 110, "metadata": {"Software": None}}),
                            ("svg", {"metadata": {"Date": None}})):
        path = out_dir / f"ensemble_bands.{suffix}"
        figure.savefig(path, format=suffix, **options)
        paths.append(path)
    return paths


def build_ensemble(run_dirs: dict[int, Path], out_dir: Path, scenario: str) -> dict[str, Path]:
    per_seed = pd.concat([seed_metrics(path, seed) for seed, path in sorted(run_dirs.items())], ignore_index=True)
    table = ensemble_table(per_seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {"csv": out_dir / "ensemble_summary.csv", "parquet": out_dir / "ensemble_summary.parquet",
               "spread": out_dir / "ensemble_spread.csv"}
    table.to_csv(outputs["csv"], index=False)
    con = duckdb.connect()
    try:
        con.register("ensemble_table", table)
        sim_io.copy_to_parquet(con, "select * from ensemble_table", outputs["parquet"])
    finally:
        con.close()
    spread_summary(table).to_csv(outputs["spread"], index=False)
    png, svg = write_band_charts(table, out_dir, f"Scenario {scenario}: spread across seeds")
    outputs.update({"png": png, "svg": svg})
    return outputs
