"""Replayed years (workflow/scripts/year_replay.py): a year that runs the statements dbt ran for an
earlier year gives the same files, figures, database rows and quality gates as dbt building it, and
judges data tests and contract checks as dbt does."""
from __future__ import annotations

import itertools
import json

import duckdb
import pandas as pd
import pytest

import dbt_runner
import run_summary
import year_replay
from simconfig import workforce

from conftest import REPO, new_workdir, results_dir, simulate

YEARS = (2025, 2028)


# richer_match with other constants: 50 % instead of 100 % on the first 6 % of pay
HALF_MATCH = (REPO / "config" / "scenarios" / "richer_match.yaml").read_text().replace(
    "match_rate: 1.00", "match_rate: 0.50")


@pytest.mark.slow
def test_replayed_years_and_seeds_give_what_dbt_gives_for_a_scenario_and_one_that_shares_its_workforce(tmp_path):
    # dbt builds each scenario's 2025 and 2026 for seed 42, which then replays 2027 and 2028; seed 7,
    # added next, builds 2025 with dbt (the program had been run for seed 42 only) and replays the rest.
    # half_match, added last, differs from richer_match only in constants: dbt builds its 2025 only
    replayed, built = new_workdir(tmp_path / "replayed"), new_workdir(tmp_path / "built")
    for workdir in (replayed, built):
        (workdir / "config" / "scenarios" / "half_match.yaml").write_text(HALF_MATCH)
    for scenarios, seeds in (("baseline,richer_match", "[42]"), ("baseline,richer_match", "[42,7]"),
                             ("baseline,richer_match,half_match", "[42]")):
        simulate(replayed, start=YEARS[0], end=YEARS[1], scenario=scenarios, extra={"seeds": seeds})
    simulate(built, start=YEARS[0], end=YEARS[1], scenario="baseline,richer_match,half_match",
             extra={"seeds": "[42,7]", "dbt_replay": False})
    runs = {True: results_dir(replayed), False: results_dir(built)}
    compared = 0
    for scenario, seed in [*itertools.product(("baseline", "richer_match"), (42, 7)), ("half_match", 42)]:
        seed_dirs = {replay: run / scenario / f"seed_{seed}" for replay, run in runs.items()}
        for year in range(YEARS[0], YEARS[1] + 1):
            years = {replay: seed_dir / "years" / str(year) for replay, seed_dir in seed_dirs.items()}
            summaries = {replay: json.loads((path / "summary.json").read_text()) for replay, path in years.items()}
            by_dbt = year < 2027 if seed == 42 and scenario != "half_match" else year == 2025
            expected = ("" if by_dbt else " (replayed: dbt ran it for 2025 and seed 42 in run default; with other "
                        "constants for 2025, 2026)" if scenario == "half_match" else " (replayed: dbt ran it for 2025, "
                        "2026 and " + ("seed 42" if seed == 42 else "seeds 7, 42") + " in run default)")
            assert summaries[True]["dbt_build"] == summaries[False]["dbt_build"] + expected, (scenario, seed, year)
            assert "replayed" not in summaries[False]["dbt_build"]
            for name in ("events", "snapshot", "state", *(f"workforce/{table}" for table in workforce.SHARED_TABLES)):
                assert (years[True] / name).with_suffix(".parquet").read_bytes() == \
                    (years[False] / name).with_suffix(".parquet").read_bytes(), (scenario, seed, year, name)
                compared += 1
            figures = [{k: v for k, v in s.items() if k not in run_summary.RUN_FACTS} for s in summaries.values()]
            assert figures[0] == figures[1], (scenario, seed, year)
            for fact in ("quality_gates", "table_rows", "row_counts", "workforce_from"):
                assert summaries[True][fact] == summaries[False][fact], (scenario, seed, year, fact)
            assert sorted(summaries[True]["node_seconds"]) == sorted(summaries[False]["node_seconds"])
            assert len(summaries[True]["quality_gates"]) > 20 and all(
                gate["status"] == "pass" for gate in summaries[True]["quality_gates"])
        # the published database: every mart, every year, row for row
        databases = {replay: duckdb.connect(str(seed_dir / "simulation.duckdb"), read_only=True)
                     for replay, seed_dir in seed_dirs.items()}
        try:
            for table in ("fct_yearly_events", "fct_workforce_snapshot", "fct_account_balances",
                          "fct_compliance_tests", "fct_year_summary", "fct_year_end_state"):
                rows = {replay: con.sql(f"select * from {table} order by all").fetchall()
                        for replay, con in databases.items()}
                assert rows[True] == rows[False] and rows[True], (scenario, seed, table)
            years_held = databases[True].sql("select distinct simulation_year from fct_yearly_events order by 1")
            assert [row[0] for row in years_held.fetchall()] == list(range(YEARS[0], YEARS[1] + 1))
        finally:
            for con in databases.values():
                con.close()
    assert compared == 5 * 4 * 6
    # the designs differ: half_match's replays took its own constants in
    match = {scenario: pd.read_parquet(runs[True] / scenario / "seed_42" / "years" / "2028" / "snapshot.parquet")
             ["match_amount"].sum() for scenario in ("richer_match", "half_match")}
    assert 0 < match["half_match"] < match["richer_match"]
    # the seeds differ: a replay took the seed in, not the recorded seed's draws
    events = {seed: (runs[True] / "baseline" / f"seed_{seed}" / "years" / "2028" / "events.parquet").read_bytes()
              for seed in (42, 7)}
    assert events[42] != events[7]


