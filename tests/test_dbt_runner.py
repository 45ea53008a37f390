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

# One process = one fresh dbt, as the next run or a cluster job would be. It reports whether it took the
# manifest a process before kept, and a digest of the manifest it used (dbt's own serialisation of it,
# but the invocation's metadata).
_LIST_ONE_MODEL = """
import hashlib, json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
import dbt_runner
project, work = Path(sys.argv[1]), Path(sys.argv[2])
messages = []
run = dbt_runner.invoke(["ls", "--select", "stg_census"], project_dir=project, target_path=work / "target",
                        log_path=work / "logs", duckdb_path=work / "simulation.duckdb", dbt_vars={},
                        log=messages.append)
(manifest,) = dbt_runner._MANIFESTS.values()
serialised = json.dumps({part: value for part, value in manifest.writable_manifest().to_dict().items()
                         if part != "metadata"}, sort_keys=True, default=str)  # the invocation's id and time
print(json.dumps({"success": run.success, "kept": any("taken from" in m for m in messages),
                  "manifest": hashlib.sha256(serialised.encode()).hexdigest()}))
"""


def _project_copy(tmp_path: Path) -> Path:
    project = tmp_path / "dbt"
    shutil.copytree(REPO / "dbt", project, ignore=shutil.ignore_patterns("target", "logs"))
    return project


def _run_in_new_process(project: Path, work: Path) -> dict:
    """Run one dbt command in a new process; return what it reports, with dbt's parse statistics
    ("parse": None when it did not parse)."""
    result = subprocess.run([str(BIN / "python"), "-c", _LIST_ONE_MODEL, str(project), str(work),
                             str(REPO / "workflow" / "scripts")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    reported = json.loads(result.stdout.strip().splitlines()[-1])
    assert reported["success"]
    assert (dbt_runner.parse_cache_dir(project, "simulation.duckdb") / dbt_runner.PARTIAL_PARSE_FILE).is_file()
    perf_info = work / "target" / "parse" / "perf_info.json"
    return {**reported, "parse": json.loads(perf_info.read_text()) if perf_info.is_file() else None}


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


def test_next_process_takes_the_kept_manifest_until_a_file_or_a_package_changes(tmp_path):
    project = _project_copy(tmp_path)
    full = _run_in_new_process(project, tmp_path / "run1")
    assert not full["kept"] and full["parse"]["parsed_path_count"] > 50  # every model, test, seed and macro file
    cache = dbt_runner.parse_cache_dir(project, "simulation.duckdb")
    (kept_file,) = cache.glob("manifest-*.pickle")

    # a second process, another run directory and DuckDB path: dbt does not parse, and the manifest is the one
    # the parse made
    taken = _run_in_new_process(project, tmp_path / "run2")
    assert taken["kept"] and taken["parse"] is None and taken["manifest"] == full["manifest"]

    # kept for other dbt packages, or unreadable: not taken; dbt parses from its saved parse, nothing in full
    for other in (kept_file.with_name("manifest-0123456789abcdef.pickle"), kept_file):
        kept_file.rename(other) if other != kept_file else kept_file.write_bytes(b"cut short")
        reparsed = _run_in_new_process(project, tmp_path / f"run_{other.name}")
        assert not reparsed["kept"] and reparsed["parse"]["parsed_path_count"] == 0
        assert reparsed["manifest"] == full["manifest"]
        assert "Unable to do partial parsing" not in (tmp_path / f"run_{other.name}" / "logs" / "dbt.log").read_text()
        assert [path.name for path in cache.glob("manifest-*.pickle")] == [kept_file.name]  # kept again, alone

    # an edited model: a new saved parse, made in full; the old one is removed
    model = project / "models" / "marts" / "fct_year_summary.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    edited = _run_in_new_process(project, tmp_path / "run3")
    assert not edited["kept"] and edited["parse"]["parsed_path_count"] == full["parse"]["parsed_path_count"]
    assert edited["manifest"] != full["manifest"]
    assert not cache.exists()
    assert [p.name for p in (project / "target" / "parse").iterdir()] == [
        dbt_runner.parse_cache_dir(project, "simulation.duckdb").name]

    # a model that reads the environment: the kept manifest is not taken, dbt checks the values itself
    model.write_text(model.read_text() + "\n-- {{ env_var('SIM_TEST_UNSET', 'x') }}\n")
    for run in ("run4", "run5"):
        reading = _run_in_new_process(project, tmp_path / run)
        assert not reading["kept"] and reading["parse"] is not None
