"""Foundation step of a run: load the validated census, build seeds, staging and the
baseline workforce, and hand the baseline over as the state the first year starts from.
(The year models are compiled by the first year's build, which names a model that does not
compile before it writes anything.)

A scenario's foundation is built once and every seed's chain starts from a copy of it
(start_seed): no foundation model draws a random number. The build checks it: dbt builds
with a seed no run uses, which no statement it runs may contain.

Like a year (year_replay.py), the build is a program: the statements dbt runs on a new database
holding the census, the same for every census (the data enter only through the tables they read).
Once dbt has built the same program twice, later foundations with the same key replay it, and a
run whose foundations all replay starts its worker without importing dbt (~2 s)."""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import dbt_runner
import sim_io
import year_replay

# the seed the foundation is built with: any use of the seed would put it in a statement
UNUSED_SEED = 918_273_645
COMMAND = ["build", "--select", "tag:foundation", "--exclude", "test_type:unit", "tag:integrity",
           "--indirect-selection", "cautious"]
PROJECT = "{{project_dir}}"  # where a program names the project's seed files
BUILDS_TO_REPLAY = 2  # dbt built the same program this many times
# dbt-duckdb loads a seed with one COPY from its file, which dbt logs abridged: its first 512 characters and "..."
_ABRIDGED_AT = 512
_SEED_COPY = re.compile(r"^\s*copy\s+\S+\s+from\s+'(?P<file>[^']+)'", re.IGNORECASE)


class FoundationUsesSeedError(RuntimeError):
    pass


def _remove_database(duckdb_path: Path) -> None:
    """A database and its write-ahead log, so that what replaces them starts afresh."""
    for stale in (duckdb_path, duckdb_path.with_name(duckdb_path.name + ".wal")):
        stale.unlink(missing_ok=True)


def family(project_dir: Path, duckdb_name: str, threads: int) -> str:
    return year_replay.family(COMMAND, project_dir, Path(duckdb_name), threads)


def program_path(programs_dir: Path, family: str, dbt_vars: dict) -> Path:
    """Where the program of a foundation of this family (family()) with these vars is kept, beside the years'."""
    return programs_dir / family[:16] / ("foundation-" + year_replay.key(family, dbt_vars)[:32] + ".json")


def replayable(kept: dict | None) -> bool:
    return bool(kept) and kept.get("builds", 0) >= BUILDS_TO_REPLAY


def kept_program(programs_dir: Path | None, project_dir: Path, duckdb_name: str, threads: int,
                 dbt_vars: dict) -> tuple[Path | None, dict | None]:
    """Where the program of the foundation built with these vars (the run's, without the seed) is
    kept, and the kept program; (None, None) when foundations are not replayed (no programs_dir, or
    dbt threads above 1)."""
    if not programs_dir or threads != 1:
        return None, None
    path = program_path(programs_dir, family(project_dir, duckdb_name, threads),
                        {**dbt_vars, "random_seed": UNUSED_SEED})
    return path, year_replay.load(path)


def _program(statements: list[dict], build: dbt_runner.DbtRun, con, project_dir: Path) -> dict | None:
    """The build's program (year_replay.record) with the project's place taken out of the seeds' COPY
    statements, or None where the statements dbt logged are not those it ran: a statement logged
    abridged other than a seed's COPY from a project file, or a seed loaded otherwise (its rows bound
    to an INSERT, which the log does not show)."""
    seeds = {n["unique_id"] for n in build.nodes if n["resource_type"] == "seed"}
    copied, whole = set(), []
    for statement in statements:
        sql = statement["sql"]
        if sql.endswith("..."):
            body = year_replay.strip_query_comment(sql[:-3])
            copy = _SEED_COPY.match(body)
            if (statement["node"] not in seeds or not copy or len(sql) - 3 >= _ABRIDGED_AT
                    or not copy["file"].startswith(f"{project_dir}/")):
                return None
            copied.add(statement["node"])
            sql = sql[:-3].replace(f"'{project_dir}/", f"'{PROJECT}/", 1)
        whole.append({**statement, "sql": sql})
    if copied != seeds:
        return None
    return year_replay.record(whole, build, con, year=0, seed=UNUSED_SEED)


def _keep(program: dict | None, path: Path) -> dict | None:
    """Count a dbt build of the program at path: one more when it is the kept program, else the first."""
    if program is None:
        path.unlink(missing_ok=True)
        return None
    kept = year_replay.load(path)
    builds = kept.get("builds", 0) + 1 if isinstance(kept, dict) and kept.get("program") == program else 1
    return year_replay.write({"program": program, "builds": builds}, path)


def _build(common: dict, statements: list[dict]) -> dbt_runner.DbtRun:
    build = dbt_runner.invoke(COMMAND, statements=statements, **common)
    seeded = sorted({s["node"] for s in statements if str(UNUSED_SEED) in s["sql"]})
    if seeded:
        raise FoundationUsesSeedError(
            f"foundation models use the random seed ({', '.join(seeded)}): a scenario's seeds share one "
            "foundation, so a model that draws random numbers belongs to the year models (tag:year)")
    return build


def _replay(kept: dict, duckdb_path: Path, project_dir: Path, memory_mb: int | None,
            log: sim_io.JobLog) -> dbt_runner.DbtRun:
    program = {**kept["program"], "statements": [
        {**s, "sql": s["sql"].replace(f"'{PROJECT}/", f"'{project_dir}/")} if "sql" in s else s
        for s in kept["program"]["statements"]]}
    con = sim_io.connect(duckdb_path, log=log)
    try:
        # in dbt's order, one node at a time: dbt's table materialization creates a model under another
        # name and renames it, which year_replay's reading of what a node writes does not follow
        return year_replay.replay({"program": program}, con, year=0, seed=UNUSED_SEED, memory_mb=memory_mb,
                                  workers=1, why=f"dbt built it {kept['builds']} times")
    finally:
        con.close()


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
    programs_dir: Path | None = None,
) -> dict:
    """programs_dir: where the foundation's program is kept and replayed from once dbt built it twice
    (None: dbt builds it, nothing kept)."""
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
    common["dbt_vars"] = {**dbt_vars, "random_seed": UNUSED_SEED}
    path, kept = kept_program(programs_dir, project_dir, duckdb_path.name, threads, dbt_vars)
    replaying = replayable(kept)
    statements: list[dict] = []
    build = _replay(kept, duckdb_path, project_dir, memory_mb, log) if replaying else _build(common, statements)

    con = sim_io.connect(duckdb_path, log=log)
    try:
        if path and not replaying:
            kept = _keep(_program(statements, build, con, project_dir), path)
            log(f"foundation: dbt's statements kept in {path} (dbt built them {kept['builds']} times)" if kept
                else "foundation: dbt's statements not kept (its log does not show every statement in full)")
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
