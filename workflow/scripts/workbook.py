"""Excel workbook of a run: summary table, event counts by year and type, run metadata."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

ALL_CATEGORIES = "(all)"  # event_category label of an event type's subtotal row


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


def metadata_frame(metadata: dict) -> pd.DataFrame:
    return pd.DataFrame({"key": [str(k) for k in metadata], "value": [_cell(v) for v in metadata.values()]})


def _fit_columns(sheet, frame: pd.DataFrame) -> None:
    for i, column in enumerate(frame.columns):
        width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
        sheet.column_dimensions[sheet.cell(row=1, column=i + 1).column_letter].width = min(width + 2, 80)
    sheet.freeze_panes = "A2"


def write_workbook(run_dir: Path, metadata: dict, config: dict, path: Path) -> Path:
    """Sheets: summary (summary.csv as is), events_by_type, assumptions (the config by key),
    metadata (key/value in the given order)."""
    from simconfig import flatten

    run_dir, path = Path(run_dir), Path(path)
    sheets = {
        "summary": pd.read_csv(run_dir / "summary.csv"),
        "events_by_type": event_counts(run_dir),
        "assumptions": metadata_frame(flatten(config)),
        "metadata": metadata_frame(metadata),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            _fit_columns(writer.sheets[name], frame)
    return path
