"""The saved dbt parse: kept per exact project state and reused by the next process."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BIN, REPO

sys.path.insert(0, str(REPO / "workflow" / "scripts"))
import dbt_runner  # noqa: E402

pytestmark = pytest.mark.slow

# One process = one fresh dbt, as the next run or a cluster job would be.
_LIST_ONE_MODEL = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
import dbt_runner
project, work = Path(sys.argv[1]), Path(sys.argv[2])
run = dbt_runner.invoke(["ls", "--select", "stg_census"], project_dir=project, target_path=work / "target",
                        log_path=work / "logs", duckdb_path=work / "simulation.duckdb", dbt_vars={},
                        log=lambda message: None)
print(json.dumps({"success": run.success}))
"""


def _project_copy(tmp_path: Path) -> Path:
    project = tmp_path / "dbt"
    shutil.copytree(REPO / "dbt", project, ignore=shutil.ignore_patterns("target", "logs"))
    return project


def _parse_in_new_process(project: Path, work: Path) -> dict:
    """Run one dbt command in a new process; return dbt's parse statistics."""
    result = subprocess.run([str(BIN / "python"), "-c", _LIST_ONE_MODEL, str(project), str(work),
                             str(REPO / "workflow" / "scripts")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"success": True}
    assert (dbt_runner.parse_cache_dir(project, "simulation.duckdb") / dbt_runner.PARTIAL_PARSE_FILE).is_file()
    return json.loads((work / "target" / "parse" / "perf_info.json").read_text())


def test_parse_cache_dir_follows_the_project_files_only(tmp_path):
    project = _project_copy(tmp_path)
    first = dbt_runner.parse_cache_dir(project, "simulation.duckdb")
    assert first.parent == project / "target" / "parse"
    # dbt's own outputs do not count
    (project / "target" / "run").mkdir(parents=True)
    (project / "target" / "run" / "x.sql").write_text("select 1")
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("log")
    assert dbt_runner.parse_cache_dir(project, "simulation.duckdb") == first
    # another database name is another set of relations
    assert dbt_runner.parse_cache_dir(project, "other.duckdb") != first
    model = project / "models" / "marts" / "fct_year_summary.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    assert dbt_runner.parse_cache_dir(project, "simulation.duckdb") != first


def test_next_process_reuses_the_saved_parse_until_a_file_changes(tmp_path):
    project = _project_copy(tmp_path)
    full = _parse_in_new_process(project, tmp_path / "run1")
    assert full["parsed_path_count"] > 50  # every model, test, seed and macro file

    # a second process, another run directory and DuckDB path: nothing is parsed again
    reused = _parse_in_new_process(project, tmp_path / "run2")
    assert reused["parsed_path_count"] == 0
    assert "Unable to do partial parsing" not in (tmp_path / "run2" / "logs" / "dbt.log").read_text()

    # an edited model: a new saved parse, made in full; the old one is removed
    old_cache = dbt_runner.parse_cache_dir(project, "simulation.duckdb")
    model = project / "models" / "marts" / "fct_year_summary.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    edited = _parse_in_new_process(project, tmp_path / "run3")
    assert edited["parsed_path_count"] == full["parsed_path_count"]
    assert not old_cache.exists()
    assert [p.name for p in (project / "target" / "parse").iterdir()] == [
        dbt_runner.parse_cache_dir(project, "simulation.duckdb").name]
