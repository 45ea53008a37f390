"""Excel workbook of a run: summary, breakdowns by band, readiness by band, compliance tests by year,
event counts by year and type, assumptions by config key and run metadata, with readable headers and
number formats."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

import report_assumptions
import report_breakdowns
import summary_metrics

ALL_CATEGORIES = "(all)"  # event_category label of an event type's subtotal row
# Excel number formats by unit (fct_year_summary.yml meta `unit`, report_breakdowns.COLUMNS).
NUMBER_FORMATS = {"count": "#,##0", "money": "$#,##0", "rate": "0.00%", "year": "0", "days": "#,##0",
                  "years": "0.##", "hours": "#,##0", "multiplier": "0.00"}
ASSUMPTION_FORMATS = {"%": "0.00%", "$": "$#,##0", "days": "#,##0", "years": "0.##", "hours": "#,##0",
                      "x": "0.00"}


def event_counts(run_dir: Path) -> pd.DataFrame:
    """Events per event_type and event_category (rows) and simulation_year (columns), plus a total column.

    Each event type has a subtotal row (event_category "(all)") followed by one row per category.
    """
    files = [str(p) for p in sorted(Path(run_dir).glob("years/*/events.parquet"))]
    if not files:
        return pd.DataFrame(columns=["event_type", "event_category", "total"])
    # Only three columns are read; grouping sets give the subtotals in the same scan.
    sql = """
        select event_type, coalesce(event_category, '') as event_category, simulation_year, count(*) as n,
               grouping(event_category) as is_subtotal
        from read_parquet($files)
        group by grouping sets ((event_type, event_category, simulation_year), (event_type, simulation_year))"""
    with duckdb.connect() as con:  # own connection: jobs run in threads
        counts = con.execute(sql, {"files": files}).df()
    counts.loc[counts["is_subtotal"] == 1, "event_category"] = ALL_CATEGORIES
    table = counts.pivot_table(index=["event_type", "event_category"], columns="simulation_year", values="n",
                               aggfunc="sum", fill_value=0)
    table.columns = [int(c) for c in table.columns]
    table["total"] = table.sum(axis=1)
    table = table.reset_index()
    # Subtotal first within each type, then categories alphabetically.
    table["_order"] = (table["event_category"] != ALL_CATEGORIES).astype(int)
    table = table.sort_values(["event_type", "_order", "event_category"]).drop(columns="_order")
    return table.reset_index(drop=True).astype({c: "int64" for c in table.columns[2:]})


def _cell(value: object) -> object:
    """Scalars stay typed in Excel; anything else becomes JSON text."""
    if value is None:
        return ""
    if isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, default=str)


def _text_not_formulas(sheet) -> None:
    """openpyxl takes any text starting with '=' for a formula: a census file name or config text such
    as '=HYPERLINK(...)' must stay text (no formula injection)."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def metadata_frame(metadata: dict) -> pd.DataFrame:
    return pd.DataFrame({"Key": [str(k) for k in metadata], "Value": [_cell(v) for v in metadata.values()]})


