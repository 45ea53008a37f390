"""Self-contained HTML report of one run (inline CSS, charts as data: URIs, no scripts, no network)."""
from __future__ import annotations

import base64
import json
import math
from html import escape
from pathlib import Path

import pandas as pd

import summary_metrics
from runs import census_dir

# Key figures in two tables (workforce, plan) so each fits the page width; one row per year.
KEY_FIGURE_GROUPS = ("workforce", "plan")
CAPTIONS = {
    "headcount": "Year-end headcount (line) and the year's hires, experienced terminations and new-hire "
                 "terminations (bars).",
    "pay": "Average compensation of the year's workforce (line) and total compensation for the year (bars).",
    "participation": "Participation rate of eligible actives (line) and the distribution of active participants' "
                     "year-end deferral rates in buckets 0-3 %, 3-6 %, 6-10 % and 10 %+ (bars, share of participants).",
    "employer_cost": "Employer match and core contributions (stacked bars; corrective contributions on top in "
                     "a year that has them), forfeitures that offset them (below zero) and the net employer cost "
                     "(line).",
    "plan_assets": "Plan assets on Dec 31 by source, loans outstanding included (stacked bars; every account, "
                   "former employees' deferred vested accounts too), and the year's investment earnings, "
                   "distributions and leakage (cash-outs plus loan offsets; lines).",
    "readiness": "Projected replacement ratio at retirement of the last year's actives (bins of 5 % of final pay) "
                 "and the target (dashed line).",
}
# Charts shown in the balances and readiness section rather than under Charts.
BALANCE_CHARTS = ("plan_assets", "readiness")
# Accounts figures in tables of their own: the forfeitures and their use; distributions by type and vesting.
FORFEITURE_USE = ("forfeitures", "forfeitures_used_for_contributions", "forfeitures_used_for_expenses",
                  "forfeiture_account_opening", "forfeiture_account_closing")
ACCOUNT_DETAIL = ("cash_distributions", "rollover_distributions", "loan_offsets", "force_outs", "vested_plan_assets")
# Compliance figures of the summary shown as counts at the end of the results table, and the employer money of
# the corrections, shown last in the corrections table (the other corrective amounts are the compliance group's
# money columns).
COMPLIANCE_COUNTS = ("compliance_tests_failed", "key_employee_actives")
CORRECTIVE_CONTRIBUTIONS = "corrective_contributions"
# Belt and braces for "opens offline": the browser refuses anything but inline styles and data: images.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #222;
       margin: 2rem auto; max-width: 1200px; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { border-bottom: 2px solid #1f3b73; padding-bottom: .2rem;
     margin-top: 2.2rem; font-size: 1.25rem; } h3 { font-size: 1.05rem; margin-top: 1.4rem; }
