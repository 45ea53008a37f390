"""Replay a year's dbt build: run the SQL dbt ran for an earlier year of the same run, without dbt.

Every year of a run builds the same SQL: no model reads the year from a var (it comes from
sim_input.year_context), so once the project, the vars and the selection are fixed, dbt's work in
a later year is its own overhead: rendering, events and materialization bookkeeping, ~0.9 s of a
10,000-employee year's ~1.9 s. So dbt builds the first two years of a run and hands over every
statement it executes; when both years ran the same statements, up to the year's partition tables
(year_partitions.<model>_<year>) and the views over them, the later years run those statements
directly, node by node as dbt ran them, each node in one transaction: the same models, the same data
tests judged as dbt judges them (severity, error_if, warn_if), and the contract check of a view
compared with what it returned in the year dbt built. Another project state, other vars, another
selection or dbt threads above 1: dbt builds the year itself. A replay stops at the first failing
node (dbt would go on with the nodes that do not depend on it)."""
from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from pathlib import Path

import duckdb

import dbt_runner

YEAR = "{{simulation_year}}"  # where a recorded statement names the year's partition tables
TRANSACTION = {"begin", "commit", "rollback"}  # replaced by one transaction per node
_PARTITION = re.compile(r'"year_partitions"\."(\w+)_(\d+)"')
_UNION_VIEW = re.compile(r'^create or replace view (?P<relation>"\w+"\."\w+"\."\w+") as\s+'
                         r'select \* from "year_partitions"\."(?P<model>\w+)_\d+"', re.IGNORECASE)
_QUERY_COMMENT = re.compile(r"^\s*/\*.*?\*/\s*", re.DOTALL)  # dbt's query comment, the same every year


def key(command: list[str], dbt_vars: dict, project_dir: Path, duckdb_path: Path, threads: int) -> str:
    """What a recorded build depends on: the project's files (and dbt's version), the vars and the command."""
    project = dbt_runner.parse_cache_dir(project_dir, duckdb_path.name).name
    return hashlib.sha256(json.dumps([command, dbt_vars, project, threads], sort_keys=True).encode()).hexdigest()


def _statement(node: str, sql: str, year: int) -> dict | None:
    body = _QUERY_COMMENT.sub("", sql, count=1).strip()
    if body.lower() in TRANSACTION:
        return None
    view = _UNION_VIEW.match(body)
    if view:  # its list of year tables grows every year: rebuilt from the tables there are
        return {"node": node, "union_view": view["model"], "relation": view["relation"]}
    return {"node": node, "sql": _PARTITION.sub(
        lambda m: f'"year_partitions"."{m[1]}_{YEAR}"' if m[2] == str(year) else m[0], sql)}


def _columns(described: duckdb.DuckDBPyConnection) -> list[list]:
    """A DESCRIBE's columns in name order: dbt's contract check does not look at their order."""
    return sorted(list(row) for row in described.fetchall())


def record(statements: list[dict], build: dbt_runner.DbtRun, year: int, build_key: str,
           con: duckdb.DuckDBPyConnection) -> dict:
    """The program of a year dbt built: its statements with the year taken out, what each DESCRIBE
    (a contract check) returned, and the nodes as dbt reported them."""
    program = [s for s in (_statement(s["node"], s["sql"], year) for s in statements) if s]
    # dbt fills its relation cache (schemas listed, created if missing) on a thread pool, in any order
    program = [s for _, run in itertools.groupby(program, key=lambda s: s["node"])
               for s in (sorted(run, key=lambda s: s["sql"]) if _ == "" else run)]
    for statement in program:
        if "sql" in statement and _QUERY_COMMENT.sub("", statement["sql"], count=1).strip().lower().startswith(
                "describe"):
            statement["expect"] = _columns(con.execute(statement["sql"]))
    nodes = [{k: v for k, v in n.items() if k in ("unique_id", "name", "resource_type", "severity", "error_if",
                                                 "warn_if")} for n in build.nodes]
    return {"key": build_key, "year": year, "command": build.command, "statements": program, "nodes": nodes}


def load(path: Path, build_key: str) -> dict | None:
    """The program saved for this key, or None."""
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return saved if saved.get("key") == build_key else None


