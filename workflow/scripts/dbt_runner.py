"""Run dbt in-process, once per step, reusing the parsed manifest.

dbt costs ~1 s to import and ~2-4 s to parse; a year's build itself takes about a
second. Inside one process (a job worker of a local run, see job_workers.py) the
project is parsed once and the manifest is reused by every step of every run it builds.
Across processes (the next run, or each job of a cluster run) the manifest a parse made
is kept for the same project files and dbt packages and loaded (~0.03 s); without it,
dbt's partial parsing reuses the parse saved for the same project files (~1 s instead
of ~4 s).
dbt keeps process-wide state, so invocations are serialised by a lock.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import pickle
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import dbt_schema_cache
import dbt_template_cache

_LOCK = threading.Lock()
_MANIFESTS: dict[tuple, object] = {}


def _reset_compilation(manifest) -> None:
    """Return nodes to their just-parsed state: dbt marks nodes compiled (ephemeral CTEs
    injected) inside the manifest it is given, which a later invocation must not reuse."""
    for node in list(manifest.nodes.values()) + list(getattr(manifest, "unit_tests", {}).values()):
        if hasattr(node, "compiled"):
            node.compiled = False
            node.compiled_code = None
            node.extra_ctes_injected = False
            node.extra_ctes = []
            if hasattr(node, "_pre_injected_sql"):
                node._pre_injected_sql = None


class DbtError(RuntimeError):
    """A dbt step failed; the message names the failing models and tests."""


@dataclass
class DbtRun:
    command: str
    success: bool
    seconds_total: float
    seconds_parse: float
    seconds_sql: float            # time spent executing nodes, as dbt reports it
    nodes: list[dict] = field(default_factory=list)

    def failures(self) -> list[dict]:
        return [n for n in self.nodes if n["status"] in ("error", "fail", "runtime error")]

    def to_dict(self) -> dict:
        return {
            "command": self.command, "success": self.success,
            "seconds_total": round(self.seconds_total, 3), "seconds_parse": round(self.seconds_parse, 3),
            "seconds_sql": round(self.seconds_sql, 3), "nodes": self.nodes,
        }


def import_dbt(project_dir: Path | None = None):
    """Import dbt (~1 s, paid only by jobs that run it) without the root-logger handler
    one of its dependencies installs, which would print Snakemake's own log twice, with
    the faster placing of ephemeral models' CTEs (dbt_cte_injection.py), compiled
    templates kept for the process (dbt_template_cache.py) and, with the project's
    directory, the config schemas kept in its target/ (dbt_schema_cache.py)."""
    import logging

    root = logging.getLogger()
    before = list(root.handlers)
    from dbt.cli.main import dbtRunner

    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
    import dbt_cte_injection

    dbt_cte_injection.install()
    dbt_template_cache.install()
    if project_dir is not None:
        dbt_schema_cache.install(project_dir / "target" / "json_schemas")
    return dbtRunner


def _common_args(project_dir: Path, target_path: Path, log_path: Path, dbt_vars: dict | None) -> list[str]:
    return [
        "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
        "--target-path", str(target_path), "--log-path", str(log_path),
        *(["--vars", json.dumps(dbt_vars, sort_keys=True)] if dbt_vars is not None else []),
        "--log-level", "none", "--log-level-file", "info",
    ]


def parse_cache_dir(project_dir: Path, duckdb_name: str) -> Path:
    """Where the parse of this exact project state is kept: dbt/target/parse/<digest>.

    The digest covers every project file, the dbt version and the DuckDB file name (the
    relations' database), so a saved parse is reused only for identical inputs; dbt's
    own partial-parsing checks run on top of that."""
    # dbt-core's version from its metadata: importing dbt.version would take ~0.4 s of a process that replays
    digest = hashlib.sha256(f"{importlib.metadata.version('dbt-core')}\0{duckdb_name}".encode())
    for path in sorted(project_dir.rglob("*")):
        relative = path.relative_to(project_dir)
        if path.is_file() and relative.parts[0] not in ("target", "logs"):
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return project_dir / "target" / "parse" / digest.hexdigest()[:16]


PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def _kept_manifest_file(cache: Path) -> Path:
    """Where the parse's manifest itself is kept for the next process: beside the saved parse, for
    the installed dbt packages (dbt_schema_cache.versions: dbt's and the adapter's macros are in it)."""
    return cache / f"manifest-{dbt_schema_cache.versions()}.pickle"


def _keep_manifest(manifest, cache: Path) -> None:
    """Pickle the manifest's fields (not dbt's own pickling, Manifest.__reduce_ex__, which hands its
    lookups to the wrong fields) but its lookups and caches, which dbt rebuilds when missing."""
    fields = {f.name: getattr(manifest, f.name) for f in dataclasses.fields(manifest) if not f.name.startswith("_")}
    kept = _kept_manifest_file(cache)
    for stale in cache.glob("manifest-*.pickle"):  # of other package versions
        stale.unlink(missing_ok=True)
    tmp = kept.with_name(f"{kept.name}.{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(tmp, kept)


def _kept_manifest(cache: Path):
    """The manifest a process parsed from identical project files with the same dbt packages, or None:
    ~0.03 s against ~1 s for dbt's parse from the saved parse (it checks every file again)."""
    from dbt.contracts.graph.manifest import Manifest

    try:
        manifest = Manifest(**pickle.loads(_kept_manifest_file(cache).read_bytes()))
    except Exception:  # none kept, or unreadable (cut short, other code): dbt parses
        return None
    # project files that read the environment (env_var outside profiles.yml): dbt checks those values
    return None if manifest.env_vars else manifest


