"""Every dbt unit test of the project (hand-worked rules: solver, IRS limits, employer money)
passes, in a fresh DuckDB file: the seeds and int_irs_limits are built first (models read
them), then `dbt test --select test_type:unit` runs all of them."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).parent / "dbt"


def _dbt(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SIM_DUCKDB_PATH": str((tmp_path / "unit.duckdb").resolve())}
    command = [str(DBT), *args, "--project-dir", str(REPO / "dbt"), "--profiles-dir", str(REPO / "dbt"),
               "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def _count(summary: str, key: str) -> int:
    match = re.search(rf"\b{key}=(\d+)", summary)
    assert match, summary[-4000:]
    return int(match.group(1))


def written_unit_tests() -> list[str]:
    names = []
    for path in (REPO / "dbt" / "models").rglob("*.yml"):
        names += [t["name"] for t in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", [])]
    return names


def test_every_dbt_unit_test_passes(tmp_path):
    written = written_unit_tests()
    assert len(written) >= 20 and len(set(written)) == len(written)
    # cautious: leave out data tests that also read models not built here
    build = _dbt(tmp_path, "build", "--select", "resource_type:seed", "int_irs_limits",
                 "--exclude", "test_type:unit", "--indirect-selection", "cautious")
    assert build.returncode == 0, build.stdout[-4000:]
    result = _dbt(tmp_path, "test", "--select", "test_type:unit")
    assert result.returncode == 0, result.stdout[-6000:]
    assert _count(result.stdout, "ERROR") == 0, result.stdout[-4000:]
    # dbt counts each on-run-start and on-run-end hook of the project as one more passing node
    project = yaml.safe_load((REPO / "dbt" / "dbt_project.yml").read_text())
    hooks = len(project.get("on-run-start", [])) + len(project.get("on-run-end", []))
    assert _count(result.stdout, "PASS") == _count(result.stdout, "TOTAL") == len(written) + hooks, result.stdout[-4000:]
