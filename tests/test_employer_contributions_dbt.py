"""dbt unit tests of the IRS limits and employer contributions (hand-worked to the cent).

Runs in a fresh DuckDB file: builds the IRS-limits seed and model (which also runs the
int_irs_limits unit test), then runs every unit test of int_irs_limits and
int_employer_contributions. The employer-contribution tests give all their inputs as
SQL fixtures, so no other relation has to exist.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).parent / "dbt"
UNIT_TEST_FILES = [
    REPO / "dbt/models/intermediate/foundation/_irs_limits.yml",
    REPO / "dbt/models/intermediate/year/_employer_contributions.yml",
]


def _dbt(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SIM_DUCKDB_PATH": str((tmp_path / "unit.duckdb").resolve())}
    command = [str(DBT), *args, "--project-dir", str(REPO / "dbt"), "--profiles-dir", str(REPO / "dbt"),
               "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=180)


def _count(summary: str, key: str) -> int:
    match = re.search(rf"\b{key}=(\d+)", summary)
    assert match, summary[-4000:]
    return int(match.group(1))


def test_employer_contribution_unit_tests_pass(tmp_path):
    written = sum(len(yaml.safe_load(path.read_text()).get("unit_tests", [])) for path in UNIT_TEST_FILES)
    assert written >= 17

    # cautious: leave out tests that also read models not built here
    build = _dbt(tmp_path, "build", "--select", "config_irs_limits_published", "int_irs_limits",
                 "--indirect-selection", "cautious")
    assert build.returncode == 0, build.stdout[-4000:]

    result = _dbt(tmp_path, "test", "--select", "int_employer_contributions,test_type:unit",
                  "int_irs_limits,test_type:unit")
    assert result.returncode == 0, result.stdout[-4000:]
    assert _count(result.stdout, "ERROR") == 0, result.stdout[-4000:]
    assert _count(result.stdout, "PASS") >= written, result.stdout[-4000:]