def _parse(dbtRunner, relay, project_dir: Path, cache: Path, log_path: Path, duckdb_path: Path, run_target: Path):
    """Parse the project (no vars: the manifest does not depend on them), starting from
    the saved parse of identical project files (in cache, parse_cache_dir) when there is one.

    dbt parses inside the run's own target directory; the result is then published with
    an atomic rename, so concurrent jobs never read a half-written file."""
    work = run_target / "parse"
    work.mkdir(parents=True, exist_ok=True)
    if (cache / PARTIAL_PARSE_FILE).is_file():
        shutil.copyfile(cache / PARTIAL_PARSE_FILE, work / PARTIAL_PARSE_FILE)
    # dbt reparses in full when the profile's connection settings differ, so every parse
    # names the same DuckDB path (never opened); the relations' database is the file
    # name, the same in every run.
    os.environ["SIM_DUCKDB_PATH"] = str(cache / duckdb_path.name)
    try:
        parsed = dbtRunner(callbacks=[relay]).invoke(["parse", *_common_args(project_dir, work, log_path, None)])
    finally:
        os.environ["SIM_DUCKDB_PATH"] = str(duckdb_path)
    if parsed.success and (work / PARTIAL_PARSE_FILE).is_file():
        try:
            cache.mkdir(parents=True, exist_ok=True)
            for stale in cache.parent.iterdir():  # parses of earlier project states
                if stale != cache:
                    shutil.rmtree(stale, ignore_errors=True)
            published = cache / f"{PARTIAL_PARSE_FILE}.{os.getpid()}.tmp"
            shutil.copyfile(work / PARTIAL_PARSE_FILE, published)
            os.replace(published, cache / PARTIAL_PARSE_FILE)
            _keep_manifest(parsed.result, cache)  # before any build changes it
        # a read-only checkout, or a manifest that does not pickle: later processes parse
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            pass
    return parsed


