"""Replayed years (workflow/scripts/year_replay.py): a year that runs the statements dbt ran for an
earlier year gives the same files, figures, database rows and quality gates as dbt building it, and
judges data tests and contract checks as dbt does."""
from __future__ import annotations

import json

import duckdb
import pytest

import dbt_runner
import run_summary
import year_replay

from conftest import new_workdir, results_dir, simulate

YEARS = (2025, 2028)  # dbt builds 2025 and 2026, which confirm the program; 2027 and 2028 replay it


@pytest.mark.slow
def test_replayed_years_give_what_dbt_gives_for_a_scenario_and_one_that_shares_its_workforce(tmp_path):
    runs = {}
    for replay in (True, False):
        workdir = new_workdir(tmp_path / f"replay_{replay}")
        simulate(workdir, start=YEARS[0], end=YEARS[1], scenario="baseline,richer_match",
                 extra={"dbt_replay": replay})
        runs[replay] = results_dir(workdir)
    compared = 0
    for scenario in ("baseline", "richer_match"):
        seed_dirs = {replay: run / scenario / "seed_42" for replay, run in runs.items()}
        for year in range(YEARS[0], YEARS[1] + 1):
            years = {replay: seed_dir / "years" / str(year) for replay, seed_dir in seed_dirs.items()}
            summaries = {replay: json.loads((path / "summary.json").read_text()) for replay, path in years.items()}
            replayed = f"replayed, recorded in {YEARS[0] + 1}"
            assert (replayed in summaries[True]["dbt_build"]) == (year >= YEARS[0] + 2), (scenario, year)
            assert "replayed" not in summaries[False]["dbt_build"]
            for name in ("events", "snapshot", "state", "workforce/employees", "workforce/needs"):
                assert (years[True] / f"{name}.parquet").read_bytes() == (years[False] / f"{name}.parquet").read_bytes(), \
                    (scenario, year, name)
                compared += 1
            figures = [{k: v for k, v in s.items() if k not in run_summary.RUN_FACTS} for s in summaries.values()]
            assert figures[0] == figures[1], (scenario, year)
            for fact in ("quality_gates", "table_rows", "row_counts", "workforce_from"):
                assert summaries[True][fact] == summaries[False][fact], (scenario, year, fact)
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
                assert rows[True] == rows[False] and rows[True], (scenario, table)
            years_held = databases[True].sql("select distinct simulation_year from fct_yearly_events order by 1")
            assert [row[0] for row in years_held.fetchall()] == list(range(YEARS[0], YEARS[1] + 1))
        finally:
            for con in databases.values():
                con.close()
    assert compared == 2 * 4 * 5


def _program(statements: list[dict], nodes: list[dict], year: int = 2026) -> dict:
    return {"key": "k", "year": year, "command": "build --select tag:year", "statements": statements,
            "nodes": nodes, "confirmed": True}


MODEL = {"unique_id": "model.p.m", "name": "m", "resource_type": "model"}
TEST = {"unique_id": "test.p.t", "name": "t", "resource_type": "test", "severity": "ERROR", "error_if": "!= 0",
        "warn_if": "!= 0"}


def test_a_recorded_year_names_its_partition_and_the_view_over_the_years_is_rebuilt_when_replayed():
    recorded = [
        {"node": "model.p.m", "sql": "BEGIN"},
        {"node": "model.p.m", "sql": 'create or replace table "memory"."year_partitions"."m_2026" as (select 7 as x)'},
        {"node": "model.p.m", "sql": 'create or replace view "memory"."main"."m" as\n    select * from '
                                     '"year_partitions"."m_2025"\n      union all by name\n    select * from '
                                     '"year_partitions"."m_2026"'},
        {"node": "model.p.m", "sql": "COMMIT"},
    ]
    build = dbt_runner.DbtRun("build --select tag:year", True, 1.0, 0.0, 1.0, nodes=[{**MODEL, "status": "success"}])
    con = duckdb.connect()
    program = year_replay.record(recorded, build, 2026, "k", con)
    assert [s.get("sql") or s["union_view"] for s in program["statements"]] == [
        f'create or replace table "memory"."year_partitions"."m_{year_replay.YEAR}" as (select 7 as x)', "m"]
    con.execute("create schema year_partitions")
    for year in (2025, 2026):
        con.execute(f"create table year_partitions.m_{year} as select {year} as x")
    run = year_replay.replay({**program, "confirmed": True}, con, 2027, None)
    assert [n["name"] for n in run.nodes] == ["m"] and run.success
    assert con.sql("select x from main.m order by x").fetchall() == [(7,), (2025,), (2026,)]
    assert con.execute("select count(*) from duckdb_tables() where table_name = 'm_2027'").fetchall() == [(1,)]


def test_a_failing_data_test_in_a_replayed_year_fails_the_year_naming_the_test_and_its_rows():
    program = _program([{"node": "test.p.t", "sql": "select 3 as failures, true as should_warn, true as should_error"}],
                       [TEST])
    with pytest.raises(dbt_runner.DbtError, match=r"test t fail \(3 offending rows\): Got 3 results, "
                                                  r"configured to fail if != 0"):
        year_replay.replay(program, duckdb.connect(), 2027, None)
    warn = _program(program["statements"], [{**TEST, "severity": "WARN"}])
    run = year_replay.replay(warn, duckdb.connect(), 2027, None)
    assert run.nodes[0]["status"] == "warn" and run.nodes[0]["failures"] == 3
    passing = _program([{"node": "test.p.t", "sql": "select 0 as failures, false as should_warn, false as should_error"}],
                       [TEST])
    assert year_replay.replay(passing, duckdb.connect(), 2027, None).nodes[0]["status"] == "pass"


def test_a_replayed_contract_check_fails_when_the_columns_differ_from_the_year_dbt_checked():
    con = duckdb.connect()
    con.execute("create table prev_state as select 'e1' as employee_id, 1.5 as deferral_rate")
    describe = "DESCRIBE (select * from (select * from prev_state) as __dbt_sbq where false limit 0)"
    build = dbt_runner.DbtRun("build", True, 1.0, 0.0, 1.0, nodes=[{**MODEL, "status": "success"}])
    program = {**year_replay.record([{"node": "model.p.m", "sql": describe}], build, 2026, "k", con), "confirmed": True}
    assert year_replay.replay(program, con, 2027, None).success
    con.execute("create or replace table prev_state as select 'e1' as employee_id, '1.5' as deferral_rate")
    with pytest.raises(dbt_runner.DbtError, match=r"model m error: the columns .*deferral_rate.*VARCHAR.* differ "
                                                  r"from those of the contract check in 2026"):
        year_replay.replay(program, con, 2027, None)


def test_a_program_is_confirmed_only_by_the_same_statements_in_another_year(tmp_path):
    path = tmp_path / "year_build.json"
    first = _program([{"node": "model.p.m", "sql": "select 1"}], [MODEL], year=2025)
    assert not year_replay.save(first, None, path)["confirmed"]
    assert not year_replay.save(first, year_replay.load(path, "k"), path)["confirmed"]  # the same year again
    other = _program([{"node": "model.p.m", "sql": "select 2"}], [MODEL], year=2026)
    assert not year_replay.save(other, year_replay.load(path, "k"), path)["confirmed"]
    same = _program([{"node": "model.p.m", "sql": "select 2"}], [MODEL], year=2027)
    saved = year_replay.save(same, year_replay.load(path, "k"), path)
    assert saved["confirmed"] and saved["years_compared"] == [2026, 2027]
    assert year_replay.load(path, "another key") is None
