"""How big a run is, before any job: a census or a year range far beyond what the machine can
hold gets an estimate of memory and time and a question (confirm_large_run), not an
out-of-memory kill hours later."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

# Measured by `make bench` (100,000 x 5, 2 cores; README "Benchmark"): peak 1,046 MB at a final
# headcount of 111,283, about 350 MB of it dbt and Python themselves; 4.5 s a year at ~105,000.
BASE_MB = 350
MB_PER_EMPLOYEE = (1046 - BASE_MB) / 111_283
SECONDS_PER_EMPLOYEE_YEAR = 4.5 / 105_000
SECONDS_FIXED = 20  # foundation, Snakemake start, census validation, summary
MEMORY_SHARE = 0.8  # of the machine's RAM, above which a run must be confirmed
LONGEST_HOURS = 6   # of one run's estimated time, above which a run must be confirmed
CSV_SAMPLE_BYTES = 1 << 20


@dataclass(frozen=True)
class RunSize:
    employees: int          # in the census
    years: int
    final_headcount: int    # at the growth target, by the last year
    peak_mb: float          # of one (scenario, seed) run
    seconds: float          # of one run
    runs: int               # scenarios x seeds

    def describe(self) -> str:
        hours = self.seconds / 3600
        took = f"{hours:.1f} hours" if hours >= 1 else f"{self.seconds / 60:.0f} minutes"
        return (f"{self.employees:,} employees x {self.years} years (about {self.final_headcount:,} by the last year): "
                f"estimated peak memory {self.peak_mb / 1024:.1f} GB and {took} per run, {self.runs} run(s)")


def machine_memory_mb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20


def census_rows(path: Path) -> int:
    """Rows of a census file, counted where cheap (Parquet metadata, Excel dimensions) and
    estimated from the first megabyte's line length for CSV."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        with duckdb.connect() as con:
            return int(con.execute("select sum(num_rows) from parquet_file_metadata(?)", [str(path)]).fetchall()[0][0])
    if name.endswith((".xlsx", ".xls")):
        return max(path.stat().st_size // 40, 1)  # Excel compresses: about 40 bytes a row of a census
    size = path.stat().st_size
    with path.open("rb") as handle:
        sample = handle.read(CSV_SAMPLE_BYTES)
    lines = max(sample.count(b"\n"), 1)
    return max(int(size / (len(sample) / lines)) - 1, 0) if size > len(sample) else max(lines - 1, 0)


def estimate(employees: int, start: int, end: int, growth: float, runs: int) -> RunSize:
    years = end - start + 1
    headcounts = [employees * (1 + growth) ** year for year in range(1, years + 1)]
    peak = max([employees, *headcounts])
    return RunSize(employees=employees, years=years, final_headcount=round(headcounts[-1]),
                   peak_mb=BASE_MB + MB_PER_EMPLOYEE * peak,
                   seconds=SECONDS_FIXED + SECONDS_PER_EMPLOYEE_YEAR * sum(headcounts), runs=runs)


def too_large(size: RunSize, memory_mb: float | None = None) -> str | None:
    """Why the run needs confirming, or None."""
    memory_mb = memory_mb or machine_memory_mb()
    if size.peak_mb > MEMORY_SHARE * memory_mb:
        return f"more than {MEMORY_SHARE:.0%} of this machine's {memory_mb / 1024:.0f} GB of memory"
    if size.seconds > LONGEST_HOURS * 3600:
        return f"more than {LONGEST_HOURS} hours per run"
    return None
