"""Scenario comparison: per-metric variance tables, compliance results side by side, configuration differences,
HTML report and CSV."""
from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd

import report_assumptions
import report_breakdowns
import summary_metrics
from charts import differs
from simconfig import flatten
from html_report import (HEADLINE, chart_figures, column_kind, format_value, html_page, html_table,
                         key_value_table, short_money, year_chunks)

# metric -> how the "period" column sums the years up (fct_year_summary.yml meta `period`)
METRICS = summary_metrics.comparison_periods()
PERIOD = "period"
NOT_SET = "(not set)"  # config value of a key that one side does not have
COMPARISON_CAPTIONS = {f"comparison_{metric}": f"{summary_metrics.label(metric)}, one line per scenario."
                       for metric in summary_metrics.comparison_charts()}


def _series(summary: pd.DataFrame, metric: str, years: list[int]) -> pd.Series:
    if metric not in summary.columns:  # e.g. a summary from before the plan model: blank, not an error
        return pd.Series(float("nan"), index=[*years, PERIOD])
    values = summary.assign(simulation_year=summary["simulation_year"].astype(int)) \
        .set_index("simulation_year")[metric].astype(float).reindex(years)
    how = METRICS[metric]
    present = values.dropna()
    period = (present.iloc[-1] if len(present) else float("nan")) if how == "last" else \
        (present.sum() if how == "sum" else present.mean())
    return pd.concat([values, pd.Series({PERIOD: period})])


def period_values(summary: pd.DataFrame) -> dict[str, float]:
    """Each metric's value for the whole period of one run (the comparison's "period" column)."""
    years = sorted(int(y) for y in summary["simulation_year"])
    return {metric: float(_series(summary, metric, years)[PERIOD]) for metric in METRICS}


def compare_summaries(summaries: dict[str, pd.DataFrame], baseline: str) -> dict[str, pd.DataFrame]:
    """Per metric: rows <baseline>, then per other scenario <scenario>, variance, variance %; columns years + period.

    variance = scenario - baseline; variance % = 100 * variance / baseline (NaN where the baseline is 0).
    period = sum over years for flows and money, mean for rates and averages, last year for end_headcount.
    """
    if baseline not in summaries:
        raise KeyError(f"baseline scenario {baseline!r} not among {list(summaries)}")
    years = sorted({int(y) for frame in summaries.values() for y in frame["simulation_year"]})
    tables = {}
    for metric in METRICS:
        base = _series(summaries[baseline], metric, years)
        rows, labels = [base], [baseline]
        for scenario, frame in summaries.items():
            if scenario == baseline:
                continue
            values = _series(frame, metric, years)
            variance = values - base
            rows += [values, variance, 100 * variance / base.where(base != 0)]
            labels += [scenario, "variance", "variance %"]
        table = pd.DataFrame(rows, index=pd.Index(labels, name="row"))
        table.columns = [*years, PERIOD]
        tables[metric] = table
    return tables


def config_differences(configs: dict[str, dict], baseline: str) -> list[dict]:
    """Rows {key, baseline_value, scenario, scenario_value} for each key whose value differs from the baseline's.

    A key missing on one side has the value NOT_SET there.
    """
    base = flatten(configs[baseline])
    rows = []
    for scenario, config in configs.items():
        if scenario == baseline:
            continue
        flat = flatten(config)
        for key in sorted(base.keys() | flat.keys()):
            left, right = base.get(key, NOT_SET), flat.get(key, NOT_SET)
            # True == 1 in Python, yet a flag turned into a number is a difference.
            if left != right or isinstance(left, bool) != isinstance(right, bool):
                rows.append({"key": key, "baseline_value": left, "scenario": scenario, "scenario_value": right})
    return rows