@pytest.mark.slow
def test_later_runs_of_other_censuses_replay_the_foundation_and_years_dbt_built_in_earlier_runs_beside_them(tmp_path):
    # run default (2,000 employees) has dbt build its foundation and 2025 and 2026; run default-2, of another
    # census in the same results directory, replays both years and has dbt build the same foundation again;
    # run default-3, of a third census, replays its foundation and years. The third census built by dbt in a
    # directory of its own gives the same files and foundation database
    shared, alone = new_workdir(tmp_path / "shared"), new_workdir(tmp_path / "alone")
    for size in (2000, 1500, 1200):
        simulate(shared, size=size, start=2025, end=2026)
    simulate(alone, size=1200, start=2025, end=2026, extra={"dbt_replay": False})
    runs = {True: results_dir(shared, "default-3"), False: results_dir(alone)}
    built = {run: json.loads((results_dir(shared, run) / "baseline" / "seed_42" / "foundation.json").read_text())
             ["dbt"][0]["command"] for run in ("default", "default-2", "default-3")}
    command = "build --select tag:foundation --exclude test_type:unit tag:integrity --indirect-selection cautious"
    assert built == {"default": command, "default-2": command, "default-3": command + " (replayed: dbt built it 2 times)"}
    first = json.loads((results_dir(shared) / "baseline" / "seed_42" / "years" / "2026" / "summary.json").read_text())
    assert "replayed" not in first["dbt_build"]
    foundations = {replay: run / "baseline" / ".foundation" for replay, run in runs.items()}
    assert (foundations[True] / "baseline_state.parquet").read_bytes() == \
        (foundations[False] / "baseline_state.parquet").read_bytes()
    databases = {replay: duckdb.connect(str(path / "simulation.duckdb"), read_only=True)
                 for replay, path in foundations.items()}
    try:
        tables = {replay: con.sql("select schema_name, table_name from duckdb_tables() order by all").fetchall()
                  for replay, con in databases.items()}
        assert tables[True] == tables[False] and len(tables[True]) > 10
        for schema, table in tables[True]:
            rows = {replay: con.sql(f'select * from "{schema}"."{table}" order by all').fetchall()
                    for replay, con in databases.items()}
            assert rows[True] == rows[False], (schema, table)
    finally:
        for con in databases.values():
            con.close()
    for year in (2025, 2026):
        years = {replay: run / "baseline" / "seed_42" / "years" / str(year) for replay, run in runs.items()}
        summaries = {replay: json.loads((path / "summary.json").read_text()) for replay, path in years.items()}
        assert summaries[True]["dbt_build"] == (summaries[False]["dbt_build"]
                                                + " (replayed: dbt ran it for 2025, 2026 and seed 42 in run default)")
        other_census = json.loads((results_dir(shared) / "baseline" / "seed_42" / "years" / str(year)
                                   / "summary.json").read_text())
        assert summaries[True]["start_headcount"] < other_census["start_headcount"]
        for name in ("events", "snapshot", "state", *(f"workforce/{table}" for table in workforce.SHARED_TABLES)):
            assert (years[True] / name).with_suffix(".parquet").read_bytes() == \
                (years[False] / name).with_suffix(".parquet").read_bytes(), (year, name)
        figures = [{k: v for k, v in s.items() if k not in run_summary.RUN_FACTS} for s in summaries.values()]
        assert figures[0] == figures[1], year