def summary_sheet(summary: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The summary with its labels as headers, and the unit of each header."""
    units = {summary_metrics.label(c): summary_metrics.unit(c) for c in summary.columns}
    return summary.rename(columns=summary_metrics.label), units


def breakdowns_sheet(run_dir: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """Every year's breakdowns stacked: Year, Breakdown, Band, then the breakdown columns."""
    frames = []
    for banding, table in report_breakdowns.breakdowns(run_dir).items():
        frames.append(table.assign(breakdown=report_breakdowns.title(banding)))
    columns = {"simulation_year": ("Year", "year"), "breakdown": ("Breakdown", "text"), "band": ("Band", "text"),
               **report_breakdowns.COLUMNS, "employer_match": ("Employer match", "money"),
               "employer_core": ("Employer core", "money")}
    stacked = pd.concat(frames, ignore_index=True)[list(columns)] if frames else pd.DataFrame(columns=list(columns))
    return stacked.rename(columns={c: label for c, (label, _) in columns.items()}), \
        {label: unit for label, unit in columns.values()}


def readiness_sheet(run_dir: Path, config: dict) -> tuple[pd.DataFrame, dict[str, str]]:
    """Readiness of year-end actives by age band and pay band, every year: Year, Breakdown, Band, then
    report_breakdowns.READINESS_COLUMNS (the target from the config)."""
    target = report_breakdowns.readiness_target(config)
    frames = [table.assign(breakdown=report_breakdowns.title(banding))
              for banding, table in report_breakdowns.readiness_breakdowns(run_dir, target).items()]
    columns = {"simulation_year": ("Year", "year"), "breakdown": ("Breakdown", "text"), "band": ("Band", "text"),
               **report_breakdowns.READINESS_COLUMNS}
    stacked = pd.concat(frames, ignore_index=True)[list(columns)]
    return stacked.rename(columns={c: label for c, (label, _) in columns.items()}), \
        {label: unit for label, unit in columns.values()}


def compliance_sheet(run_dir: Path, summary: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The compliance tests, one row per year and test (report_breakdowns.COMPLIANCE_COLUMNS: result, HCE and
    NHCE figures, limit, margin, the figures after a correction, the corrective amount and the note), from
    fct_compliance_tests of the run's database, or the summary where the database is absent; no rows for a
    run from before compliance testing."""
    tests, _ = report_breakdowns.compliance_results(run_dir, summary)
    columns = report_breakdowns.COMPLIANCE_COLUMNS
    frame = tests[list(columns)].assign(result=tests["result"].map(report_breakdowns.result_text))
    return frame.rename(columns={c: label for c, (label, _) in columns.items()}), \
        {label: unit for label, unit in columns.values()}


def events_sheet(run_dir: Path) -> pd.DataFrame:
    return event_counts(run_dir).rename(columns={"event_type": "Event type", "event_category": "Event category",
                                                 "total": "Total"})


def assumptions_sheet(config: dict) -> tuple[pd.DataFrame, list[str]]:
    """Key, Value (a number in its unit's format where it is one), Unit, Description; and each row's format."""
    rows, formats = [], []
    for item in report_assumptions.assumptions(config):
        value = item.value
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        rows.append({"Key": item.key, "Value": value if number else (item.text() if not isinstance(value, str)
                                                                    else value),
                     "Unit": report_assumptions.UNITS.get(item.unit, ""), "Description": item.description})
        formats.append(ASSUMPTION_FORMATS.get(item.unit, "General") if number else "General")
    return pd.DataFrame(rows, columns=["Key", "Value", "Unit", "Description"]), formats


def _fit_columns(sheet, frame: pd.DataFrame, limit: int = 80) -> None:
    for i, column in enumerate(frame.columns):
        width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
        sheet.column_dimensions[sheet.cell(row=1, column=i + 1).column_letter].width = min(max(width, 8) + 2, limit)
    sheet.freeze_panes = "A2"


def _format_columns(sheet, frame: pd.DataFrame, units: dict[str, str]) -> None:
    for i, column in enumerate(frame.columns):
        number_format = NUMBER_FORMATS.get(units.get(str(column), ""))
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, max_row=len(frame) + 1, min_col=i + 1, max_col=i + 1):
                cell.number_format = number_format


def write_workbook(run_dir: Path, metadata: dict, config: dict, path: Path) -> Path:
    """Sheets: Summary (a row per year, labelled columns), Breakdowns (age, tenure, pay band, HCE status per
    year), Balances and readiness (replacement ratios by age and pay band per year; empty in a run without
    them), Compliance (every test of every year with its figures, corrective amount and note; empty in a run
    without them), Events by type, Assumptions (the config by key, with units), Metadata (in the given
    order)."""
    from openpyxl.styles import Alignment, Font

    run_dir, path = Path(run_dir), Path(path)
    raw_summary = pd.read_csv(run_dir / "summary.csv")
    summary, summary_units = summary_sheet(raw_summary)
    breakdowns, breakdown_units = breakdowns_sheet(run_dir)
    readiness, readiness_units = readiness_sheet(run_dir, config)
    compliance, compliance_units = compliance_sheet(run_dir, raw_summary)
    events = events_sheet(run_dir)
    assumptions, assumption_formats = assumptions_sheet(config)
    sheets = {
        "Summary": (summary, summary_units),
        "Breakdowns": (breakdowns, breakdown_units),
        "Balances and readiness": (readiness, readiness_units),
        "Compliance": (compliance, compliance_units),
        "Events by type": (events, {str(c): "count" for c in events.columns[2:]}),
        "Assumptions": (assumptions, {}),
        "Metadata": (metadata_frame(metadata), {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, (frame, units) in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            _text_not_formulas(sheet)
            _fit_columns(sheet, frame, limit=60 if name == "Assumptions" else 80)
            _format_columns(sheet, frame, units)
            for cell in sheet[1]:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet = writer.sheets["Assumptions"]
        for row, number_format in enumerate(assumption_formats, start=2):
            sheet.cell(row=row, column=2).number_format = number_format
            sheet.cell(row=row, column=4).alignment = Alignment(wrap_text=True, vertical="top")
    return path