def compliance_results(summaries: dict[str, pd.DataFrame], baseline: str) -> pd.DataFrame:
    """The result of every compliance test (pass, fail, deemed_pass, corrected) in each scenario: rows
    (simulation_year, test_name) by year, tests in report order; a column per scenario, the baseline first;
    None where a scenario lacks the year or the column (a summary from before compliance testing). Empty
    when no scenario has the compliance columns."""
    scenarios = [baseline, *(s for s in summaries if s != baseline)]
    tests = report_breakdowns.compliance_tests()
    index = pd.MultiIndex.from_tuples([], names=["simulation_year", "test_name"])
    if not any(report_breakdowns.has_compliance(frame) for frame in summaries.values()):
        return pd.DataFrame(index=index, columns=scenarios)
    years = sorted({int(y) for frame in summaries.values() for y in frame["simulation_year"]})
    columns = {}
    for scenario in scenarios:
        frame = summaries[scenario].assign(simulation_year=summaries[scenario]["simulation_year"].astype(int)) \
            .drop_duplicates("simulation_year").set_index("simulation_year")
        columns[scenario] = [frame.at[year, f"{test}_result"] if year in frame.index and f"{test}_result" in frame
                             and not pd.isna(frame.at[year, f"{test}_result"]) else None
                             for year in years for test in tests]
    index = pd.MultiIndex.from_tuples([(year, test) for year in years for test in tests], names=index.names)
    return pd.DataFrame(columns, index=index)


def compliance_flips(results: pd.DataFrame) -> pd.Series:
    """Per row of compliance_results: whether the scenarios' results differ (a flip)."""
    return results.apply(lambda row: len(set(row.tolist())) > 1, axis=1).astype(bool)


def _years_text(years: list[int]) -> str:
    """2025-2027, 2029."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def compliance_flip_sentences(results: pd.DataFrame, baseline: str) -> list[str]:
    """Per scenario with flips: 'safe_harbor against baseline, compliance: ADP test corrected → deemed pass
    (2025-2026); ...'."""
    sentences = []
    for scenario in (s for s in results.columns if s != baseline):
        changes: dict[tuple[str, object, object], list[int]] = {}
        for (year, test), row in results.iterrows():
            if row[baseline] != row[scenario]:
                changes.setdefault((test, row[baseline], row[scenario]), []).append(int(year))
        if changes:
            parts = [f"{report_breakdowns.test_label(test)} {report_breakdowns.result_text(before)} → "
                     f"{report_breakdowns.result_text(after)} ({_years_text(years)})"
                     for (test, before, after), years in changes.items()]
            sentences.append(f"{scenario} against {baseline}, compliance: " + "; ".join(parts) + ".")
    return sentences


def compliance_html(results: pd.DataFrame) -> str:
    """Every year's test results side by side, the rows where the scenarios differ (flips) highlighted."""
    if results.empty:
        return "<p>No compliance tests in these runs.</p>"
    flips = compliance_flips(results)
    scenarios = list(results.columns)
    rows = [[str(year), report_breakdowns.test_label(test), *(report_breakdowns.result_text(v) for v in row),
             "flip" if flips[(year, test)] else ""] for (year, test), row in results.iterrows()]
    share = "%.2f%%" % (56 / len(scenarios))
    intro = (f"<p>{int(flips.sum())} of {len(flips)} results (year and test) differ between the scenarios: the "
             "flips, highlighted. Result: pass, fail, deemed pass (a safe-harbor design) or corrected (failed, then "
             "corrected).</p>" if flips.any() else
             "<p>The scenarios give the same result in every test and every year.</p>")
    return intro + html_table(["Year", "Test", *scenarios, "Differs"], rows, numeric={0},
                              row_classes=["flip" if f else "" for f in flips], cell_class={1: "label"},
                              table_id="compliance-results", widths=["8%", "26%", *([share] * len(scenarios)), "10%"])


def _row_format(metric: str, label: str) -> tuple[str, bool]:
    kind = column_kind(metric)
    if label == "variance":
        return ("points" if kind == "rate" else kind), True
    if label == "variance %":
        return "pct", True
    return kind, False


