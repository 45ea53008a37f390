"""The fit report and the backtest scorecard as self-contained HTML pages (the run report's
page and table helpers)."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from html_report import html_page, html_table

PERCENT_GROUPS = {"workforce", "participation", "hires", "pay"}


def _number(value: float, percent: bool) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{value:.2%}" if percent else f"{value:.4g}"


def fit_html(result, name: str, overlay_path: Path) -> str:
    rows, classes = [], []
    for e in result.estimates:
        percent = e.group in PERCENT_GROUPS and "scale" not in e.name
        rows.append([e.group, e.name, e.target, _number(e.observed, percent),
                     f"{_number(e.low, percent)} - {_number(e.high, percent)}" if math.isfinite(e.low) else "",
                     f"{e.exposure:,.0f} {e.exposure_unit}", _number(e.default, percent), f"{e.z:.2f}",
                     _number(e.fitted, percent), e.note])
        classes.append("" if e.z > 0 else "muted")
    table = html_table(["Group", "Estimate", "Carried by", "Observed", "95 % interval", "Exposure", "Default", "Z",
                        "Fitted", "Note"], rows, numeric={3, 5, 6, 7, 8}, row_classes=classes, table_id="estimates")
    years = result.years
    year_table = html_table(list(years.columns), [[_cell(v) for v in row] for row in years.itertuples(index=False)],
                            table_id="history-years")
    method = (f"<p>Credibility: Z = exposure / (exposure + k) with <b>k = {result.k:g}</b> (exposure in the unit "
              "shown); fitted = Z x observed + (1 - Z) x default. Termination and promotion multipliers are "
              "scaled so their exposure-weighted mean equals the default's; the termination count comes from "
              "the experienced termination rate, which inverts the solver (leavers - P x h) / E.</p>"
              f"<p>Scenario overlay: <code>{overlay_path}</code>; run it with "
              f"<code>make simulate SCENARIOS=\"baseline fitted_{name}\"</code>.</p>")
    return html_page(f"Fit to history: {name}", f"{len(result.files)} snapshots: {' '.join(result.files)}",
                     [("Method", method), ("Estimates", table), ("The history, year by year", year_table)])


def _cell(value) -> str:
    if isinstance(value, float):
        return "" if not math.isfinite(value) else (f"{value:.4f}" if abs(value) < 10 else f"{value:,.0f}")
    return str(value)


def backtest_html(scorecard: pd.DataFrame, title: str, subtitle: str, notes: str) -> str:
    rows, classes = [], []
    for r in scorecard.itertuples(index=False):
        rows.append([r.run, r.metric, _cell(r.actual), _cell(r.predicted), f"{_cell(r.p10)} - {_cell(r.p90)}",
                     "yes" if r.inside_band else "no", f"{r.error:.2%}", f"{r.warn:.0%} / {r.fail:.0%}", r.status])
        classes.append({"FAIL": "fail", "WARN": "warn"}.get(r.status, ""))
    table = html_table(["Run", "Metric", "Actual", "Predicted (median)", "P10 - P90 of seeds", "Actual inside",
                        "Error", "Warn / fail", "Status"], rows, numeric={2, 3, 6}, row_classes=classes,
                       table_id="scorecard")
    return html_page(title, subtitle, [("Scorecard", table), ("How it is scored", notes)])
