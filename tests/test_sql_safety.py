"""No text reaches SQL unchecked: every text value dbt renders goes through the sql_string macro,
and the config's free-text strings are checked at load against a strict alphabet."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import simconfig
from simconfig import run_settings

REPO = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).parent / "dbt"
# a Jinja expression or statement inside single quotes: a value pasted into an SQL string literal
PASTED = re.compile(r"'\{[{%]")
MACRO = REPO / "dbt" / "macros" / "sim_helpers.sql"


def dbt_sql_files() -> list[Path]:
    return [p for p in (REPO / "dbt").rglob("*.sql") if not {"target", "logs"} & set(p.parts)]


def test_no_value_is_pasted_into_an_sql_literal():
    offenders = []
    for path in dbt_sql_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if PASTED.search(line) and not (path == MACRO and "replace(" in line):  # the macro's own body
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not offenders, "render text through sql_string(...):\n" + "\n".join(offenders)
    assert len(dbt_sql_files()) > 30


def test_the_scan_finds_a_pasted_value():
    assert PASTED.search("""    '{{ var("plan_design_id") }}' as plan_design_id,""")
    assert not PASTED.search("""    {{ sql_string(var("plan_design_id")) }} as plan_design_id,""")


@pytest.mark.slow
def test_sql_string_keeps_any_text_as_given(tmp_path: Path):
    text = "O'Brien's plan; -- drop table x; \"quoted\" \n next line, ünïcødé"
    inline = "select {{ sql_string(var('probe')) }} as text, {{ sql_string(42) }} as number"
    env = {**os.environ, "SIM_DUCKDB_PATH": str(tmp_path / "x.duckdb")}
    result = subprocess.run([str(DBT), "-q", "compile", "--inline", inline, "--vars", json.dumps({"probe": text}),
                             "--project-dir", str(REPO / "dbt"), "--profiles-dir", str(REPO / "dbt"),
                             "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert duckdb.sql(result.stdout.strip()).fetchall() == [(text, "42")]


@pytest.mark.parametrize("value", ["x'y", "a;b", "line\nbreak", "<script>", "", "é" * 3, "x" * 101])
def test_plan_design_id_outside_the_alphabet_stops_before_any_job(value):
    with pytest.raises(simconfig.ConfigError, match="run setting 'plan_design_id': may contain only letters"):
        run_settings.validate_settings({"plan_design_id": value})


def test_plan_design_id_inside_the_alphabet_is_kept_as_given():
    assert run_settings.validate_settings({"plan_design_id": "Plan 2026 v1.2_b-3"}).plan_design_id \
        == "Plan 2026 v1.2_b-3"


@pytest.mark.parametrize("key", ["raise_timing.effective_date", "compensation.promotion_effective_date",
                                 "deferral_auto_escalation.effective_day"])
def test_a_month_day_of_february_29_is_refused(key):
    section, field = key.split(".")
    with pytest.raises(simconfig.ConfigError, match=rf"key '{re.escape(key)}': \"02-29\" is not a day of most years"):
        simconfig.validate({section: {field: "02-29"}})