def metric_table_html(metric: str, table: pd.DataFrame) -> str:
    """Rows baseline, scenario, variance, variance %; columns years and period, split into tables of at most
    YEARS_PER_TABLE columns so that long runs fit the page (ids metric-<metric>, metric-<metric>-2, ...)."""
    html = ""
    for n, chunk in enumerate(year_chunks(list(table.columns))):
        rows, classes = [], []
        for i, (label, values) in enumerate(table[chunk].iterrows()):
            kind, signed = _row_format(metric, label)
            rows.append([label, *(format_value(kind, v, signed) for v in values)])
            classes.append("baseline" if i == 0 else ("variance" if label.startswith("variance") else ""))
        html += html_table(["", *(str(c) for c in chunk)], rows, numeric=set(range(1, len(chunk) + 1)),
                           row_classes=classes, table_id=f"metric-{metric}" + (f"-{n + 1}" if n else ""))
    return html


def _config_value(key: str, value: object) -> str:
    """As the run report's assumptions show it: in the key's unit (6 %, $1,000, 3 years)."""
    if isinstance(value, str) and value == NOT_SET:
        return NOT_SET
    return report_assumptions.assumption(key, value).text()


def differences_html(differences: list[dict]) -> str:
    if not differences:
        return "<p>The scenarios use the same configuration.</p>"
    rows = [[d["key"], _config_value(d["key"], d["baseline_value"]), d["scenario"],
             _config_value(d["key"], d["scenario_value"])]
            for d in differences]
    return html_table(["key", "baseline value", "scenario", "scenario value"], rows,
                      cell_class={0: "key", 1: "wrap", 3: "wrap"}, table_id="config-differences")


def changed_metrics(summaries: dict[str, pd.DataFrame]) -> tuple[list[str], list[str]]:
    """The compared metrics (METRICS) split into (those that differ between the scenarios in some year,
    those equal in every year)."""
    changed = [m for m in METRICS if differs(summaries, m)]
    return changed, [m for m in METRICS if m not in changed]


def _period_text(metric: str, value: float) -> str:
    return short_money(value) if column_kind(metric) == "money" else format_value(column_kind(metric), value)


def _change_text(metric: str, table: pd.DataFrame, scenario: str, baseline: str) -> str:
    """'net employer cost $20.59M -> $28.13M (+36.6 %)' on the period values."""
    base, other = table.at[baseline, PERIOD], table.at[scenario, PERIOD]
    if column_kind(metric) == "rate":
        change = format_value("points", other - base, signed=True)
    else:
        change = f"{(other - base) / base * 100:+.1f} %" if base else format_value(column_kind(metric), other - base,
                                                                                   signed=True)
    return (f"{summary_metrics.label(metric).lower()} {_period_text(metric, base)} → "
            f"{_period_text(metric, other)} ({change})")


def headline(summaries: dict[str, pd.DataFrame], baseline: str, tables: dict[str, pd.DataFrame],
             unchanged: list[str]) -> str:
    """One sentence per scenario: the headline metrics that differ (period values); the compliance results that
    flip; then what is unchanged."""
    years = sorted({int(y) for f in summaries.values() for y in f["simulation_year"]})
    span = f"{years[0]}-{years[-1]}" if years else "no years"
    sentences = []
    for scenario in (s for s in summaries if s != baseline):
        moved = [m for m in METRICS if m not in unchanged and differs({baseline: summaries[baseline],
                                                                       scenario: summaries[scenario]}, m)]
        main = [m for m in HEADLINE if m in moved] or moved[:3]
        if not moved:
            sentences.append(f"{scenario} gives the same results as {baseline} in every compared metric.")
            continue
        rest = len(moved) - len(main)
        sentence = (f"{scenario} against {baseline} over {span}: "
                    + "; ".join(_change_text(m, tables[m], scenario, baseline) for m in main)
                    + (f"; {rest} other metric{'s' if rest > 1 else ''} differ{'' if rest > 1 else 's'}" if rest else ""))
        sentences.append(sentence + ".")
    sentences += compliance_flip_sentences(compliance_results(summaries, baseline), baseline)
    if unchanged:
        sentences.append("Unchanged: " + ", ".join(summary_metrics.label(m).lower() for m in unchanged) + ".")
    return f'<p class="headline" id="headline">{"<br>".join(escape(s) for s in sentences)}</p>'


