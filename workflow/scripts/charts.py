"""Run and scenario-comparison charts (PNG + SVG) from a run directory's summary and snapshots."""
from __future__ import annotations

from pathlib import Path

import duckdb
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

import summary_metrics
from report_breakdowns import readiness_target, snapshot_columns, snapshot_files

# Figure objects only (no pyplot): jobs run in threads and pyplot keeps global state.
matplotlib.use("Agg")
# Constant salt: SVG clip-path ids are hashes, so the same data gives the same bytes.
matplotlib.rcParams["svg.hashsalt"] = "workforce-simulation"

DEFERRAL_BUCKETS = ("0-3%", "3-6%", "6-10%", "10%+")
COLORS = {"line": "#1f3b73", "hires": "#2e8b57", "experienced": "#c0392b", "new_hire": "#e67e22",
          "match": "#1f77b4", "core": "#9ecae1", "forfeitures": "#d62728", "net": "#222222",
          "corrective": "#ff7f0e"}
BUCKET_COLORS = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
# Balance columns of the snapshot (sources, then loans outstanding): their sum is the account's closing balance.
BALANCE_SOURCES = {"balance_pre_tax": ("Pre-tax", "#1f77b4"), "balance_roth": ("Roth", "#9467bd"),
                   "balance_after_tax": ("After-tax", "#8c564b"), "balance_match": ("Match", "#2ca02c"),
                   "balance_core": ("Core", "#98df8a"), "balance_rollover": ("Rollover in", "#ff7f0e"),
                   "loan_balance": ("Loans outstanding", "#7f7f7f")}
ACCOUNT_FLOWS = {"investment_earnings": ("Investment earnings", "#2ca02c", "o"),
                 "distributions": ("Distributions", "#1f3b73", "s"), "leakage": ("Leakage", "#d62728", "^")}
READINESS_BIN = 0.05  # histogram bins of 5 % of pay: fixed, so the same data gives the same chart
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v")


def read_summary(run_dir: Path) -> pd.DataFrame:
    return pd.read_csv(Path(run_dir) / "summary.csv").sort_values("simulation_year").reset_index(drop=True)


def deferral_buckets(run_dir: Path) -> pd.DataFrame:
    """Year-end participants (active, participating) per deferral-rate bucket: rows = years, columns = buckets."""
    files = [str(p) for p in sorted(Path(run_dir).glob("years/*/snapshot.parquet"))]
    if not files:
        return pd.DataFrame(columns=list(DEFERRAL_BUCKETS))
    # Rounded so a stored 0.0299999 does not fall in the bucket below 3 %.
    sql = """
        select simulation_year,
               case when r < 0.03 then '0-3%' when r < 0.06 then '3-6%'
                    when r < 0.10 then '6-10%' else '10%+' end as bucket,
               count(*) as participants
        from (select simulation_year, round(deferral_rate, 6) as r
              from read_parquet($files)
              where employment_status = 'active' and participation_status = 'participating')
        group by all"""
    with duckdb.connect() as con:  # own connection: the default one is shared across threads
        counts = con.execute(sql, {"files": files}).df()
    table = counts.pivot_table(index="simulation_year", columns="bucket", values="participants",
                               aggfunc="sum", fill_value=0)
    return table.reindex(columns=list(DEFERRAL_BUCKETS), fill_value=0).sort_index()


def plan_asset_sources(run_dir: Path) -> pd.DataFrame | None:
    """Year-end plan assets by source (columns BALANCE_SOURCES) per year, over every account: employees and
    former employees with a deferred vested balance. None if the snapshots have no balances (older runs)."""
    files = snapshot_files(run_dir)
    if not set(BALANCE_SOURCES) <= snapshot_columns(files):
        return None
    sums = ", ".join(f"coalesce(sum({c}), 0) as {c}" for c in BALANCE_SOURCES)
    with duckdb.connect() as con:
        frame = con.execute(f"select simulation_year, {sums} from read_parquet($files) group by all",
                            {"files": files}).df()
    return frame.astype({"simulation_year": int}).set_index("simulation_year").sort_index()


