"""Foundation step of a run: load the validated census, build seeds, staging and the
baseline workforce, and hand the baseline over as the state the first year starts from.
(The year models are compiled by the first year's build, which names a model that does not
compile before it writes anything.)

A scenario's foundation is built once and every seed's chain starts from a copy of it
(start_seed): no foundation model draws a random number. The build checks it: dbt builds
with a seed no run uses, which no statement it runs may contain."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import dbt_runner
import sim_io

# the seed the foundation is built with: any use of the seed would put it in a statement
UNUSED_SEED = 918_273_645


class FoundationUsesSeedError(RuntimeError):
    pass


def _remove_database(duckdb_path: Path) -> None:
    """A database and its write-ahead log, so that what replaces them starts afresh."""
    for stale in (duckdb_path, duckdb_path.with_name(duckdb_path.name + ".wal")):
        stale.unlink(missing_ok=True)


def run_foundation(
    *,
    census_path: Path,
    duckdb_path: Path,
    baseline_state_path: Path,
    report_path: Path,
    project_dir: Path,
    target_path: Path,
    dbt_vars: dict,
    log: sim_io.JobLog,
    threads: int = 1,
    memory_mb: int | None = None,
) -> dict:
    started = time.perf_counter()
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_database(duckdb_path)  # a rebuild starts afresh
    con = sim_io.connect(duckdb_path, log=log)
    try:
        con.execute("create schema if not exists sim_input")
        con.execute(
            f"create or replace table sim_input.census as select * from read_parquet({sim_io.sql_literal(census_path)})")
    finally:
        con.close()

    common = dict(project_dir=project_dir, target_path=target_path, log_path=target_path / "logs",
                  duckdb_path=duckdb_path, dbt_vars=dbt_vars, threads=threads, memory_mb=memory_mb, log=log)
    excluded = ["--exclude", "test_type:unit", "tag:integrity"]
    common["dbt_vars"] = {**dbt_vars, "random_seed": UNUSED_SEED}
    statements: list[dict] = []
    build = dbt_runner.invoke(["build", "--select", "tag:foundation", *excluded, "--indirect-selection", "cautious"],
                              statements=statements, **common)
    seeded = sorted({s["node"] for s in statements if str(UNUSED_SEED) in s["sql"]})
    if seeded:
        raise FoundationUsesSeedError(
            f"foundation models use the random seed ({', '.join(seeded)}): a scenario's seeds share one "
            "foundation, so a model that draws random numbers belongs to the year models (tag:year)")

    con = sim_io.connect(duckdb_path, log=log)
    try:
        baseline_rows = sim_io.copy_to_parquet(
            con,
            "select * from main.int_baseline_workforce order by employee_id",
            baseline_state_path)
    finally:
        con.close()

    report = {
        "baseline_headcount": baseline_rows,
        "seconds_total": round(time.perf_counter() - started, 3),
        "dbt": [build.to_dict()],
    }
    sim_io.write_json(report, report_path)
    log(f"foundation: {baseline_rows} active employees at the start, {report['seconds_total']} s")
    return report


def start_seed(*, foundation_db: Path, baseline_state: Path, report: Path,
               duckdb_path: Path, seed_baseline_state: Path, seed_report: Path, log: sim_io.JobLog) -> None:
    """A seed's chain starts from a copy of its scenario's foundation: the working database, the
    baseline state and the report."""
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_database(duckdb_path)
    for source, copy in ((foundation_db, duckdb_path), (baseline_state, seed_baseline_state), (report, seed_report)):
        shutil.copyfile(source, copy)
    log(f"started from the scenario's foundation {foundation_db}")
