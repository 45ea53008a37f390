"""The CTE injection the workflow gives dbt (workflow/scripts/dbt_cte_injection.py) writes exactly
the SQL dbt's own function writes: on edge cases, and on every call of a real foundation and year
build of the project, where every model must take the fast path (else the speed is lost unnoticed)."""
from __future__ import annotations

from types import SimpleNamespace

import dbt.compilation
import pytest

import dbt_cte_injection
from conftest import build_in_process

CTES = [SimpleNamespace(sql=" __dbt__cte__a as (\nselect 1 as x\n)"),
        SimpleNamespace(sql=" __dbt__cte__b as (\nselect x from __dbt__cte__a\n)")]


@pytest.fixture
def calls_to_dbt(monkeypatch):
    """dbt's own function, counting the calls the fast path hands over to it."""
    dbt_cte_injection.install()
    original, handed_over = dbt_cte_injection._original, []

    def counted(sql, ctes):
        handed_over.append(sql)
        return original(sql, ctes)

    monkeypatch.setattr(dbt_cte_injection, "_original", counted)
    return original, handed_over


FAST = [
    "with a as (select 1) select * from a",
    "\n\n  with\n  a as (select 1)\nselect * from a",
    "-- the year's hires\n-- (two lines of comment)\nwith a as (select 1) select * from a",
    "/* a block\n comment */ WITH a as (select 1) select * from a",
    "-- comment\r\n\tWith a as (select '--' as s) select * from a",
    "-- a comment; with a semicolon\nwith a as (select 'go; on' as s, 'it''s' as t) select * from a",
    "with a as (select 1 as \"GO\") /* GO; */ select * from a",
]
HANDED_OVER = [
    "select 1 as x",                                        # no with: dbt adds one
    "-- with in a comment only\nselect 1",
    "with recursive t(n) as (select 1 union all select n + 1 from t where n < 3) select * from t",
    "with a as (select 1) select * from a; select 2",       # dbt keeps the first statement only
    "with a as (select 1 as x) select x GO select 2",        # sqlparse splits at a GO batch separator
    "with a as (select 'it\\' as s) select '; -- ' as t; select 2",  # a backslash escapes a quote to sqlparse
    "withdrawals as (select 1) select 1",
    "# a comment to sqlparse\nwith a as (select 1) select * from a",
]


@pytest.mark.parametrize("sql", FAST + HANDED_OVER)
def test_same_sql_as_dbt(sql, calls_to_dbt):
    original, handed_over = calls_to_dbt
    assert dbt_cte_injection.inject_ctes_into_sql(sql, CTES) == original(sql, CTES)
    assert dbt_cte_injection.inject_ctes_into_sql(sql, []) == sql
    assert (sql in handed_over) == (sql in HANDED_OVER)


@pytest.mark.slow
def test_every_call_of_a_real_build_is_fast_and_identical(tmp_path, calls_to_dbt, monkeypatch):
    original, handed_over = calls_to_dbt
    checked = []

    def both(sql, ctes):
        expected = original(sql, ctes)
        checked.append((sql, dbt_cte_injection.inject_ctes_into_sql(sql, ctes), expected))
        return expected

    monkeypatch.setattr(dbt.compilation, "inject_ctes_into_sql", both)
    build_in_process(tmp_path)
    # the year reads its rules as ephemeral CTEs: its tables and tests put many of them in place
    assert len(checked) >= 10, len(checked)
    assert [sql for sql, fast, expected in checked if fast != expected] == []
    assert [sql[:200] for sql, _, _ in checked if sql in handed_over] == [], \
        "a model's SQL does not start with comments and `with`: dbt's slow parser places its CTEs"
