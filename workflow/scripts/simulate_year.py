"""One simulated year: load the previous year's state (and forfeiture account), run the year's dbt build (its
tests are the quality gates), and export events, snapshot, state, the year's workforce and a summary.

A scenario that shares another's workforce (simconfig/workforce.py) reads that scenario's workforce
files for the year instead of building its own, and keeps a copy of them beside its results."""
from __future__ import annotations

import decimal
import math
import shutil
import time
from pathlib import Path
from typing import Callable

import dbt_runner
import sim_io
import year_replay
from simconfig import workforce


def _double_or_null(value) -> str:
    """An SQL double; a figure the previous year did not have (None, or NaN in its JSON) is null."""
    return "null::double" if value is None or math.isnan(float(value)) else f"{float(value)!r}::double"


# fct_year_summary's column types, and those whose missing values pandas gives as NaN (else None)
_NUMBER_TYPES = ("DOUBLE", "BIGINT", "INTEGER", "DECIMAL")
_NAN_TYPES = ("DOUBLE", "DECIMAL")


def _summary_rows(con, query: str) -> list[dict]:
    """The rows of the query as fetchdf() gives them (numbers as int or float, a decimal as float, a
    missing double or decimal as NaN, other missing values as None), without pandas: importing it
    would add ~0.5 s to a job worker's first year. Columns of other types: fetchdf() itself."""
    cursor = con.execute(query)
    types = [str(column[1]) for column in cursor.description]
    if not all(kind.startswith(_NUMBER_TYPES) or kind == "VARCHAR" for kind in types):
        frame = cursor.fetchdf()
        return [{k: (v.item() if hasattr(v, "item") else v) for k, v in frame.iloc[i].to_dict().items()}
                for i in range(len(frame))]
    names = [column[0] for column in cursor.description]
    return [{name: (float(value) if isinstance(value, decimal.Decimal)
                    else math.nan if value is None and kind.startswith(_NAN_TYPES) else value)
             for name, kind, value in zip(names, types, row)} for row in cursor.fetchall()]


