"""Replay a year's dbt build: run the SQL dbt ran for other years and seeds, without dbt.

Every year builds the same SQL: no model reads the year from a var (it comes from
sim_input.year_context), and the seed enters only as a literal of the draws (macros/sim_random.sql)
and of two marts' random_seed column. So once the project, the other vars and the selection are
fixed, dbt's work is its own overhead: rendering, events and materialization bookkeeping, ~0.9 s of
a 10,000-employee year's ~1.9 s. dbt builds a year and hands over every statement it executes;
with the year's partition tables (year_partitions.<model>_<year>), the views over them and the
seed taken out, that is the build's program, kept per key in the results directory and shared by
its runs and their seeds: no statement depends on the census (the data enter only through the
tables the statements read), so a later run of another census replays what an earlier run's dbt ran.
Once dbt has run the same program for two different years, later years replay it directly, node
by node as dbt ran them (each statement committed on its own): the same models, the same data tests
judged as dbt judges them (severity, error_if, warn_if), and the contract check of a view compared
with what it returned when dbt built. Another seed replays it too once dbt has run it for two
different seeds. Another design (other plan values: other
constants in the same statements) replays from its second year once dbt has run one such design
for two years. A different program from dbt replaces the kept one and its evidence. Another
project state, other vars, another selection or dbt threads above 1: a different key. Nodes run
side by side where neither reads or writes a relation the other writes (read through the views
the program creates), so every node sees what it saw when dbt ran them in order. A replay starts
no node after one has failed (dbt would go on with the nodes that do not depend on it)."""
from __future__ import annotations

import hashlib
import importlib.metadata
import itertools
import json
import os
import re
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable

import duckdb

import dbt_runner

YEAR = "{{simulation_year}}"  # where a program names the year's partition tables
SEED = "{{random_seed}}"      # and the run's seed
TRANSACTION = {"begin", "commit", "rollback"}  # each replayed statement commits on its own
_PARTITION = re.compile(r'"year_partitions"\."(\w+)_(\d+)"')
_UNION_VIEW = re.compile(r'^create or replace view (?P<relation>"\w+"\."\w+"\."\w+") as\s+'
                         r'select \* from "year_partitions"\."(?P<model>\w+)_\d+"', re.IGNORECASE)
# the seed in a draw, macros/sim_random.sql, and in a mart's random_seed column
_SEED_IN_DRAW = re.compile(r"concat_ws\('\|', '(\d+)', ")
_SEED_COLUMN = re.compile(r"cast\((\d+) as bigint\) as random_seed")
_QUERY_COMMENT = re.compile(r"^\s*/\*.*?\*/\s*", re.DOTALL)  # dbt's query comment, the same every year
# Two nodes at a time: one node's single-threaded stretches (planning, writing a table into the
# database file) overlap the other's work; a replayed year takes ~15 % less time than in order.
REPLAY_WORKERS = 2
# Only while the year's population leaves DuckDB's threads idle: above this many rows of the
# previous year-end state per thread, each node keeps every thread busy and two nodes at a time
# contend. A replayed year on 2 threads, one node at a time against two: 200,000 employees 8.8 s
# against 7.9 s, 300,000 12.3 against 11.5 s, 500,000 19.9 against 21.0 s, 1,000,000 41.8 against 47.2 s.
SIDE_BY_SIDE_ROWS_PER_THREAD = 200_000
# the relations a statement names, as dbt quotes them: "catalog"."schema"."name" or "schema"."name"
_RELATION = re.compile(r'(?:"\w+"\.)?"(\w+)"\."([\w{}]+)"')
_CREATE = re.compile(r'^create\s+(?:or\s+replace\s+)?(?P<kind>table|view)\s+(?:"\w+"\.)?"(?P<schema>\w+)"\.'
                     r'"(?P<name>[\w{}]+)"(?P<body>.*)$', re.IGNORECASE | re.DOTALL)


def family(command: list[str], project_dir: Path, duckdb_path: Path, threads: int) -> str:
    """What a program depends on but the vars: the command, the project's files, dbt's, the adapter's
    and DuckDB's versions, dbt's threads."""
    project = dbt_runner.parse_cache_dir(project_dir, duckdb_path.name).name
    versions = [importlib.metadata.version("dbt-duckdb"), duckdb.__version__]
    return hashlib.sha256(json.dumps([command, project, versions, threads]).encode()).hexdigest()