def replacement_ratios(run_dir: Path) -> tuple[int, pd.Series] | None:
    """(last year, projected total replacement ratio of its year-end actives); None without projections."""
    files = snapshot_files(run_dir)
    if "total_replacement_ratio" not in snapshot_columns(files):
        return None
    sql = """select simulation_year, total_replacement_ratio from read_parquet($files)
             where employment_status = 'active' and total_replacement_ratio is not null
               and simulation_year = (select max(simulation_year) from read_parquet($files))"""
    with duckdb.connect() as con:
        frame = con.execute(sql, {"files": files}).df()
    if frame.empty:
        return None
    return int(frame["simulation_year"].iloc[0]), frame["total_replacement_ratio"].astype(float)


def _money_scale(values: pd.Series) -> tuple[float, str]:
    peak = float(values.abs().max()) if len(values) else 0.0
    for scale, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if peak >= scale:
            return scale, suffix
    return 1.0, ""


def _money_axis(ax, values: pd.Series) -> None:
    scale, suffix = _money_scale(values)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"${v / scale:,.1f}{suffix}" if suffix else f"${v:,.0f}"))


def _year_axis(ax, years: list[int]) -> None:
    ax.set_xticks(range(len(years)), [str(y) for y in years])


def _new_figure(rows: int = 1, height: float = 4.5) -> tuple[Figure, list]:
    fig = Figure(figsize=(8, height), dpi=110, layout="constrained")
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    for ax in axes:
        ax.grid(axis="y", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, list(axes)


def _save(fig: Figure, out_dir: Path, stem: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{stem}.png", out_dir / f"{stem}.svg"
    # No Software/Date metadata: reruns on the same data give identical files.
    fig.savefig(png, format="png", metadata={"Software": None})
    fig.set_layout_engine("none")  # keep the layout just computed: the SVG needs the same one (saves ~40 %)
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return [png, svg]


def zero_based(ax) -> None:
    """Amounts and rates start at zero, so a 1.5 % difference looks like one (the top keeps its margin)."""
    low, high = ax.get_ylim()
    low, high = min(0.0, low), max(high, 0.0)
    ax.set_ylim(low, high + 0.06 * (high - low) if high > low else 1.0)


def headcount_figure(summary: pd.DataFrame) -> Figure:
    years = summary["simulation_year"].tolist()
    x = list(range(len(years)))
    fig, (top, bottom) = _new_figure(2, 6)
    top.plot(x, summary["end_headcount"], marker="o", color=COLORS["line"], label="Year-end headcount")
    top.set_title("Headcount and workforce flows")
    top.set_ylabel("Employees")
    top.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    zero_based(top)
    top.legend(loc="lower right", frameon=False)
    width = 0.27
    flows = (("hires", "Hires", "hires"), ("experienced_terminations", "Experienced terminations", "experienced"),
             ("new_hire_terminations", "New-hire terminations", "new_hire"))
    for i, (column, label, color) in enumerate(flows):
        bottom.bar([v + (i - 1) * width for v in x], summary[column], width, label=label, color=COLORS[color])
    bottom.set_ylim(0, summary[[f[0] for f in flows]].to_numpy().max() * 1.25)  # room for the legend
    bottom.set_ylabel("Employees per year")
    bottom.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    bottom.legend(loc="upper left", frameon=False, ncols=3, fontsize="small")
    _year_axis(bottom, years)
    return fig


def pay_figure(summary: pd.DataFrame) -> Figure:
    years = summary["simulation_year"].tolist()
    x = list(range(len(years)))
    fig, (top, bottom) = _new_figure(2, 6)
    top.plot(x, summary["average_compensation"], marker="o", color=COLORS["line"], label="Average compensation")
    top.set_title("Compensation")
    _money_axis(top, summary["average_compensation"])
    zero_based(top)
    top.legend(loc="lower right", frameon=False)
    bottom.bar(x, summary["total_compensation"], 0.6, color="#6baed6", label="Total compensation (prorated)")
    _money_axis(bottom, summary["total_compensation"])
    bottom.set_ylim(0, float(summary["total_compensation"].max() or 1) * 1.2)  # room for the legend
    bottom.legend(loc="upper left", frameon=False)
    _year_axis(bottom, years)
    return fig


def participation_figure(summary: pd.DataFrame, buckets: pd.DataFrame) -> Figure:
    years = summary["simulation_year"].tolist()
    x = list(range(len(years)))
    fig, (top, bottom) = _new_figure(2, 6)
    top.plot(x, summary["participation_rate"], marker="o", color=COLORS["line"], label="Participation rate")
    top.set_title("Participation and deferral rates")
    top.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    top.set_ylim(0, 1)
    top.legend(loc="lower right", frameon=False)
    # Shares rather than counts: the distribution stays readable while headcount grows.
    counts = buckets.reindex(years, fill_value=0)
    totals = counts.sum(axis=1).where(lambda s: s > 0, 1)
    base = [0.0] * len(years)
    for bucket, color in zip(DEFERRAL_BUCKETS, BUCKET_COLORS):
        share = (counts[bucket] / totals).tolist()
        bottom.bar(x, share, 0.6, bottom=base, color=color, label=f"deferral {bucket}")
        base = [b + s for b, s in zip(base, share)]
    bottom.set_ylabel("Share of participants")
    bottom.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    bottom.set_ylim(0, 1)
    bottom.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False, ncols=4, fontsize="small")
    _year_axis(bottom, years)
    return fig


def employer_cost_figure(summary: pd.DataFrame) -> Figure:
    years = summary["simulation_year"].tolist()
    x = list(range(len(years)))
    fig, (ax,) = _new_figure(1, 4.5)
    match, core, forfeitures = summary["employer_match"], summary["employer_core"], summary["forfeitures"]
    ax.bar(x, match, 0.6, color=COLORS["match"], label="Match")
    ax.bar(x, core, 0.6, bottom=match, color=COLORS["core"], label="Core")
    # The compliance corrections' employer money (QNEC, QMAC, top-heavy minimum), where a year has any.
    corrective = summary.get("corrective_contributions", pd.Series(0.0, index=summary.index)).fillna(0.0)
    if (corrective > 0).any():
        ax.bar(x, corrective, 0.6, bottom=match + core, color=COLORS["corrective"],
               label=summary_metrics.label("corrective_contributions"))
    # Forfeitures reduce the cost, so they are drawn below zero.
    ax.bar(x, -forfeitures, 0.6, color=COLORS["forfeitures"], label="Forfeitures (offset)")
    ax.plot(x, summary["net_employer_cost"], marker="o", color=COLORS["net"], label="Net employer cost")
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_title("Employer cost by type")
    _money_axis(ax, match + core + corrective)
    zero_based(ax)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), frameon=False, ncols=4, fontsize="small")
    _year_axis(ax, years)
    return fig


