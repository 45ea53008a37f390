"""Idempotent reruns, resume after SIGKILL, partial reruns, and seed determinism."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

import run_summary
from simconfig import workforce

from conftest import BIN, REPO, new_workdir, results_dir, simulate, snakemake

pytestmark = pytest.mark.slow


def _frames(run) -> tuple[pd.DataFrame, pd.DataFrame]:
    events = run.events().sort_values(["employee_id", "simulation_year", "event_sequence"]).reset_index(drop=True)
    snapshots = run.snapshots(with_former=True).sort_values(["employee_id", "simulation_year"]).reset_index(drop=True)
    return events, snapshots


def _figures(summary: dict) -> dict:
    """A year's figures: its summary.json without the facts of the build (times, bytes, gates)."""
    return {key: value for key, value in summary.items() if key not in run_summary.RUN_FACTS}


def _assert_database_matches_year_files(run) -> None:
    """The run's DuckDB views hold every year exactly once, row for row as the year files."""
    events, snapshots = _frames(run)
    with run.db() as con:
        db_events = con.sql("select * from fct_yearly_events").df().sort_values(
            ["employee_id", "simulation_year", "event_sequence"]).reset_index(drop=True)
        db_snapshots = con.sql("select * from fct_workforce_snapshot").df().sort_values(
            ["employee_id", "simulation_year"]).reset_index(drop=True)
        summary_years = [r[0] for r in con.sql("select simulation_year from fct_year_summary order by 1").fetchall()]
    pd.testing.assert_frame_equal(events, db_events)
    pd.testing.assert_frame_equal(snapshots, db_snapshots)
    assert summary_years == run.years


def test_a_run_ends_without_warnings_from_the_interpreter(three_year_run):
    # e.g. objects kept alive past shutdown make DuckDB's bindings report leaks
    output = three_year_run.result.stdout + three_year_run.result.stderr
    assert "leaked" not in output and "Traceback" not in output


def test_second_run_does_nothing(three_year_run):
    result = snakemake(three_year_run.workdir, config={
        "census_size": 2000, "start_year": 2025, "end_year": 2027, "seed": 42, "scenarios": "[baseline]", "reports": False})
    assert "Nothing to be done" in result.stdout + result.stderr


def test_same_seed_gives_identical_outputs_and_another_seed_differs(three_year_run, tmp_path):
    # the same run again under a small memory cap for DuckDB and with two dbt threads (models
    # built side by side): the cap reaches the build, and no output or figure depends on either
    again = simulate(new_workdir(tmp_path / "again"), extra={"duckdb_memory_mb": 100, "dbt_threads": 2})
    for first, second in zip(_frames(three_year_run), _frames(again)):
        pd.testing.assert_frame_equal(first, second)
    for year in three_year_run.years:  # every figure of the year's summary, to the last digit
        first, second = (_figures(json.loads(run.year_file(year, "summary.json").read_text()))
                         for run in (three_year_run, again))
        assert first == second, {key: (first[key], second.get(key)) for key in first if first[key] != second.get(key)}
        for name in workforce.SHARED_TABLES:  # the workforce files sharing scenarios read, to the last bit
            first, second = (pd.read_parquet(run.year_file(year, f"workforce/{name}")) for run in (three_year_run, again))
            pd.testing.assert_frame_equal(*(frame.sort_values(list(frame.columns)).reset_index(drop=True)
                                            for frame in (first, second)), check_exact=True)
    limits = [json.loads(run.year_file(year, "summary.json").read_text())["timing"]["duckdb_memory_limit"]
              for run in (three_year_run, again) for year in (2025, 2027)]
    assert limits == ["1.5 GiB", "1.5 GiB", "100.0 MiB", "100.0 MiB"]

    other = simulate(new_workdir(tmp_path / "other"), seed=7)
    events, _ = _frames(three_year_run)
    other_events, _ = _frames(other)
    # same census and solver counts, different people and dates
    assert len(events[events.event_type == "hire"]) == len(other_events[other_events.event_type == "hire"])
    leavers = set(events[events.event_category == "experienced_termination"].employee_id)
    other_leavers = set(other_events[other_events.event_category == "experienced_termination"].employee_id)
    assert leavers != other_leavers
    assert not events.effective_date.equals(other_events.effective_date)


