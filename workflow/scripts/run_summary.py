"""Per-run summary table (CSV and Parquet) from the per-year summary JSON files."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

import sim_io
import summary_metrics

# What a year's summary.json says about how the run was made rather than about the simulated plan;
# the summary tables leave them out.
RUN_FACTS = ("timing", "row_counts", "node_seconds", "table_rows", "bytes_written", "quality_gates", "workforce_from",
             "dbt_build")


def build_summary(year_summary_paths: list[Path]) -> pd.DataFrame:
    rows = [json.loads(Path(p).read_text()) for p in year_summary_paths]
    frame = pd.DataFrame(rows)
    columns = [c for c in summary_metrics.columns() if c in frame.columns]
    extra = [c for c in frame.columns if c not in columns and c not in RUN_FACTS]
    return frame[columns + extra].sort_values("simulation_year").reset_index(drop=True)


def write_summary(frame: pd.DataFrame, csv_path: Path, parquet_path: Path) -> None:
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(csv_path, index=False)
    con = duckdb.connect()
    try:
        con.register("summary_frame", frame)
        sim_io.copy_to_parquet(con, "select * from summary_frame order by simulation_year", parquet_path)
    finally:
        con.close()