def run_year(
    *,
    year: int,
    prev_state_path: Path,
    duckdb_path: Path,
    events_path: Path,
    snapshot_path: Path,
    state_path: Path,
    summary_path: Path,
    project_dir: Path,
    target_path: Path,
    dbt_vars: dict,
    log: sim_io.JobLog,
    threads: int = 1,
    quality_gates: bool = True,
    memory_mb: int | None = None,
    prev_summary_path: Path | None = None,
    workforce_dir: Path | None = None,
    shared_workforce_dir: Path | None = None,
    workforce_from: str | None = None,
    replay: bool = True,
    programs_dir: Path | None = None,
    run: str = "",
) -> dict:
    """Build one year. The year's workforce tables go to workforce_dir (default: workforce/ beside the
    events); with shared_workforce_dir they are read from there instead (scenario workforce_from's).
    replay: run the SQL dbt ran for other years and seeds where it may (year_replay.py), kept in
    programs_dir (default: beside the database), by family; run: the run's name, kept with what dbt ran."""
    workforce_dir = workforce_dir or events_path.parent / "workforce"
    started = time.perf_counter()
    # the forfeiture account and the NHCE averages of prior-year testing carry over from the
    # previous year's summary (0 and none before the first year)
    prev_summary = sim_io.read_json(prev_summary_path) if prev_summary_path else {}
    opening = prev_summary.get("forfeiture_account_closing", 0.0)
    prior_adp, prior_acp = (prev_summary.get(f"{test}_nhce_average") for test in ("adp", "acp"))
    database_bytes = duckdb_path.stat().st_size
    con = sim_io.connect(duckdb_path, log=log)
    try:
        con.execute("drop table if exists sim_input.table_rows")
        con.execute(f"create or replace table sim_input.prev_state as "
                    f"select * from read_parquet({sim_io.sql_literal(prev_state_path)})")
        con.execute(f"create or replace table sim_input.year_context as select {int(year)}::integer as simulation_year, "
                    f"{float(opening)!r}::double as forfeiture_account_opening, "
                    f"{_double_or_null(prior_adp)} as prior_year_nhce_adp, {_double_or_null(prior_acp)} as prior_year_nhce_acp")
        for name, (_, source) in workforce.SHARED_TABLES.items():
            if shared_workforce_dir:  # read where the sharing scenario wrote it, for this build only
                con.execute(f"create or replace view sim_input.{source} as "
                            f"select * from read_parquet({sim_io.sql_literal(shared_workforce_dir / name)})")
            else:
                con.execute(f"drop view if exists sim_input.{source}")
    finally:
        con.close()
    if shared_workforce_dir:
        dbt_vars = {**dbt_vars, workforce.SHARED_VAR: True}
    loaded = time.perf_counter()

    excluded = ["test_type:unit", "tag:integrity"] if quality_gates else ["resource_type:test", "test_type:unit"]
    command = ["build", "--select", "tag:year", "--exclude", *excluded]
    # the statements of this year's build: recorded while dbt builds it, or replayed (year_replay.py)
    seed = int(dbt_vars["random_seed"])
    program_path = family = None
    if replay and threads == 1:
        family = year_replay.family(command, project_dir, duckdb_path, threads)
        # by family: a design's evidence may come from another design of the same family (year_replay.evidence)
        program_path = ((programs_dir or duckdb_path.parent) / family[:16]
                        / (year_replay.key(family, dbt_vars)[:32] + ".json"))
    kept = year_replay.load(program_path) if program_path else None
    why = year_replay.evidence(kept, seed, program_path) if program_path else None
    replaying = why is not None
    statements = [] if program_path and not replaying else None
    # each file and the node that builds its table: a replay writes the file as soon as that node has
    # run, beside the year's remaining nodes and tests; after a dbt build they are written at the end
    where = f"where simulation_year = {int(year)}"
    exports = {
        "events": ("fct_yearly_events", f"select * from main.fct_yearly_events {where} "
                   "order by employee_id, event_sequence", events_path),
        "snapshot": ("fct_workforce_snapshot", f"select * from main.fct_workforce_snapshot {where} "
                     "order by employee_id", snapshot_path),
        "state": ("fct_year_end_state", "select * from main.fct_year_end_state order by employee_id", state_path),
    }
    # the year's workforce tables, in `scratch`: the connection shares the database of the build
    if not shared_workforce_dir:
        exports.update({name: (table, f"select * from scratch.main.{table}", workforce_dir / name)
                        for name, (table, _) in workforce.SHARED_TABLES.items()})
    counts = {}

    def export(name: str) -> tuple[str, Callable]:
        node, query, path = exports[name]
        return node, lambda cursor: counts.__setitem__(name, sim_io.copy_to_parquet(cursor, query, path))

    build_started_at = time.time()
    # a replay's connection stays open for the export: the year's scratch tables live in it
    con = sim_io.connect(duckdb_path, log=log) if replaying else None
    try:
        if con:
            build = year_replay.replay(kept, con, year=year, seed=seed, memory_mb=memory_mb,
                                       workers=year_replay.year_workers(con),
                                       after=[export(name) for name in exports], why=why)
        else:
            build = dbt_runner.invoke(
                command, project_dir=project_dir, target_path=target_path, log_path=target_path / "logs",
                duckdb_path=duckdb_path, dbt_vars=dbt_vars, threads=threads, memory_mb=memory_mb, log=log,
                statements=statements)
            con = sim_io.connect(duckdb_path, log=log)
        built, build_finished_at = time.perf_counter(), time.time()
        if statements is not None:
            kept = year_replay.save(year_replay.record(statements, build, con, year=year, seed=seed),
                                    program_path, year=year, seed=seed, family=family, run=run)
            log(f"year {year}: dbt's statements kept in {program_path} (dbt ran them for years {kept['years']}, "
                f"seeds {kept['seeds']})")
        if not replaying:
            counts = sim_io.copy_all_to_parquet(con, {name: (query, path) for name, (_, query, path) in exports.items()})
        counts = {name: counts[name] for name in ("events", "snapshot", "state")}
        if shared_workforce_dir:
            workforce_dir.mkdir(parents=True, exist_ok=True)
            for name, (_, source) in workforce.SHARED_TABLES.items():
                shutil.copyfile(shared_workforce_dir / name, workforce_dir / name)
                con.execute(f"drop view sim_input.{source}")
        rows = _summary_rows(con, f"select * from main.fct_year_summary {where}")
        table_rows = dict(con.execute("select model, row_count from sim_input.table_rows order by model").fetchall())
        # the build's memory cap, in force in the database this connection shares
        memory_limit = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    finally:
        if con:
            con.close()
    if len(rows) != 1:
        raise RuntimeError(f"fct_year_summary has {len(rows)} rows for {year}, expected 1")
    summary = rows[0]
    finished = time.perf_counter()
    summary["timing"] = {
        "seconds_total": round(finished - started, 3),
        "seconds_load_inputs": round(loaded - started, 3),
        "seconds_dbt": round(build.seconds_total, 3),
        "seconds_dbt_parse": round(build.seconds_parse, 3),
        "seconds_dbt_sql": round(build.seconds_sql, 3),
        "seconds_export": round(finished - built, 3),  # a replay writes most files beside its nodes
        # wall-clock bounds of the dbt build (seconds since the epoch): builds of different
        # runs overlap when they run side by side
        "dbt_started_at": round(build_started_at, 3),
        "dbt_finished_at": round(build_finished_at, 3),
        "duckdb_memory_limit": memory_limit,
    }
    summary["row_counts"] = counts
    # where the year's workforce came from: built here, or read from the scenario it shares with
    summary["workforce_from"] = workforce_from if shared_workforce_dir else None
    # how the year's SQL ran: built by dbt, or the statements dbt ran for other years and seeds replayed
    summary["dbt_build"] = build.command
    summary["node_seconds"] = {n["name"]: n["seconds"] for n in build.nodes}
    summary["table_rows"] = table_rows  # the year's rows of each table the build wrote (ephemeral models have none)
    summary["bytes_written"] = {
        "database_growth": duckdb_path.stat().st_size - database_bytes,
        **{path.name: path.stat().st_size for path in (events_path, snapshot_path, state_path)}}
    summary["quality_gates"] = sorted(  # by name: with dbt_threads above 1 they finish in any order
        ({"name": n["name"], "status": n["status"]} for n in build.nodes if "test" in n["resource_type"]),
        key=lambda gate: gate["name"])
    sim_io.write_json(summary, summary_path)
    log(f"year {year}: headcount {summary['start_headcount']} -> {summary['end_headcount']}, "
        f"hires {summary['hires']}, terminations {summary['total_terminations']}, "
        + (f"workforce read from {shared_workforce_dir}, " if shared_workforce_dir else "workforce built, ")
        + f"{summary['timing']['seconds_total']:.1f} s")
    return summary