def plan_assets_figure(summary: pd.DataFrame, sources: pd.DataFrame) -> Figure:
    years = summary["simulation_year"].astype(int).tolist()
    x = list(range(len(years)))
    fig, (top, bottom) = _new_figure(2, 6)
    sources = sources.reindex(years, fill_value=0.0)
    base = np.zeros(len(years))
    for column, (label, color) in BALANCE_SOURCES.items():
        top.bar(x, sources[column], 0.6, bottom=base, color=color, label=label)
        base = base + sources[column].to_numpy(float)
    top.set_title("Plan assets by source (year end)")
    _money_axis(top, pd.Series(base))
    zero_based(top)
    top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small")
    flows = [c for c in ACCOUNT_FLOWS if c in summary.columns]
    for column in flows:
        label, color, marker = ACCOUNT_FLOWS[column]
        bottom.plot(x, summary[column], marker=marker, color=color, label=label)
    values = pd.concat([summary[c] for c in flows]) if flows else pd.Series([0.0])
    # From zero; below it only for a year of negative earnings (stochastic returns), then with a zero line.
    low, high = min(0.0, float(values.min()) * 1.1), max(float(values.max()) * 1.1, 0.0)
    bottom.set_ylim(low, high if high > low else 1.0)
    if low < 0:
        bottom.axhline(0, color="#888888", linewidth=0.8)
    bottom.set_ylabel("Per year")
    _money_axis(bottom, values)
    bottom.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small")
    _year_axis(bottom, years)
    return fig