def _kept(statements: list[dict], nodes: list[dict]) -> dict:
    """A program dbt ran for two years of one seed."""
    return {"program": {"command": "build --select tag:year", "statements": statements, "nodes": nodes},
            "years": [2025, 2026], "seeds": [42]}


def _replay(kept: dict, con: duckdb.DuckDBPyConnection, year: int = 2027, seed: int = 42) -> dbt_runner.DbtRun:
    return year_replay.replay(kept, con, year=year, seed=seed, memory_mb=None)


MODEL = {"unique_id": "model.p.m", "name": "m", "resource_type": "model"}
TEST = {"unique_id": "test.p.t", "name": "t", "resource_type": "test", "severity": "ERROR", "error_if": "!= 0",
        "warn_if": "!= 0"}
BUILD = dbt_runner.DbtRun("build --select tag:year", True, 1.0, 0.0, 1.0, nodes=[{**MODEL, "status": "success"}])


def test_a_recorded_year_names_its_partition_and_the_view_over_the_years_is_rebuilt_when_replayed():
    recorded = [
        {"node": "model.p.m", "sql": "BEGIN"},
        {"node": "model.p.m", "sql": 'create or replace table "memory"."year_partitions"."m_2026" as (select 7 as x)'},
        {"node": "model.p.m", "sql": 'create or replace view "memory"."main"."m" as\n    select * from '
                                     '"year_partitions"."m_2025"\n      union all by name\n    select * from '
                                     '"year_partitions"."m_2026"'},
        {"node": "model.p.m", "sql": "COMMIT"},
    ]
    con = duckdb.connect()
    program = year_replay.record(recorded, BUILD, con, year=2026, seed=42)
    assert [s.get("sql") or s["union_view"] for s in program["statements"]] == [
        f'create or replace table "memory"."year_partitions"."m_{year_replay.YEAR}" as (select 7 as x)', "m"]
    con.execute("create schema year_partitions")
    for year in (2025, 2026):
        con.execute(f"create table year_partitions.m_{year} as select {year} as x")
    run = _replay({**_kept([], []), "program": program}, con)
    assert [n["name"] for n in run.nodes] == ["m"] and run.success
    assert con.sql("select x from main.m order by x").fetchall() == [(7,), (2025,), (2026,)]
    assert con.execute("select count(*) from duckdb_tables() where table_name = 'm_2027'").fetchall() == [(1,)]


def test_a_recorded_year_takes_the_seed_out_of_the_draws_and_the_seed_column():
    draw = "select md5(concat_ws('|', '42', 'termination', 'e1', '2026')) as draw, cast(42 as bigint) as random_seed"
    program = year_replay.record([{"node": "model.p.m", "sql": f"create table t as {draw}"}], BUILD, duckdb.connect(),
                                 year=2026, seed=42)
    assert program["statements"][0]["sql"] == (
        f"create table t as select md5(concat_ws('|', '{year_replay.SEED}', 'termination', 'e1', '2026')) as draw, "
        f"cast({year_replay.SEED} as bigint) as random_seed")
    con = duckdb.connect()
    _replay({**_kept([], []), "program": program, "seeds": [42, 7]}, con, seed=7)
    assert con.execute("select draw, random_seed from t").fetchall() == duckdb.execute(
        draw.replace("42", "7")).fetchall()


def test_a_failing_data_test_in_a_replayed_year_fails_the_year_naming_the_test_and_its_rows():
    failing = [{"node": "test.p.t", "sql": "select 3 as failures, true as should_warn, true as should_error"}]
    with pytest.raises(dbt_runner.DbtError, match=r"test t fail \(3 offending rows\): Got 3 results, "
                                                  r"configured to fail if != 0"):
        _replay(_kept(failing, [TEST]), duckdb.connect())
    run = _replay(_kept(failing, [{**TEST, "severity": "WARN"}]), duckdb.connect())
    assert run.nodes[0]["status"] == "warn" and run.nodes[0]["failures"] == 3
    passing = [{"node": "test.p.t", "sql": "select 0 as failures, false as should_warn, false as should_error"}]
    assert _replay(_kept(passing, [TEST]), duckdb.connect()).nodes[0]["status"] == "pass"