def key(family: str, dbt_vars: dict) -> str:
    """What a program depends on: its family (family()) and the vars but the seed."""
    other_vars = {name: value for name, value in dbt_vars.items() if name != "random_seed"}
    return hashlib.sha256(json.dumps([family, other_vars], sort_keys=True).encode()).hexdigest()


def strip_query_comment(sql: str) -> str:
    """The statement without dbt's query comment."""
    return _QUERY_COMMENT.sub("", sql, count=1).strip()


def _statement(node: str, sql: str, year: int, seed: int) -> dict | None:
    body = strip_query_comment(sql)
    if body.lower() in TRANSACTION:
        return None
    view = _UNION_VIEW.match(body)
    if view:  # its list of year tables grows every year: rebuilt from the tables there are
        return {"node": node, "union_view": view["model"], "relation": view["relation"]}
    sql = _PARTITION.sub(lambda m: f'"year_partitions"."{m[1]}_{YEAR}"' if m[2] == str(year) else m[0], sql)
    sql = _SEED_IN_DRAW.sub(lambda m: f"concat_ws('|', '{SEED}', " if m[1] == str(seed) else m[0], sql)
    sql = _SEED_COLUMN.sub(lambda m: f"cast({SEED} as bigint) as random_seed" if m[1] == str(seed) else m[0], sql)
    return {"node": node, "sql": sql}


def _columns(described: duckdb.DuckDBPyConnection) -> list[list]:
    """A DESCRIBE's columns in name order: dbt's contract check does not look at their order."""
    return sorted(list(row) for row in described.fetchall())


def record(statements: list[dict], build: dbt_runner.DbtRun, con: duckdb.DuckDBPyConnection, *,
           year: int, seed: int) -> dict:
    """The program of a year dbt built: its statements with the year and the seed taken out, what
    each DESCRIBE (a contract check) returned, and the nodes as dbt reported them."""
    program = [s for s in (_statement(s["node"], s["sql"], year, seed) for s in statements) if s]
    # dbt fills its relation cache (schemas listed, created if missing) on a thread pool, in any order
    program = [s for _, run in itertools.groupby(program, key=lambda s: s["node"])
               for s in (sorted(run, key=lambda s: s["sql"]) if _ == "" else run)]
    for statement in program:
        if "sql" in statement and strip_query_comment(statement["sql"]).lower().startswith(
                "describe"):
            statement["expect"] = _columns(con.execute(statement["sql"]))
    nodes = [{k: v for k, v in n.items() if k in ("unique_id", "name", "resource_type", "severity", "error_if",
                                                 "warn_if")} for n in build.nodes]
    return {"command": build.command, "statements": program, "nodes": nodes}


def load(path: Path) -> dict | None:
    """The program kept at path with the years and seeds dbt ran it for, or None."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _listed(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers))


def _ran(kept: dict) -> str:
    seeds, runs = kept["seeds"], kept.get("runs", [])
    where = f" in run{'s' if len(runs) > 1 else ''} {', '.join(runs)}" if runs else ""
    return f"dbt ran it for {_listed(kept['years'])} and seed{'s' if len(seeds) > 1 else ''} {_listed(seeds)}{where}"


def replayable(kept: dict | None, seed: int) -> bool:
    """dbt ran the program for two different years, and for this seed or for two different seeds."""
    return bool(kept) and len(kept["years"]) > 1 and (seed in kept["seeds"] or len(kept["seeds"]) > 1)


def evidence(kept: dict | None, seed: int, path: Path) -> str | None:
    """Why the program kept at path may be replayed for this seed, or None: dbt must build the year.
    Replayable, or dbt ran it for this seed and ran a program of the same family (another design of
    the run: the same command, project and versions) for two different years whose statements are
    the same but for their constants. A year's program differs from another year's only through
    what dbt finds in the database, the same for every design of the run; constants come from vars."""
    if replayable(kept, seed):
        return _ran(kept)
    if not kept or seed not in kept["seeds"] or not kept.get("family"):
        return None
    for other_path in sorted(path.parent.glob("*.json")):  # beside other files where the database is
        other = load(other_path) if other_path != path else None
        if isinstance(other, dict) and len(other.get("years", ())) > 1 and (
                other.get("family"), other.get("shape")) == (kept["family"], kept.get("shape")):
            return f"{_ran(kept)}; with other constants for {_listed(other['years'])}"
    return None


# the constants of a statement: strings, numbers with their signs, booleans (quoted names and comments are kept)
_CONSTANT = re.compile(r"""(?P<kept>"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/)|'(?:[^']|'')*'"""
                       r"|(?<![\w.])(?:[-+]\s*)*\d+(?:\.\d*)?(?:e[-+]?\d+)?(?![\w.])|\b(?:true|false)\b",
                       re.IGNORECASE | re.DOTALL)