def release_database() -> None:
    """Close the DuckDB database dbt-duckdb keeps open after a command, so that another
    process can open the file. A job's own connections (sim_io.connect) share the open
    database, so a job releases it once, when it ends (job_workers.py)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
    if environment is not None:
        environment.close()


def _node_results(result) -> list[dict]:
    nodes = []
    for node_result in getattr(result, "results", None) or []:
        node = node_result.node
        nodes.append({
            "unique_id": node.unique_id,
            "name": node.name,
            "resource_type": str(getattr(node, "resource_type", "")),
            "status": str(node_result.status),
            "seconds": round(node_result.execution_time or 0.0, 3),
            "failures": node_result.failures,
            "message": (node_result.message or "")[:2000],
        })
        if nodes[-1]["resource_type"] == "test":  # what a replayed year needs to judge the test (year_replay.py)
            nodes[-1].update(severity=str(node.config.severity), error_if=node.config.error_if,
                             warn_if=node.config.warn_if)
    return nodes


def invoke(
    command: list[str],
    *,
    project_dir: Path,
    target_path: Path,
    log_path: Path,
    duckdb_path: Path,
    dbt_vars: dict,
    threads: int = 1,
    memory_mb: int | None = None,
    log: Callable[[str], None] = print,
    statements: list[dict] | None = None,
) -> DbtRun:
    """Run one dbt command (e.g. ["build", "--select", "tag:year"]); raise DbtError on failure.
    memory_mb caps DuckDB's memory (None: DuckDB's default, profiles.yml). statements: a list
    to which every SQL statement dbt executes is appended, {"node": unique id or "", "sql": ...}."""
    dbtRunner = import_dbt(project_dir)

    def relay(event) -> None:
        if statements is not None and event.info.name == "SQLQuery":
            statements.append({"node": event.data.node_info.unique_id, "sql": event.data.sql})
        if event.info.level in ("info", "warn", "error") and event.info.msg:
            log(f"[dbt] {event.info.msg}")

    args = _common_args(project_dir, target_path, log_path, dbt_vars)
    # Vars are rendered when a node is compiled, not when the project is parsed (no model
    # takes a ref, source or config from a var), so one parse serves every run of a
    # process; the DuckDB file name (the relations' database) is the same in every run.
    key = (str(project_dir), duckdb_path.name)
    with _LOCK:
        os.environ["SIM_DUCKDB_PATH"] = str(duckdb_path)
        os.environ["SIM_DBT_THREADS"] = str(threads)
        if memory_mb:
            os.environ["SIM_DUCKDB_MEMORY_LIMIT"] = f"{memory_mb}MiB"
        else:  # profiles.yml falls back to DuckDB's default
            os.environ.pop("SIM_DUCKDB_MEMORY_LIMIT", None)
        started = time.perf_counter()
        if key not in _MANIFESTS:
            cache = parse_cache_dir(project_dir, duckdb_path.name)
            kept = _kept_manifest(cache)
            if kept is None:
                parsed = _parse(dbtRunner, relay, project_dir, cache, log_path, duckdb_path, target_path)
                if not parsed.success:
                    raise DbtError(f"dbt could not parse the project {project_dir}: {parsed.exception or 'see log'}")
                kept = parsed.result
            else:
                log(f"dbt's parse of this project taken from {_kept_manifest_file(cache)}")
            _MANIFESTS[key] = kept
        manifest = _MANIFESTS[key]
        _reset_compilation(manifest)
        parsed_at = time.perf_counter()
        with dbt_template_cache.kept():
            result = dbtRunner(manifest=manifest, callbacks=[relay]).invoke([*command, *args, "--no-write-json"])
        finished = time.perf_counter()
        dbt_schema_cache.save()

    nodes = _node_results(result.result)
    run = DbtRun(
        command=" ".join(command), success=bool(result.success),
        seconds_total=finished - started, seconds_parse=parsed_at - started,
        seconds_sql=sum(n["seconds"] for n in nodes), nodes=nodes,
    )
    return raise_if_failed(run, result.exception)


def raise_if_failed(run: DbtRun, exception: BaseException | None = None) -> DbtRun:
    """The run, or DbtError naming its failed models and tests (with their offending rows)."""
    if not run.success:
        failed = run.failures()
        if failed:
            details = "; ".join(
                f"{n['resource_type'].split('.')[-1]} {n['name']} {n['status']}"
                + (f" ({n['failures']} offending rows)" if n["failures"] else "")
                + (": " + " ".join(n["message"].split())[:600] if n["message"] else "")
                for n in failed)
        else:
            details = str(exception or "unknown dbt error (see the dbt log)")
        raise DbtError(f"dbt {run.command} failed: {details}")
    return run