def unchanged_html(unchanged: list[str], summaries: dict[str, pd.DataFrame], baseline: str,
                   tables: dict[str, pd.DataFrame]) -> str:
    if not unchanged:
        return "<p>Every compared metric differs between the scenarios.</p>"
    rows = [[summary_metrics.label(m), METRICS[m], format_value(column_kind(m), tables[m].at[baseline, PERIOD])]
            for m in unchanged]
    return ("<p>These metrics are the same in every scenario and every year, so they have no chart or table "
            "of variances:</p>" + html_table(["Metric", "Period", "Value (every scenario)"], rows, numeric={2},
                                             table_id="unchanged-metrics"))


def render_comparison_report(summaries: dict[str, pd.DataFrame], baseline: str, differences: list[dict],
                             charts: list[Path], metadata: dict) -> str:
    tables = compare_summaries(summaries, baseline)
    others = [s for s in summaries if s != baseline]
    changed, unchanged = changed_metrics(summaries)
    metric_html = '<div class="metric-grid">' + "".join(
        f"<div><h3>{summary_metrics.label(metric)} <small>(period: {METRICS[metric]})</small></h3>"
        + metric_table_html(metric, tables[metric]) + "</div>" for metric in changed) + "</div>"
    sections = [
        ("Summary", headline(summaries, baseline, tables, unchanged)),
        ("Configuration differences", "<p>What each scenario changes relative to the baseline "
         "(flattened config keys).</p>" + differences_html(differences)),
        ("Charts", "<p>Only the metrics that differ between the scenarios are drawn.</p>"
         + chart_figures(charts, COMPARISON_CAPTIONS)),
        ("Metrics that differ, by year", "<p>variance = scenario - baseline (rates in percentage points); "
         "variance % is relative to the baseline (blank where the baseline is 0). Period: sum over the years "
         "for flows and money, mean for rates and averages, last year for year-end levels ("
         + escape(", ".join(summary_metrics.label(m).lower() for m, how in METRICS.items() if how == "last"))
         + ").</p>"
         + (metric_html if changed else "<p>None.</p>")),
        ("Compliance tests", compliance_html(compliance_results(summaries, baseline))),
        ("Unchanged metrics", unchanged_html(unchanged, summaries, baseline, tables)),
        ("Run metadata", key_value_table(metadata, "run-metadata")),
    ]
    title = f"Scenario comparison: {', '.join(others) or 'no other scenario'} vs {baseline}"
    years = sorted({int(y) for f in summaries.values() for y in f["simulation_year"]})
    subtitle = f"Simulation years {years[0]}-{years[-1]}" if years else "No simulated years"
    return html_page(title, subtitle, sections)


def write_comparison_report(summaries: dict[str, pd.DataFrame], baseline: str, differences: list[dict],
                            charts: list[Path], metadata: dict, path: Path) -> Path:
    """One self-contained HTML file: headline, configuration differences, overlay charts and per-metric
    tables of the metrics that differ, the compliance results side by side with their flips, the unchanged
    metrics, metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_comparison_report(summaries, baseline, differences, charts, metadata), encoding="utf-8")
    return path


def write_comparison_tables(tables: dict[str, pd.DataFrame], out_dir: Path) -> Path:
    """out_dir/comparison_tables.csv: every metric table stacked, columns metric, row, years..., period."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stacked = pd.concat([table.reset_index().assign(metric=metric) for metric, table in tables.items()],
                        ignore_index=True)
    stacked = stacked[["metric", "row", *(c for c in stacked.columns if c not in ("metric", "row"))]]
    path = out_dir / "comparison_tables.csv"
    stacked.to_csv(path, index=False, na_rep="")
    return path