.subtitle { color: #555; margin-top: 0; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .86rem; }
table.full { width: calc(100% - 1px); table-layout: fixed; }  /* 1px: the collapsed outer border */
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; vertical-align: top; }
th { background: #eef2f7; text-align: left; font-weight: 600; hyphens: auto; overflow-wrap: break-word; }
th.num { text-align: right; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafbfc; }
td.key { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .8rem; overflow-wrap: anywhere; }
td.wrap { overflow-wrap: anywhere; }
td.label { white-space: normal; }
.breakdown-note { font-size: .9rem; color: #333; }
.headline { font-size: 1.05rem; background: #f3f6fb; border-left: 4px solid #1f3b73; padding: .6rem .9rem; }
.plan-design { font-size: 1.05rem; }
tr.variance td { color: #444; } tr.baseline td { font-weight: 600; }
tr.flip td { background: #fff8c5; font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 1.2rem; }
.metric-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 0 1.5rem; }
figure { margin: 0; border: 1px solid #e1e4e8; padding: .6rem; background: #fff; }
figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: .85rem; color: #444; margin-top: .4rem; }
.ok { color: #1a7f37; font-weight: 600; } .fail { color: #cf222e; font-weight: 600; }
.note { background: #fff8c5; border: 1px solid #d4a72c; padding: .5rem .7rem; font-size: .88rem;
        word-break: break-word; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10pt; }
  table { font-size: 8pt; } td.key { font-size: 7.5pt; } th, td { padding: .15rem .25rem; }
  .charts, .metric-grid { display: block; }
  figure, tr, .headline { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""
# Years per table of the key figures: more years are split into further tables so each fits the page.
YEARS_PER_TABLE = 6


def column_kind(column: str) -> str:
    """count | money | rate | year | text (fct_year_summary.yml meta; other columns are counts)."""
    return summary_metrics.unit(column)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def format_value(kind: str, value: object, signed: bool = False) -> str:
    """Display text: count 1,234 / money $1,234 / rate 12.34% / points +1.20 pp / pct +5.00% / year 2025."""
    if _missing(value):
        return "–"
    if kind not in ("count", "money", "rate", "points", "pct", "year") or isinstance(value, (str, bool)):
        return str(value)
    number = float(value)
    sign = "+" if signed and number > 0 else ""
    if kind == "year":
        return str(int(number))
    if kind == "count":
        return f"{sign}{number:,.0f}"
    if kind == "money":
        return f"{sign}{'-' if number < 0 else ''}${abs(number):,.0f}"
    if kind == "rate":
        return f"{sign}{number * 100:,.2f}%"
    if kind == "points":
        return f"{sign}{number * 100:,.2f} pp"
    return f"{sign}{number:,.2f}%"  # pct: already a percentage


def text(value: object) -> str:
    """Any value as escaped text; dicts and lists as JSON."""
    if value is None:
        return "null"
    if isinstance(value, (dict, list, tuple)):
        value = json.dumps(value, default=str)
    return escape(str(value), quote=True)


def html_table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset(),
               row_classes: list[str] | None = None, cell_class: dict[int, str] | None = None,
               table_id: str | None = None, widths: list[str] | None = None) -> str:
    """Rows are already-formatted text (escaped here); numeric = column positions aligned right;
    widths (CSS widths per column) give a full-width table of fixed layout, whose cells wrap."""
    cell_class = cell_class or {}

    def cls(i: int) -> str:
        names = " ".join(filter(None, ["num" if i in numeric else "", cell_class.get(i, "")]))
        return f' class="{names}"' if names else ""

    head = "".join(f"<th{cls(i)}>{escape(h)}</th>" for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        klass = f' class="{escape(row_classes[r])}"' if row_classes and row_classes[r] else ""
        body.append(f"<tr{klass}>" + "".join(f"<td{cls(i)}>{escape(str(c))}</td>" for i, c in enumerate(row))
                    + "</tr>")
    ident = f' id="{escape(table_id)}"' if table_id else ""
    layout = ' class="full"' if widths else ""
    columns = "<colgroup>" + "".join(f'<col style="width:{escape(w)}">' for w in widths) + "</colgroup>" \
        if widths else ""
    return (f'<div class="scroll"><table{ident}{layout}>{columns}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def key_value_table(values: dict, table_id: str | None = None) -> str:
    rows = [[str(k), "null" if v is None else (json.dumps(v, default=str) if isinstance(v, (dict, list, tuple))
                                                 else str(v))] for k, v in values.items()]
    return html_table(["Key", "Value"], rows, cell_class={0: "key", 1: "wrap"}, table_id=table_id,
                      widths=["32%", "68%"])


def chart_figures(charts: list[Path], captions: dict[str, str]) -> str:
    """One <figure> per chart name, SVG preferred over PNG; embedded as data: URIs (each SVG keeps its own ids)."""
    chosen: dict[str, Path] = {}
    for chart in map(Path, charts):
        if chart.suffix.lower() in (".svg", ".png") and (chart.stem not in chosen or chart.suffix.lower() == ".svg"):
            chosen[chart.stem] = chart
    # Known charts in caption order, then any others in the order given.
    order = {stem: i for i, stem in enumerate(captions)}
    figures = []
    for stem, chart in sorted(chosen.items(), key=lambda item: order.get(item[0], len(order))):
        mime = "image/svg+xml" if chart.suffix.lower() == ".svg" else "image/png"
        data = base64.b64encode(chart.read_bytes()).decode("ascii")
        caption = captions.get(stem, stem.replace("_", " "))
        figures.append(f'<figure id="chart-{escape(stem)}"><img src="data:{mime};base64,{data}" '
                       f'alt="{escape(caption)}"><figcaption>{escape(caption)}</figcaption></figure>')
    return f'<div class="charts">{"".join(figures)}</div>' if figures else "<p>No charts.</p>"


def html_page(title: str, subtitle: str, sections: list[tuple[str, str]]) -> str:
    """sections: (heading, html body) pairs; heading is escaped, body is trusted (built by these helpers)."""
    body = "".join(f"<section><h2>{escape(h)}</h2>{b}</section>" for h, b in sections)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            f'<h1>{escape(title)}</h1><p class="subtitle">{escape(subtitle)}</p>{body}</body></html>\n')


# Derived per-head figures of the key-figure table: name -> (label, numerator, divisor).
PER_HEAD = {
    "cost_per_participant": ("Net employer cost per participant", "net_employer_cost", "participating_eligible_actives"),
    "cost_per_employee": ("Net employer cost per employee", "net_employer_cost", "end_headcount"),
}
# The five numbers of the headline, first year against last.
HEADLINE = ("end_headcount", "participation_rate", "average_deferral_rate", "net_employer_cost",
            "employer_cost_share_of_payroll")


def with_per_head(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with the PER_HEAD columns (blank where the divisor is 0)."""
    summary = summary.copy()
    for name, (_, numerator, divisor) in PER_HEAD.items():
        if numerator in summary.columns and divisor in summary.columns:
            summary[name] = summary[numerator] / summary[divisor].where(summary[divisor] > 0)
    return summary


def metric_label(column: str) -> str:
    return PER_HEAD[column][0] if column in PER_HEAD else summary_metrics.label(column)


def metric_unit(column: str) -> str:
    """A column's display unit: its meta unit, money for PER_HEAD, percentage points for the compliance margins
    (a limit less a ratio)."""
    if column in PER_HEAD:
        return "money"
    if column.endswith("_margin") and column in summary_metrics.group("compliance"):
        return "points"
    return column_kind(column)


def year_chunks(years: list, size: int = YEARS_PER_TABLE) -> list[list]:
    return [years[i:i + size] for i in range(0, len(years), size)] or [[]]


def transposed_tables(frame: pd.DataFrame, columns: list[str], table_id: str) -> str:
    """Metrics as rows and years as columns, split into tables of at most YEARS_PER_TABLE years."""
    frame = frame.set_index("simulation_year")
    html = ""
    for i, chunk in enumerate(year_chunks(frame.index.tolist())):
        rows = [[metric_label(c), *(format_value(metric_unit(c), frame.at[y, c]) for y in chunk)] for c in columns]
        ident = table_id if i == 0 else f"{table_id}-{i + 1}"
        html += html_table(["", *(str(y) for y in chunk)], rows, numeric=set(range(1, len(chunk) + 1)),
                           cell_class={0: "label"}, table_id=ident)
    return html


def key_figures(summary: pd.DataFrame) -> str:
    summary = with_per_head(summary)
    html = ""
    for name in KEY_FIGURE_GROUPS:
        columns = [c for c in summary_metrics.group(name) if c in summary.columns and c != "simulation_year"]
        if name == "plan":
            columns += [c for c in PER_HEAD if c in summary.columns]
        html += f"<h3>{name.capitalize()}</h3>" + transposed_tables(summary, columns, f"summary-{name}")
    per_head = ", ".join(f"{label.lower()} = {summary_metrics.label(n).lower()} / "
                         f"{summary_metrics.label(d).lower()}" for label, n, d in PER_HEAD.values())
    return html + f"<p>{escape(per_head.capitalize())} (year-end).</p>"


def short_money(value: float) -> str:
    """$7.39M, $544k, $950."""
    if _missing(value):
        return "–"
    for scale, suffix, decimals in ((1e9, "bn", 2), (1e6, "M", 2), (1e3, "k", 0)):
        if abs(value) >= scale:
            return f"{'-' if value < 0 else ''}${abs(value) / scale:,.{decimals}f}{suffix}"
    return format_value("money", value)


def _level(kind: str, value: float) -> str:
    return short_money(value) if kind == "money" else format_value(kind, value)


def movement(column: str, first: float, last: float) -> str:
    """'net employer cost rises from $6.34M to $7.39M (+16.6 %)'; rates move in percentage points."""
    kind = column_kind(column)
    name = summary_metrics.label(column).lower()
    if _missing(first) or _missing(last):
        return f"{name}: {_level(kind, last)}"
    if abs(last - first) <= 1e-12 * max(1.0, abs(first)):
        return f"{name} stays at {_level(kind, last)}"
    verb = "rises" if last > first else "falls"
    change = (format_value("points", last - first, signed=True) if kind == "rate" else
              f"{(last - first) / first * 100:+.1f} %" if first else "")
    return f"{name} {verb} from {_level(kind, first)} to {_level(kind, last)}" + (f" ({change})" if change else "")


def headline(summary: pd.DataFrame) -> str:
    """The five numbers that matter, first year against last (or the one year)."""
    columns = [c for c in HEADLINE if c in summary.columns]
    if summary.empty or not columns:
        return "<p>No simulated years.</p>"
    first, last = summary.iloc[0], summary.iloc[-1]
    start, end = int(first["simulation_year"]), int(last["simulation_year"])
    if start == end:
        parts = [f"{summary_metrics.label(c).lower()} {_level(column_kind(c), last[c])}" for c in columns]
        sentence = f"In {end}: " + "; ".join(parts) + "."
    else:
        parts = [movement(c, float(first[c]), float(last[c])) for c in columns]
        sentence = f"From {start} to {end}, " + "; ".join(parts) + "."
    return f'<p class="headline" id="headline">{escape(sentence[0].upper() + sentence[1:])}</p>'


def plan_design(config: dict) -> str:
    import report_plan_text

    formula = (config.get("employer_match", {}).get("formulas") or {}).get(
        config.get("employer_match", {}).get("active_formula"), {})
    name = formula.get("name") or config.get("employer_match", {}).get("active_formula")
    html = f'<p class="plan-design" id="plan-design">{escape(report_plan_text.plan_design_sentence(config))}</p>'
    if name:
        html += f"<p>Match formula in force: {text(name)} (<code>employer_match.active_formula</code>).</p>"
    return html


def breakdowns_html(run_dir: Path) -> str:
    """Participation, deferral and employer cost of the last year's year-end actives by band."""
    import report_breakdowns

    tables = report_breakdowns.breakdowns(run_dir)
    years = sorted({int(y) for t in tables.values() for y in t["simulation_year"]})
    if not years:
        return "<p>No snapshots found.</p>"
    year = years[-1]
    columns = list(report_breakdowns.COLUMNS)
    html = (f"<p>Year-end actives of {year} (every year is in the workbook). Participation rate = participating / "
            "eligible; the average deferral rate is over participants; employer cost = match + core of these "
            "employees (money of the year's leavers is in no band); per employee = per year-end active.</p>")
    for banding, table in tables.items():
        # Totals in $k/$M so that nine columns fit a printed page; per-head costs in dollars.
        rows = [[r["band"], *(short_money(r[c]) if c in ("employee_deferrals", "employer_cost") else
                              format_value(report_breakdowns.COLUMNS[c][1], r[c]) for c in columns)]
                for r in table[table["simulation_year"] == year].to_dict("records")]
        title = report_breakdowns.title(banding)
        headers = [title, *(report_breakdowns.SHORT_LABELS[c] for c in columns)]
        html += f"<h3>By {escape(title[0].lower() + title[1:])}</h3>" + html_table(
            headers, rows, numeric=set(range(1, len(headers))), cell_class={0: "label"},
            table_id=f"breakdown-{banding}", widths=["16%", *(["%.2f%%" % (84 / len(columns))] * len(columns))])
    return html


def opening_balances_note(run_dir: Path, first_year: object) -> str:
    report = _read_json(census_dir(run_dir) / "census_report.json")
    if report is None:
        return "<p>No census report found: where the opening balances come from is not recorded.</p>"
    # No balance_columns (a census report from before balances) means no balances were read either.
    columns = [str(c) for c in report.get("balance_columns") or []]
    sentence = (f"Opening balances come from the census columns {', '.join(columns)}." if columns else
                f"The census gives no account balances: every account starts at zero in {first_year}.")
    return f'<p id="opening-balances">{escape(sentence)}</p>'


def forfeitures_note(summary: pd.DataFrame, config: dict) -> str:
    """How the period's forfeitures were used, in one sentence (the yearly figures are in the table)."""
    needed = ("forfeitures", "forfeitures_used_for_contributions", "forfeitures_used_for_expenses",
              "forfeiture_account_closing")
    if summary.empty or not all(c in summary.columns for c in needed):
        return ""
    start, end = int(summary["simulation_year"].iloc[0]), int(summary["simulation_year"].iloc[-1])
    span = str(end) if start == end else f"{start}-{end}"
    settings = config.get("forfeitures") or {}
    how = ", ".join(f"{k} {v}" for k, v in settings.items() if k in ("use", "timing"))
    sentence = (f"Forfeitures {span}: {short_money(summary['forfeitures'].sum())}; used for employer "
                f"contributions {short_money(summary['forfeitures_used_for_contributions'].sum())}, for plan "
                f"expenses {short_money(summary['forfeitures_used_for_expenses'].sum())}; "
                f"{short_money(summary['forfeiture_account_closing'].iloc[-1])} left in the forfeiture account "
                f"on Dec 31, {end}" + (f" (forfeitures: {how})" if how else "") + ".")
    return f'<p id="forfeiture-use">{escape(sentence)}</p>'


def readiness_note(config: dict, target: float) -> str:
    settings = config.get("retirement_readiness") or {}
    social_security = settings.get("include_social_security", False)
    parts = [f"Each active's balance is projected to age {settings.get('normal_retirement_age', '?')} "
             f"(return {format_value('rate', settings.get('expected_return'))} a year, pay growth "
             f"{format_value('rate', settings.get('pay_growth'))}) and turned into yearly income with an annuity "
             f"factor of {settings.get('annuity_factor', '?')}",
             "the replacement ratio is that income" + (" plus the estimated Social Security benefit"
                                                        if social_security else "") + " over final pay",
             f"on track = at or above the target of {format_value('rate', target)}"]
    return f"<p>{escape('; '.join(parts))}.</p>"


def readiness_by_band_html(run_dir: Path, target: float) -> str:
    import report_breakdowns

    tables = report_breakdowns.readiness_breakdowns(run_dir, target)
    years = sorted({int(y) for t in tables.values() for y in t["simulation_year"]})
    if not years:
        return "<p>No projected replacement ratios in the snapshots.</p>"
    year, columns = years[-1], report_breakdowns.READINESS_COLUMNS
    html = (f"<p>Year-end actives of {year} (every year is in the workbook); medians and the share at or above "
            "the target are over actives with a projection.</p>")
    for banding, table in tables.items():
        rows = [[r["band"], *(format_value(unit, r[c]) for c, (_, unit) in columns.items())]
                for r in table[table["simulation_year"] == year].to_dict("records")]
        title = report_breakdowns.title(banding)
        html += f"<h3>Readiness by {escape(title[0].lower() + title[1:])}</h3>" + html_table(
            [title, *(label for label, _ in columns.values())], rows, numeric=set(range(1, len(columns) + 1)),
            cell_class={0: "label"}, table_id=f"readiness-{banding}", widths=["32%", *(["17%"] * len(columns))])
    return html


def balances_html(run_dir: Path, summary: pd.DataFrame, charts: list[Path], config: dict) -> str:
    """Opening balances, the accounts figures by year with the forfeitures' use, the plan-assets chart; the
    readiness figures by year, the replacement-ratio chart and readiness by age and pay band."""
    import report_breakdowns

    if summary.empty or "total_plan_assets" not in summary.columns:  # a run from before balances
        return "<p>No balance data in this run.</p>"
    shown = {Path(c).stem: c for c in charts if Path(c).stem in BALANCE_CHARTS}

    def figure(stem: str) -> str:
        return chart_figures([shown[stem]], CAPTIONS) if stem in shown else ""

    def table(title: str, columns: tuple | list, table_id: str) -> str:
        columns = [c for c in columns if c in summary.columns]
        return f"<h3>{escape(title)}</h3>" + transposed_tables(summary, columns, table_id) if columns else ""

    accounts = [c for c in summary_metrics.group("accounts") if c not in FORFEITURE_USE]
    html = (opening_balances_note(run_dir, int(summary["simulation_year"].iloc[0]))
            + table("Accounts", accounts, "summary-accounts")
            + "<p>Total plan assets = plan assets on Jan 1 + contributions + investment earnings - forfeitures "
              "- distributions; every account, former employees' deferred vested accounts included.</p>"
            + table("Forfeitures and their use", FORFEITURE_USE, "summary-forfeitures")
            + forfeitures_note(summary, config)
            + table("Distributions by type and vesting", ACCOUNT_DETAIL, "summary-payouts")
            + figure("plan_assets"))
    readiness = [c for c in summary_metrics.group("readiness") if c in summary.columns]
    if not readiness:
        return html + "<h3>Retirement readiness</h3><p>No readiness figures in this run.</p>"
    target = report_breakdowns.readiness_target(config)
    return (html + "<h3>Retirement readiness</h3>" + readiness_note(config, target)
            + transposed_tables(summary, readiness, "summary-readiness") + figure("readiness")
            + readiness_by_band_html(run_dir, target))


def compliance_result_columns(summary: pd.DataFrame) -> list[str]:
    """The rows of the results table: per test its result, its other rates (averages, limit, key share) and its
    margin last; then the counts (tests failed, key employees). Test order and columns from the compliance group
    of fct_year_summary.yml."""
    import report_breakdowns

    group = summary_metrics.group("compliance")
    columns = []
    for test in report_breakdowns.compliance_tests():
        rates = [c for c in group if c.startswith(f"{test}_") and summary_metrics.unit(c) == "rate"
                 and c != f"{test}_margin"]
        columns += [f"{test}_result", *rates, f"{test}_margin"]
    return [c for c in [*columns, *COMPLIANCE_COUNTS] if c in summary.columns]


def corrective_columns(summary: pd.DataFrame) -> list[str]:
    """The corrections table: refunds, recharacterised catch-up, QNEC, QMAC, top-heavy minimum, then the
    corrective employer contributions (QNEC + QMAC + top-heavy minimum)."""
    money = [c for c in summary_metrics.group("compliance") if summary_metrics.unit(c) == "money"
             and c != CORRECTIVE_CONTRIBUTIONS]
    return [c for c in [*money, CORRECTIVE_CONTRIBUTIONS] if c in summary.columns]


def hce_lookback_note(run_dir: Path, first_year: int) -> str:
    """How the first year's HCE determination looked back at last year's pay: the census column
    prior_year_compensation (census_report.json column_sources), or the census annual pay rate standing in."""
    report = _read_json(census_dir(run_dir) / "census_report.json")
    later = "later years look back at each employee's pay of the simulated year before"
    if report is None:
        sentence = (f"No census report found: how the first year's ({first_year}) HCE lookback was taken is not "
                    f"recorded; {later}.")
    elif "prior_year_compensation" in (report.get("column_sources") or {}):
        header = report["column_sources"]["prior_year_compensation"]
        named = "" if header == "prior_year_compensation" else f" (header {header!r})"
        sentence = (f"HCE lookback of the first year ({first_year}): each employee's {first_year - 1} pay from the "
                    f"census column prior_year_compensation{named}, the census annual pay rate where a row leaves "
                    f"it blank; {later}.")
    else:
        sentence = (f"HCE lookback of the first year ({first_year}): the census gives no prior_year_compensation, "
                    f"so each employee's census annual pay rate stands in for {first_year - 1} pay; {later}.")
    return f'<p id="hce-lookback">{escape(sentence)}</p>'


def compliance_notes_html(run_dir: Path, summary: pd.DataFrame) -> str:
    """The tests of every year that did not simply pass (failed, corrected, deemed to pass), with their notes
    from fct_compliance_tests (the run's database), or figures from the summary where the database is absent."""
    import report_breakdowns

    tests, source = report_breakdowns.compliance_results(run_dir, summary)
    shown = tests[tests["result"].fillna("pass") != "pass"]
    origin = ("" if source == "database" else
              "<p>The run's database (simulation.duckdb) is not there: the notes are the corrective amounts of "
              "the summary.</p>")
    if shown.empty:
        return origin + '<p id="compliance-notes">Every test passed in every year: nothing failed, was corrected ' \
                        'or deemed to pass.</p>'
    rows = [[str(r["simulation_year"]), r["test"], report_breakdowns.result_text(r["result"]),
             format_value("money", r["corrective_amount"]), "–" if _missing(r["note"]) else str(r["note"])]
            for r in shown.to_dict("records")]
    classes = ["failed" if r["result"] in report_breakdowns.FAILED_RESULTS else "" for r in shown.to_dict("records")]
    return origin + html_table(["Year", "Test", "Result", "Corrective amount", "Note"], rows, numeric={0, 3},
                               row_classes=classes, cell_class={1: "label", 4: "wrap"}, table_id="compliance-notes",
                               widths=["8%", "22%", "12%", "14%", "44%"])


def compliance_html(run_dir: Path, summary: pd.DataFrame) -> str:
    """The year's nondiscrimination tests: the first year's HCE lookback, results with their figures by year,
    the corrections by year, and the notes of the tests that failed, were corrected or deemed to pass."""
    import report_breakdowns

    if summary.empty or not report_breakdowns.has_compliance(summary):  # a run from before compliance testing
        return "<p>No compliance tests in this run.</p>"
    shown = summary.copy()
    for test in report_breakdowns.compliance_tests():
        shown[f"{test}_result"] = shown[f"{test}_result"].map(report_breakdowns.result_text)
    return (hce_lookback_note(run_dir, int(summary["simulation_year"].iloc[0]))
            + "<p>Every year: ADP (401(k)(3)) and ACP (401(m)(2)) against their limits, top-heavy (416: key "
              "employees' share of balances against 60 %) and 410(b) coverage (ratio percentage against 70 %) of the "
              "deferral, match and core parts. Result: pass, fail, deemed pass (a safe-harbor design) or corrected "
              "(failed, then corrected). Margin = limit less the tested figure, in percentage points; negative "
              "fails.</p>"
            + "<h3>Results by year</h3>" + transposed_tables(shown, compliance_result_columns(summary),
                                                             "compliance-results")
            + "<h3>Corrections by year</h3>" + transposed_tables(summary, corrective_columns(summary),
                                                                 "compliance-corrections")
            + "<p>Refunds and recharacterised catch-up come out of the HCEs' own deferrals, ACP refunds out of "
              "their match; the QNEC, QMAC and top-heavy minimum are employer money, whose sum is the "
              f"{escape(summary_metrics.label(CORRECTIVE_CONTRIBUTIONS).lower())}, part of employer contributions "
              "and net employer cost.</p>"
            + "<h3>Tests that did not simply pass</h3>" + compliance_notes_html(run_dir, summary))


UNIT_NAMES = {"%": "percent", "$": "dollars", "x": "multiplier", "days": "days", "years": "years", "hours": "hours"}


def assumptions_html(config: dict) -> str:
    """The config by key, one table per section, values in their units, with each key's description."""
    import report_assumptions

    rows = report_assumptions.assumptions(config)
    if not rows:
        return "<p>None given.</p>"
    html = ("<p>Every key of the scenario's simulation config (defaults filled in), with its value in its unit "
            "and what it means; percentages are shares of pay or probabilities.</p>")
    sections: dict[str, list] = {}
    for row in rows:
        sections.setdefault(row.key.split(".")[0], []).append(row)
    for section, items in sections.items():
        body = [[r.key, r.text(), r.description] for r in items]
        html += f"<h3><code>{escape(section)}</code></h3>" + html_table(
            ["Key", "Value", "Description"], body, cell_class={0: "key", 1: "wrap", 2: "wrap"},
            table_id=f"assumptions-{section}", widths=["34%", "22%", "44%"])
    others = report_assumptions.other_formulas(config)
    if others:
        html += (f"<p>Match formulas defined but not in force (not shown): {text(', '.join(others))}.</p>")
    return html


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def census_notes(run_dir: Path) -> str:
    report = _read_json(census_dir(run_dir) / "census_report.json")
    if report is None:
        return "<p>No census report found.</p>"
    counts = [("Rows read", report.get("rows_read")), ("Rows accepted", report.get("rows_accepted")),
              ("Rows rejected", report.get("rows_rejected")),
              ("Accepted rows not active at the as-of date (not in the starting workforce)",
               report.get("rows_not_active_at_as_of")),
              ("Rows excluded from the plan (eligibility_override false) with a deferral rate, which is not used",
               report.get("rows_excluded_with_deferral_rate", 0))]
    html = (f"<p>Census file: <code>{text(report.get('source', 'unknown'))}</code></p>"
            + html_table(["", "rows"], [[k, format_value("count", v)] for k, v in counts], numeric={1}))
    reasons = report.get("reject_reasons") or {}
    if reasons:
        html += "<h3>Reject reasons</h3>" + html_table(
            ["reason", "rows"], [[k, format_value("count", v)] for k, v in reasons.items()], numeric={1})
        html += "<p>The rejected rows, with their reasons, are in the run's <code>census/census_rejects.csv</code>.</p>"
    else:
        html += "<p>No census row was rejected.</p>"
    sources = report.get("column_sources") or {}
    renamed = {field: header for field, header in sources.items() if header != field}
    if renamed:  # the headers read for fields under another name (recognised or mapped by census_columns)
        html += "<h3>Census headers used</h3>" + html_table(
            ["field", "header in the file"], [[f, h] for f, h in renamed.items()])
    elif sources:
        html += "<p>Every census field was read from the header of its own name.</p>"
    if report.get("ignored_columns"):
        html += f"<p>Ignored census columns: {text(', '.join(map(str, report['ignored_columns'])))}</p>"
    return html


def unmodelled_keys_note(run_dir: Path) -> str:
    path = run_dir / "unmodelled_config_keys.txt"
    keys = path.read_text().split() if path.exists() else []
    if not keys:
        return "<p>Every key of the simulation config is part of the model.</p>"
    return (f'<p class="note">{len(keys)} key(s) of the PlanAlign schema in the configuration have no effect '
            f"here (listed in <code>unmodelled_config_keys.txt</code>): {text(', '.join(keys[:12]))}"
            f"{', ...' if len(keys) > 12 else ''}</p>")


def quality_gates(run_dir: Path) -> str:
    rows, classes = [], []
    for path in sorted((run_dir / "years").glob("*/summary.json"), key=lambda p: p.parent.name):
        gates = json.loads(path.read_text()).get("quality_gates", [])
        failed = [g for g in gates if str(g.get("status")).lower() != "pass"]
        status = (f"all {len(gates)} pass" if not failed else
                  "; ".join(f"{g.get('name')} ({g.get('status')})" for g in failed))
        rows.append([path.parent.name, format_value("count", len(gates)),
                     format_value("count", len(gates) - len(failed)), status])
        classes.append("" if not failed else "failed")
    if not rows:
        return "<p>No year summaries found.</p>"
    all_ok = all(not c for c in classes)
    verdict = ('<p class="ok">Every quality gate passed in every year.</p>' if all_ok else
               '<p class="fail">Some quality gates did not pass (see below).</p>')
    return verdict + html_table(["year", "gates", "passed", "status"], rows, numeric={1, 2},
                                row_classes=classes, cell_class={3: "wrap"}, table_id="quality-gates")


def render_run_report(run_dir: Path, charts: list[Path], metadata: dict, config: dict) -> str:
    run_dir = Path(run_dir)
    summary = pd.read_csv(run_dir / "summary.csv").sort_values("simulation_year")
    first = summary.iloc[0] if len(summary) else {}
    scenario = first.get("scenario_id", metadata.get("scenario", "?"))
    seed = first.get("random_seed", metadata.get("seed", "?"))
    years = summary["simulation_year"].tolist()
    subtitle = (f"Simulation years {years[0]}-{years[-1]}" if years else "No simulated years") + \
        f" · plan design {first.get('plan_design_id', '?')}"
    sections = [
        ("Summary", headline(summary)),
        ("Plan design", plan_design(config)),
        ("Key figures", key_figures(summary)),
        ("Charts", chart_figures([c for c in charts if Path(c).stem not in BALANCE_CHARTS], CAPTIONS)),
        ("Balances and retirement readiness", balances_html(run_dir, summary, charts, config)),
        ("By age, tenure, pay and HCE status", breakdowns_html(run_dir)),
        ("Compliance testing", compliance_html(run_dir, summary)),
        ("Assumptions", assumptions_html(config)),
        ("Data quality", "<h3>Census</h3>" + census_notes(run_dir) + "<h3>Configuration keys without effect</h3>"
         + unmodelled_keys_note(run_dir) + "<h3>Quality gates (dbt tests) per year</h3>" + quality_gates(run_dir)),
        ("Run metadata", key_value_table(metadata, "run-metadata")),
    ]
    return html_page(f"Workforce simulation: scenario {scenario}, seed {seed}", subtitle, sections)


def write_run_report(run_dir: Path, charts: list[Path], metadata: dict, config: dict, path: Path) -> Path:
    """One self-contained HTML file: headline, plan design, key figures, charts, balances and retirement
    readiness, breakdowns by band, compliance testing, assumptions by config key, data-quality notes, run
    metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_run_report(run_dir, charts, metadata, config), encoding="utf-8")
    return path