def shape(program: dict) -> str:
    """A digest of the program with every constant of its statements blanked."""
    statements = [{**s, "sql": _CONSTANT.sub(lambda m: m["kept"] or "?", s["sql"])} if "sql" in s else s
                  for s in program["statements"]]
    return hashlib.sha256(json.dumps({**program, "statements": statements}, sort_keys=True).encode()).hexdigest()


def save(program: dict, path: Path, *, year: int, seed: int, family: str = "", run: str = "") -> dict:
    """Keep the program of a year dbt built with the years, seeds and runs (run directory names) it was
    built for: added to the kept program's when they are the same, else in its place."""
    kept = load(path)
    runs = [run] if run else []
    if kept and (kept["program"], kept.get("family", "")) == (program, family):
        kept = {**kept, "years": sorted({*kept["years"], year}), "seeds": sorted({*kept["seeds"], seed}),
                "runs": sorted({*kept.get("runs", []), *runs})}
    else:
        kept = {"program": program, "years": [year], "seeds": [seed], "runs": runs, "family": family,
                "shape": shape(program)}
    return write(kept, path)


def write(kept: dict, path: Path) -> dict:
    """Write a kept program in the place of the one at path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # the run's chains save side by side
    tmp.write_text(json.dumps(kept))
    tmp.replace(path)
    return kept


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


def _relations(sql: str) -> set[tuple[str, str]]:
    return {(schema.lower(), name.lower()) for schema, name in _RELATION.findall(sql)}


def _units(program: dict) -> list[dict]:
    """The program's nodes in dbt's order, each with its statements, the relations it creates and
    those it reads, directly or through a view the program creates."""
    operations = {n["unique_id"] for n in program["nodes"] if n["resource_type"] == "operation"}
    units, view_reads = [], {}
    for node_id, statements in itertools.groupby(program["statements"], key=lambda s: s["node"]):
        unit = {"node": node_id, "statements": list(statements), "creates": set(), "reads": set(),
                "barrier": node_id == "" or node_id in operations}  # dbt's own statements and hooks run alone
        for statement in unit["statements"]:
            if "union_view" in statement:
                view = _relations(statement["relation"]).pop()
                reads = {("year_partitions", f"{statement['union_view']}_{YEAR}".lower())}
                unit["creates"].add(view)
                view_reads[view] = reads
                unit["reads"] |= reads
                continue
            created = _CREATE.match(strip_query_comment(statement["sql"]))
            if created:
                relation = (created["schema"].lower(), created["name"].lower())
                unit["creates"].add(relation)
                if created["kind"].lower() == "view":
                    view_reads[relation] = _relations(created["body"]) - {relation}
            unit["reads"] |= _relations(statement["sql"])
        units.append(unit)
    for unit in units:
        pending, unit["reads"] = list(unit["reads"]), set()
        while pending:
            relation = pending.pop()
            if relation not in unit["reads"]:
                unit["reads"].add(relation)
                pending.extend(view_reads.get(relation, ()))
    return units


def _waits_for(units: list[dict]) -> list[set[int]]:
    """For each unit, the earlier units it must wait for: those that write what it reads or
    writes, read what it writes, or belong to the same node, and every unit before a hook."""
    waits = []
    for j, later in enumerate(units):
        waits.append({i for i, earlier in enumerate(units[:j])
                      if earlier["barrier"] or later["barrier"] or earlier["node"] == later["node"]
                      or earlier["creates"] & (later["reads"] | later["creates"])
                      or earlier["reads"] & later["creates"]})
    return waits


def _run_side_by_side(units: list[dict], run_unit, workers: int) -> None:
    """run_unit(unit) for every unit once the units it waits for have run, up to `workers` at a time,
    earliest first. run_unit returns False when its node failed: no unit starts after that."""
    waits, done, running, failed = _waits_for(units), set(), {}, False
    waiting = list(range(len(units)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while waiting or running:
            ready = [] if failed else [i for i in waiting if waits[i] <= done][:workers - len(running)]
            for index in ready:
                waiting.remove(index)
                running[pool.submit(run_unit, units[index])] = index
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                done.add(running.pop(future))
                failed = not future.result() or failed  # a statement of dbt's own raises here


def _with_after(units: list[dict], program: dict, after: list[tuple[str, Callable]]) -> list[dict]:
    """The units, and for each (node name, function) a unit that runs the function once the node has
    written its relations, before dbt's closing hooks."""
    names = {n["unique_id"]: n["name"] for n in program["nodes"]}
    end = len(units)
    while end and units[end - 1]["barrier"]:
        end -= 1
    extra = []
    for name, function in after:
        written = set().union(*(u["creates"] for u in units[:end] if names.get(u["node"]) == name))
        if not written:
            raise KeyError(f"the replayed program builds no node {name}")
        extra.append({"node": f"after {name}", "statements": [], "creates": set(), "reads": written,
                      "barrier": False, "run": function})
    return units[:end] + extra + units[end:]