def readiness_figure(year: int, ratios: pd.Series, target: float) -> Figure:
    fig, (ax,) = _new_figure(1, 4.5)
    top = max(float(ratios.max()), target)
    # Rounded edges: a ratio exactly at the target falls in the bin from the target up, as it counts as on track.
    bins = np.round(np.arange(int(top / READINESS_BIN) + 2) * READINESS_BIN, 6)
    ax.hist(ratios, bins=bins, color="#6baed6", edgecolor="white", linewidth=0.5, label="Actives")
    on_track = float((ratios >= target).mean())
    ax.axvline(target, color="#d62728", linestyle="--", linewidth=1.6,
               label=f"Target {target:.0%} ({on_track:.1%} at or above)")
    ax.set_title(f"Projected replacement ratio of actives, {year}")
    ax.set_xlabel("Replacement ratio at retirement (share of final pay)")
    ax.set_ylabel("Actives")
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0, bins[-1])
    zero_based(ax)
    ax.legend(loc="upper right", frameon=False, fontsize="small")
    return fig


def run_figures(run_dir: Path, config: dict | None = None) -> dict[str, Figure]:
    """The run charts by name: headcount, pay, participation, employer_cost, and where the run has balances
    plan_assets and readiness (the target line from config, 0.70 without one)."""
    summary = read_summary(run_dir)
    figures = {"headcount": headcount_figure(summary), "pay": pay_figure(summary),
               "participation": participation_figure(summary, deferral_buckets(run_dir)),
               "employer_cost": employer_cost_figure(summary)}
    sources = plan_asset_sources(run_dir)
    if sources is not None:
        figures["plan_assets"] = plan_assets_figure(summary, sources)
    ratios = replacement_ratios(run_dir)
    if ratios is not None:
        figures["readiness"] = readiness_figure(*ratios, readiness_target(config))
    return figures


def make_run_charts(run_dir: Path, out_dir: Path, config: dict | None = None) -> list[Path]:
    """The run_figures charts, each as .png and .svg."""
    out_dir = Path(out_dir)
    return [path for stem, fig in run_figures(Path(run_dir), config).items() for path in _save(fig, out_dir, stem)]


def differs(summaries: dict[str, pd.DataFrame], metric: str) -> bool:
    """Whether any scenario's values of a metric differ from another's in some year (relative 1e-9)."""
    series = [frame.assign(simulation_year=frame["simulation_year"].astype(int)).set_index("simulation_year")[metric]
              .astype(float).sort_index() for frame in summaries.values() if metric in frame.columns]
    if len(series) < 2:
        return False
    for other in series[1:]:
        a, b = pd.concat([series[0], other], axis=1).to_numpy().T
        if (np.isnan(a) != np.isnan(b)).any():  # a year one scenario has and the other lacks
            return True
        if (np.abs(a - b) > 1e-9 * np.maximum(np.abs(a), 1.0)).any():  # NaN - NaN compares False
            return True
    return False