def test_a_replayed_contract_check_fails_when_the_columns_differ_from_those_dbt_checked():
    con = duckdb.connect()
    con.execute("create table prev_state as select 'e1' as employee_id, 1.5 as deferral_rate")
    describe = "DESCRIBE (select * from (select * from prev_state) as __dbt_sbq where false limit 0)"
    program = year_replay.record([{"node": "model.p.m", "sql": describe}], BUILD, con, year=2026, seed=42)
    kept = {**_kept([], []), "program": program}
    assert _replay(kept, con).success
    con.execute("create or replace table prev_state as select 'e1' as employee_id, '1.5' as deferral_rate")
    changed = (r"model m error: contract check: columns \[.deferral_rate VARCHAR.\] instead of "
               r"\[.deferral_rate DECIMAL\(2,1\).\] \(the columns dbt checked\)")
    with pytest.raises(dbt_runner.DbtError, match=changed):
        _replay(kept, con)


def test_a_program_replays_once_dbt_ran_it_for_two_years_and_for_the_seed_or_two_seeds(tmp_path):
    path = tmp_path / "program.json"
    program = _kept([{"node": "model.p.m", "sql": "select 1"}], [MODEL])["program"]
    kept = year_replay.save(program, path, year=2025, seed=42)
    assert not year_replay.replayable(kept, 42)
    kept = year_replay.save(program, path, year=2025, seed=42)  # the same year again
    assert not year_replay.replayable(kept, 42)
    kept = year_replay.save(program, path, year=2026, seed=42)
    assert year_replay.replayable(kept, 42) and not year_replay.replayable(kept, 7)
    kept = year_replay.save(program, path, year=2025, seed=7)
    assert kept == year_replay.load(path) and (kept["years"], kept["seeds"]) == ([2025, 2026], [7, 42])
    assert year_replay.replayable(kept, 8)
    # dbt ran something else: it takes the kept program's place, with its own evidence only
    other = {**program, "statements": [{"node": "model.p.m", "sql": "select 2"}]}
    kept = year_replay.save(other, path, year=2027, seed=42)
    assert kept["program"] == other and not year_replay.replayable(kept, 42)


def test_constants_are_what_two_designs_programs_may_differ_in():
    def program(sql: str) -> dict:
        return _kept([{"node": "model.p.m", "sql": sql}], [MODEL])["program"]

    base = year_replay.shape(program("""select 'c001' as scenario_id, x + -0.11, least(0.1, y) * 1e-9, true -- a year's rate
        from "year_partitions"."m_2025" """))
    other_constants = program("""select 'c002' as scenario_id, x + 0.0, least(0.15, y) * 2e-9, False -- a year's rate
        from "year_partitions"."m_2025" """)
    assert year_replay.shape(other_constants) == base
    for changed in ("""select 'c001' as scenario_id, x + -0.11 + 0.5 * z, least(0.1, y) * 1e-9, true -- a year's rate
        from "year_partitions"."m_2025" """,  # another term
                    """select 'c001' as scenario_id, x + -0.11, least(0.1, y) * 1e-9, true -- a year's rate
        from "year_partitions"."m_2026" """,  # another relation
                    """select 'c001' as scenario_id, x + -0.11, least(0.1, y) * 1e-9, true -- the year's rate
        from "year_partitions"."m_2025" """):  # another comment
        assert year_replay.shape(program(changed)) != base, changed


def test_a_design_replays_from_its_second_year_once_dbt_ran_another_with_other_constants_for_two_years(tmp_path):
    def program(rate: str, extra: str = "") -> dict:
        return _kept([{"node": "model.p.m", "sql": f"select {rate} * pay{extra} as match"}], [MODEL])["program"]

    path = tmp_path / "design.json"
    kept = year_replay.save(program("0.5"), path, year=2025, seed=42, family="f")
    assert year_replay.evidence(kept, 42, path) is None  # nothing else ran yet
    # the programs may be kept beside the run's database and its other files
    (tmp_path / "foundation.json").write_text(json.dumps({"active_employees": 300}))
    (tmp_path / "list.json").write_text("[2025, 2026]")
    assert year_replay.evidence(kept, 42, path) is None
    other = year_replay.save(program("1.0"), tmp_path / "other.json", year=2025, seed=42, family="f")
    assert year_replay.evidence(kept, 42, path) is None  # the other design ran for one year only
    other = year_replay.save(other["program"], tmp_path / "other.json", year=2026, seed=42, family="f")
    assert year_replay.evidence(kept, 42, path) == "dbt ran it for 2025 and seed 42; with other constants for 2025, 2026"
    assert year_replay.evidence(kept, 7, path) is None  # dbt never ran this design for seed 7
    # not another family (command, project, versions) nor other statements
    year_replay.save(other["program"], tmp_path / "other.json", year=2025, seed=42, family="g")
    year_replay.save(other["program"], tmp_path / "other.json", year=2026, seed=42, family="g")
    assert year_replay.evidence(kept, 42, path) is None
    year_replay.save(program("1.0", " + 0.5 * bonus"), tmp_path / "other.json", year=2025, seed=42, family="f")
    year_replay.save(program("1.0", " + 0.5 * bonus"), tmp_path / "other.json", year=2026, seed=42, family="f")
    assert year_replay.evidence(kept, 42, path) is None
    # its own two years are evidence as before
    kept = year_replay.save(kept["program"], path, year=2026, seed=42, family="f")
    assert year_replay.evidence(kept, 42, path) == "dbt ran it for 2025, 2026 and seed 42"