def save(program: dict, previous: dict | None, path: Path) -> dict:
    """Keep the program of a year dbt built. It is confirmed, and replayed from then on, once two
    different years ran the same statements and nodes."""
    confirmed = bool(previous and previous["year"] != program["year"]
                     and (previous["statements"], previous["nodes"]) == (program["statements"], program["nodes"]))
    saved = {**program, "confirmed": confirmed,
             "years_compared": sorted([previous["year"], program["year"]]) if confirmed else []}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(saved))
    tmp.replace(path)
    return saved


def _union_view(con: duckdb.DuckDBPyConnection, relation: str, model: str) -> str:
    """The view over a model's year tables, as macros/materialization_year_partition.sql writes it."""
    database = relation.split(".")[0].strip('"')
    tables = [row[0] for row in con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = 'year_partitions' "
        "and regexp_full_match(table_name, ?) order by table_name", [database, f"{model}_[0-9]+"]).fetchall()]
    return f"create or replace view {relation} as\n" + "\nunion all by name\n".join(
        f'select * from "year_partitions"."{table}"' for table in tables)


def _test_outcome(node: dict, row: tuple) -> tuple[str, int, str]:
    """status, failures and message of a data test, as dbt's build_test_run_result makes them."""
    failures, should_warn, should_error = row
    got = f"Got {failures} result{'' if failures == 1 else 's'}"
    if node["severity"].upper() == "ERROR" and should_error:
        return "fail", failures, f"{got}, configured to fail if {node['error_if']}"
    if should_warn:
        return "warn", failures, f"{got}, configured to warn if {node['warn_if']}"
    return "pass", 0, ""


def replay(program: dict, con: duckdb.DuckDBPyConnection, year: int, memory_mb: int | None) -> dbt_runner.DbtRun:
    """Run a recorded program for `year` on the run's database; raise DbtError as dbt would."""
    started = time.perf_counter()
    con.execute("attach if not exists ':memory:' as scratch")  # profiles.yml: the year's intermediate tables
    if memory_mb:
        con.execute(f"set memory_limit = '{int(memory_mb)}MiB'")
    nodes = {n["unique_id"]: {**{k: n[k] for k in ("unique_id", "name", "resource_type")}, "status": "success",
                              "seconds": 0.0, "failures": None, "message": "OK"} for n in program["nodes"]}
    tests = {n["unique_id"]: n for n in program["nodes"] if n["resource_type"] == "test"}
    groups: list[tuple[str, list[dict]]] = []
    for statement in program["statements"]:  # consecutive statements of one node run as one transaction
        if groups and groups[-1][0] == statement["node"]:
            groups[-1][1].append(statement)
        else:
            groups.append((statement["node"], [statement]))
    failed = False
    for node_id, statements in groups:
        node = nodes.get(node_id)
        node_started = time.perf_counter()
        try:
            for statement in statements:
                sql = (_union_view(con, statement["relation"], statement["union_view"]) if "union_view" in statement
                       else statement["sql"].replace(YEAR, str(year)))
                result = con.execute(sql)
                if node_id in tests and "should_error" in sql:
                    node["status"], node["failures"], node["message"] = _test_outcome(tests[node_id], result.fetchone())
                elif "expect" in statement:
                    columns = _columns(result)
                    if columns != statement["expect"]:
                        raise duckdb.Error(f"the columns {columns} differ from those of the contract check in "
                                           f"{program['year']}: {statement['expect']}")
        except duckdb.Error as error:
            if node is None:
                raise
            node.update(status="error", message=str(error))
        if node is not None:
            node["seconds"] = round(node["seconds"] + time.perf_counter() - node_started, 3)
            if node["status"] in ("error", "fail"):
                failed = True
                break
    finished = time.perf_counter()
    run = dbt_runner.DbtRun(
        command=program["command"] + f" (replayed, recorded in {program['year']})", success=not failed,
        seconds_total=finished - started, seconds_parse=0.0,
        seconds_sql=sum(n["seconds"] for n in nodes.values()), nodes=list(nodes.values()))
    return dbt_runner.raise_if_failed(run)