def comparison_figure(summaries: dict[str, pd.DataFrame], metric: str) -> Figure:
    """One line per scenario, the y-axis from zero."""
    years = sorted({int(y) for frame in summaries.values() for y in frame["simulation_year"]})
    position = {year: i for i, year in enumerate(years)}
    fig, (ax,) = _new_figure(1, 4.2)
    for i, (scenario, frame) in enumerate(summaries.items()):
        if metric not in frame.columns:
            continue
        frame = frame.sort_values("simulation_year")
        # Distinct dashes and markers: scenarios with equal values would otherwise hide each other.
        ax.plot([position[int(y)] for y in frame["simulation_year"]], frame[metric],
                color=PALETTE[i % len(PALETTE)], linestyle=LINESTYLES[i % len(LINESTYLES)],
                marker=MARKERS[i % len(MARKERS)], linewidth=2.4 if i == 0 else 1.6, label=scenario)
    ax.set_title(summary_metrics.label(metric))
    if summary_metrics.unit(metric) == "rate":
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    elif summary_metrics.unit(metric) == "count":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        _money_axis(ax, pd.concat([f[metric] for f in summaries.values() if metric in f.columns]))
    zero_based(ax)
    ax.legend(frameon=False, fontsize="small", loc="lower right")
    _year_axis(ax, years)
    return fig


def make_comparison_charts(summaries: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """One chart per charted summary metric (fct_year_summary.yml meta `chart`) whose values differ between
    the scenarios, one line per scenario: comparison_<metric>.png/.svg. Metrics equal in every scenario
    get no chart (the comparison report lists them as unchanged)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)  # the rule's output directory, even when nothing differs
    paths: list[Path] = []
    for metric in summary_metrics.comparison_charts():
        if differs(summaries, metric):
            paths += _save(comparison_figure(summaries, metric), out_dir, f"comparison_{metric}")
    return paths


def _metric_axis(axis, metric: str, values: pd.Series) -> None:
    unit = summary_metrics.unit(metric)
    if unit == "rate":
        axis.set_major_formatter(PercentFormatter(xmax=1, decimals=1))
    elif unit == "money":
        scale, suffix = _money_scale(values)
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"${v / scale:,.1f}{suffix}"))
    else:
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.2f}"))


def pareto_chart(table: pd.DataFrame, objectives: list[str], out_dir: Path) -> list[Path]:
    """pareto.png/.svg of a plan-design sweep: each candidate at its first two objectives (with one objective,
    against participation), the feasible ones in colour, the infeasible grey, the first Pareto front joined.
    The axes span the designs, not zero: the chart is for the trade-off between close designs."""
    x, y = (objectives + ["participation_rate" if objectives[0] != "participation_rate" else "net_employer_cost"])[:2]
    fig, (ax,) = _new_figure(1, 5.0)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    feasible = table[table["feasible"].astype(bool)]
    infeasible = table[~table["feasible"].astype(bool)]
    ax.scatter(infeasible[x], infeasible[y], marker="x", color="#999999", label="fails a constraint")
    ax.scatter(feasible[x], feasible[y], color=COLORS["line"], label="meets the constraints", zorder=3)
    front = feasible[feasible["pareto_front"] == 1].sort_values(x)
    if len(front):
        ax.plot(front[x], front[y], color=COLORS["experienced"], linewidth=1.6, zorder=2, label="Pareto front")
    # designs with the same outcome share one label (say, escalation caps above the match ceiling); labels
    # alternate above and below the points, so neighbours do not write over each other
    labels = table.groupby([x, y], sort=True)["candidate"].agg(", ".join)
    for i, ((at_x, at_y), names) in enumerate(labels.items()):
        ax.annotate(names, (at_x, at_y), textcoords="offset points", xytext=(4, 5 if i % 2 == 0 else -12),
                    fontsize="x-small")
    ax.set_xlabel(summary_metrics.label(x) + (" (period)" if x in summary_metrics.comparison_periods() else ""))
    ax.set_ylabel(summary_metrics.label(y) + (" (period)" if y in summary_metrics.comparison_periods() else ""))
    _metric_axis(ax.xaxis, x, table[x])
    _metric_axis(ax.yaxis, y, table[y])
    ax.legend(frameon=False, fontsize="small")
    ax.set_title("Plan designs: " + summary_metrics.label(x).lower() + " against " + summary_metrics.label(y).lower())
    return _save(fig, out_dir, "pareto")