def _side_by_side_program() -> dict:
    """Nodes a..d and a hook: b reads a; c is independent; the view v reads c; t reads v; d replaces
    the table b read; the hook comes last."""
    statements = {
        "a": 'create or replace table "memory"."main"."a" as (select 1 as x)',
        "b": 'create or replace table "memory"."main"."b" as (select x from "memory"."main"."a")',
        "c": 'create or replace table "memory"."main"."c" as (select 2 as x)',
        "v": 'create or replace view "memory"."main"."v" as select x from "memory"."main"."c"',
        "t": 'create or replace table "memory"."main"."t" as (select count(*) as n from "memory"."main"."v")',
        "d": 'create or replace table "memory"."main"."a" as (select 3 as x)',
        "end": "select 1",
    }
    nodes = [{"unique_id": f"model.p.{name}", "name": name, "resource_type": "model"} for name in statements]
    nodes[-1] = {"unique_id": "operation.p.end", "name": "end", "resource_type": "operation"}
    return _kept([{"node": node["unique_id"], "sql": sql} for node, sql in zip(nodes, statements.values())], nodes)


def test_a_replayed_node_waits_for_the_nodes_that_write_what_it_reads_and_read_what_it_replaces():
    units = year_replay._units(_side_by_side_program()["program"])
    names = [unit["node"].rsplit(".", 1)[1] for unit in units]
    waits = {name: sorted(names[i] for i in earlier) for name, earlier in zip(names, year_replay._waits_for(units))}
    assert waits == {"a": [], "b": ["a"], "c": [], "v": ["c"], "t": ["c", "v"], "d": ["a", "b"],
                     "end": ["a", "b", "c", "d", "t", "v"]}


def test_nodes_replayed_side_by_side_give_what_they_give_in_order():
    tables, seen = {}, []
    for workers in (1, 2):
        con = duckdb.connect()
        # a function run once b is built: it reads b before d replaces the table b was built from
        after = [("b", lambda cursor: seen.append(cursor.sql("select x from b").fetchall()))]
        run = year_replay.replay(_side_by_side_program(), con, year=2027, seed=42, memory_mb=None, workers=workers,
                                 after=after)
        assert run.success and [n["status"] for n in run.nodes] == ["success"] * 7
        tables[workers] = [con.sql(f"select * from {name}").fetchall() for name in ("a", "b", "c", "t")]
    assert tables[2] == tables[1] == [[(3,)], [(1,)], [(2,)], [(1,)]]
    assert seen == [[(1,)], [(1,)]]


def test_a_year_runs_two_nodes_at_a_time_only_while_its_population_leaves_threads_idle():
    con = duckdb.connect()
    con.execute("create schema sim_input")
    most = 2 * year_replay.SIDE_BY_SIDE_ROWS_PER_THREAD  # on two threads
    for threads, rows, workers in ((2, most, year_replay.REPLAY_WORKERS), (2, most + 1, 1),
                                   (4, most + 1, year_replay.REPLAY_WORKERS)):
        con.execute(f"set threads = {threads}")
        con.execute(f"create or replace table sim_input.prev_state as select range as employee_id from range({rows})")
        assert year_replay.year_workers(con) == workers, (threads, rows)


def test_a_function_run_after_a_replayed_node_runs_before_the_closing_hook_and_needs_the_node():
    program = _side_by_side_program()["program"]
    units = year_replay._with_after(year_replay._units(program), program, [("t", print)])
    assert [unit["node"] for unit in units][-2:] == ["after t", "operation.p.end"]
    assert year_replay._waits_for(units)[-2] == {4}  # the unit of t, which wrote what it reads
    with pytest.raises(KeyError, match="builds no node nowhere"):
        year_replay._with_after(year_replay._units(program), program, [("nowhere", print)])