def year_workers(con: duckdb.DuckDBPyConnection) -> int:
    """How many nodes of a year run at a time: REPLAY_WORKERS while the previous year-end state
    (sim_input.prev_state) has at most SIDE_BY_SIDE_ROWS_PER_THREAD rows a DuckDB thread, else one."""
    rows, threads = con.execute("select (select count(*) from sim_input.prev_state), "
                                "cast(current_setting('threads') as bigint)").fetchone()
    return REPLAY_WORKERS if rows <= SIDE_BY_SIDE_ROWS_PER_THREAD * threads else 1


def replay(kept: dict, con: duckdb.DuckDBPyConnection, *, year: int, seed: int,
           memory_mb: int | None, workers: int = REPLAY_WORKERS,
           after: list[tuple[str, Callable]] = (), why: str | None = None) -> dbt_runner.DbtRun:
    """Run a kept program for this year and seed on the run's database; raise DbtError as dbt would.
    after: (node name, function) pairs; each function is called with a cursor of con once that node
    has run, beside the rest of the program (to export what the node wrote while the tests run).
    why: the evidence that lets it replay (evidence()), reported in the run's command."""
    started = time.perf_counter()
    program = kept["program"]
    con.execute("attach if not exists ':memory:' as scratch")  # profiles.yml: the year's intermediate tables
    if memory_mb:
        con.execute(f"set memory_limit = '{int(memory_mb)}MiB'")
    nodes = {n["unique_id"]: {**{k: n[k] for k in ("unique_id", "name", "resource_type")}, "status": "success",
                              "seconds": 0.0, "failures": None, "message": "OK"} for n in program["nodes"]}
    tests = {n["unique_id"]: n for n in program["nodes"] if n["resource_type"] == "test"}

    def run_unit(unit: dict) -> bool:
        node_id, node = unit["node"], nodes.get(unit["node"])  # None: dbt's own statements (its relation cache)
        node_started = time.perf_counter()
        cursor = con.cursor()
        try:
            if "run" in unit:
                unit["run"](cursor)
            for statement in unit["statements"]:
                sql = (_union_view(cursor, statement["relation"], statement["union_view"])
                       if "union_view" in statement
                       else statement["sql"].replace(YEAR, str(year)).replace(SEED, str(int(seed))))
                result = cursor.execute(sql)
                if node_id in tests and "should_error" in sql:
                    node["status"], node["failures"], node["message"] = _test_outcome(tests[node_id], result.fetchone())
                elif "expect" in statement:
                    columns = _columns(result)
                    if columns != statement["expect"]:
                        got, expected = ({f"{c[0]} {c[1]}" for c in cs} for cs in (columns, statement["expect"]))
                        raise duckdb.Error(
                            f"contract check: columns {sorted(got - expected)} instead of {sorted(expected - got)} "
                            "(the columns dbt checked)")
        except duckdb.Error as error:
            if node is None:
                raise
            node.update(status="error", message=str(error))
        finally:
            cursor.close()
        if node is None:
            return True
        node["seconds"] = round(node["seconds"] + time.perf_counter() - node_started, 3)
        return node["status"] not in ("error", "fail")

    _run_side_by_side(_with_after(_units(program), program, list(after)), run_unit, workers)
    finished = time.perf_counter()
    run = dbt_runner.DbtRun(
        command=f"{program['command']} (replayed: {why or _ran(kept)})",
        success=all(n["status"] not in ("error", "fail") for n in nodes.values()),
        seconds_total=finished - started, seconds_parse=0.0,
        # nodes that ran side by side overlap: the SQL took at most the replay's time
        seconds_sql=min(sum(n["seconds"] for n in nodes.values()), finished - started), nodes=list(nodes.values()))
    return dbt_runner.raise_if_failed(run)
