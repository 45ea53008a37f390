"""Foundation step of a run: load the validated census, build seeds, staging and the
baseline workforce, and hand the baseline over as the state the first year starts from.
(The year models are compiled by the first year's build, which names a model that does not
compile before it writes anything.)"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import dbt_runner
import sim_io


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
    # A foundation rebuild starts afresh: every year reruns after it, so year files of
    # an earlier configuration (say, other years) must not linger beside the new ones.
    for stale in (duckdb_path, duckdb_path.with_name(duckdb_path.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(duckdb_path.parent / "years", ignore_errors=True)
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
    build = dbt_runner.invoke(["build", "--select", "tag:foundation", *excluded, "--indirect-selection", "cautious"],
                              **common)

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