def test_a_node_whose_relation_failed_is_not_replayed():
    program = _side_by_side_program()
    program["program"]["statements"][0]["sql"] = 'create or replace table "memory"."main"."a" as (select * from nowhere)'
    con = duckdb.connect()
    with pytest.raises(dbt_runner.DbtError, match=r"model a error: .*nowhere"):
        year_replay.replay(program, con, year=2027, seed=42, memory_mb=None, workers=2)
    assert con.sql("select count(*) from duckdb_tables() where table_name in ('a', 'b')").fetchall() == [(0,)]


def test_a_years_summary_row_reads_as_pandas_reads_it_without_pandas():
    # a job worker reads fct_year_summary without importing pandas: the same values and types as fetchdf()
    import simulate_year

    query = ("select 'c001' as scenario_id, null::varchar as note, null::double as adp_margin, null::bigint as hires, "
             "null::integer as n, null::decimal(3,2) as rate, 5::bigint as retirements, 1.5::double as share, "
             "0.06::decimal(3,2) as market_return, 2026::integer as simulation_year")
    con = duckdb.connect()
    rows = simulate_year._summary_rows(con, query)
    expected = {k: (v.item() if hasattr(v, "item") else v) for k, v in con.execute(query).fetchdf().iloc[0].to_dict().items()}
    assert len(rows) == 1 and json.dumps(rows[0]) == json.dumps(expected)
    assert {k: type(v) for k, v in rows[0].items()} == {k: type(v) for k, v in expected.items()}
    assert rows[0]["market_return"] == 0.06 and rows[0]["hires"] is None and rows[0]["adp_margin"] != rows[0]["adp_margin"]
    # other column types: read by pandas itself
    assert simulate_year._summary_rows(con, "select date '2026-01-01' as d")[0]["d"] == pd.Timestamp("2026-01-01")


def test_a_foundation_program_restores_the_seed_copies_dbt_logged_abridged_or_is_not_kept(tmp_path):
    import foundation

    project = tmp_path / "dbt"
    seed = {"unique_id": "seed.p.levels", "name": "levels", "resource_type": "seed"}
    build = dbt_runner.DbtRun("build", True, 1.0, 0.0, 1.0, nodes=[{**seed, "status": "success"}, {**MODEL, "status": "success"}])
    copy = f"COPY \"simulation\".\"main\".\"levels\" FROM '{project}/seeds/levels.csv' (FORMAT CSV, HEADER TRUE)"
    model = {"node": "model.p.m", "sql": 'create table "main"."m" as (select * from "main"."levels")'}
    con = duckdb.connect()

    def program(*statements):
        return foundation._program(list(statements), build, con, project)

    # dbt-duckdb's seed COPY as dbt logs it (abridge_sql_log): its first 512 characters and "..."
    kept = program({"node": "seed.p.levels", "sql": copy + "..."}, model)
    assert [s["sql"] for s in kept["statements"]] == [copy.replace(str(project), foundation.PROJECT), model["sql"]]
    # a statement that may have been cut, an abridged statement of a model, a seed's rows bound to an
    # INSERT (the log does not show them), a seed file outside the project: not kept
    long_copy = copy.replace("levels.csv", "l" * (513 - len(copy)) + "levels.csv")
    assert len(long_copy) == 513 and program({"node": "seed.p.levels", "sql": long_copy[:512] + "..."}, model) is None
    assert program({"node": "seed.p.levels", "sql": copy + "..."}, {**model, "sql": model["sql"] + "..."}) is None
    assert program({"node": "seed.p.levels", "sql": 'insert into "main"."levels" values (?, ?)'}, model) is None
    assert program({"node": "seed.p.levels", "sql": copy.replace(str(project), "/elsewhere") + "..."}, model) is None
    # kept with the number of dbt builds that gave it; replayed from the second
    path = tmp_path / "foundation.json"
    assert foundation._keep(kept, path)["builds"] == 1 and not foundation.replayable(year_replay.load(path))
    assert foundation._keep(kept, path)["builds"] == 2 and foundation.replayable(year_replay.load(path))
    assert foundation._keep({**kept, "command": "build --select x"}, path)["builds"] == 1
    assert foundation._keep(None, path) is None and not path.exists()