def test_sigkill_in_a_later_year_resumes_there_and_matches(three_year_run, tmp_path):
    workdir = new_workdir(tmp_path / "killed")
    command = [str(BIN / "snakemake"), "--snakefile", str(REPO / "Snakefile"), "--cores", "2", "--config",
               "census_size=2000", "start_year=2025", "end_year=2027", "seed=42", "scenarios=[baseline]", "reports=false"]
    process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    run_dir = results_dir(workdir) / "baseline" / "seed_42"
    first_year_done = run_dir / "years" / "2025" / "summary.json"
    # the second year's log appears when its job starts, i.e. once Snakemake has
    # recorded the first year as complete: kill the run inside the second year
    second_year_started = workdir / "logs" / "default" / "baseline" / "seed_42" / "year_2026.log"
    deadline = time.time() + 300
    while not second_year_started.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "the run finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (run_dir / "years" / "2027" / "summary.json").exists()
    kept_mtime = first_year_done.stat().st_mtime_ns

    # make simulate clears the stale lock a killed run leaves; do the same, then rerun
    subprocess.run([sys.executable, str(REPO / "workflow" / "scripts" / "unlock_if_stale.py")], cwd=workdir, check=True)
    resumed = simulate(workdir)
    assert "simulate_year" in resumed.result.stdout + resumed.result.stderr
    assert first_year_done.stat().st_mtime_ns == kept_mtime, "the finished year was rerun"
    for first, second in zip(_frames(three_year_run), _frames(resumed)):
        pd.testing.assert_frame_equal(first, second)
    _assert_database_matches_year_files(resumed)


def test_an_edited_dbt_project_reruns_the_foundation_and_every_year(three_year_run):
    # The foundation and the years take the dbt project through one input, the run's fingerprint
    # of every project file (results/<run>/dbt_project.json, rewritten when a project file's
    # content changes). Rather than edit the project under the other tests, the fingerprint is
    # changed as an edit would change it, for a dry run, then restored.
    fingerprint = results_dir(three_year_run.workdir) / "dbt_project.json"
    project = REPO / "dbt"
    files = [p for folder in ("models", "macros", "seeds", "tests") for pattern in ("*.sql", "*.yml", "*.csv")
             for p in (project / folder).rglob(pattern)] + [project / "dbt_project.yml", project / "profiles.yml"]
    recorded = json.loads(fingerprint.read_text())
    assert recorded["files"] == len(files)
    kept_text, kept = fingerprint.read_text(), fingerprint.stat()
    fingerprint.write_text(json.dumps({**recorded, "sha256": "0" * 64}))
    try:
        dry = snakemake(three_year_run.workdir, "--dry-run", config={
            "census_size": 2000, "start_year": 2025, "end_year": 2027, "seed": 42, "scenarios": "[baseline]",
            "reports": False})
    finally:
        fingerprint.write_text(kept_text)
        os.utime(fingerprint, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    output = dry.stdout + dry.stderr
    table = output[output.index("Job stats"):]
    counts = dict(line.split() for line in table.split("\n\n")[0].splitlines()[3:] if len(line.split()) == 2)
    assert counts == {"build_foundation": "1", "foundation": "1", "simulate_year": "3", "run_summary": "1", "all": "1",
                      "total": "7"}, table


def test_deleting_one_year_reruns_it_and_later_years_only(tmp_path, three_year_run):
    workdir = new_workdir(tmp_path / "partial")
    run = simulate(workdir)
    mtimes = {y: run.year_file(y, "summary.json").stat().st_mtime_ns for y in run.years}
    for name in ("state.parquet", "events.parquet", "snapshot.parquet", "summary.json"):
        run.year_file(2026, name).unlink()
    dry = snakemake(workdir, "--dry-run", config={
        "census_size": 2000, "start_year": 2025, "end_year": 2027, "seed": 42, "scenarios": "[baseline]", "reports": False})
    output = dry.stdout + dry.stderr
    table = output[output.index("Job stats"):]
    counts = dict(line.split() for line in table.splitlines()[3:8] if len(line.split()) == 2)
    assert counts == {"simulate_year": "2", "run_summary": "1", "all": "1", "total": "4"}, table
    simulate(workdir)
    assert run.year_file(2025, "summary.json").stat().st_mtime_ns == mtimes[2025]
    assert run.year_file(2026, "summary.json").stat().st_mtime_ns != mtimes[2026]
    assert run.year_file(2027, "summary.json").stat().st_mtime_ns != mtimes[2027]
    for first, second in zip(_frames(three_year_run), _frames(run)):
        pd.testing.assert_frame_equal(first, second)
    # the rerun years replaced their rows in the database rather than adding to them
    _assert_database_matches_year_files(run)
