"""Runs never destroy other runs, the census reader takes an analyst's export, rejects survive
a stopped run, readers never block a run, and a failed run says what failed in one line."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

import run_workflow
import runs
import sql_shell
from conftest import REPO, new_workdir, results_dir, snakemake, write_census
import simconfig
from simconfig import run_size, run_settings
from simconfig.run_settings import RUN_INPUTS_FILE, choose_run_dir

RECOGNISED_HEADERS = ["Employee ID", "Date of Birth", "Hire Date", "Annual Salary"]
MAPPED_HEADERS = ["Worker Number", "Born", "Started", "Comp (Annual)"]
MAPPING = {"employee_id": "Worker Number", "employee_birth_date": "Born", "employee_hire_date": "Started",
           "employee_gross_compensation": "Comp (Annual)"}
ROWS = 300


def one_year(census: Path, **extra) -> dict:
    return {"census": str(census), "start_year": 2025, "end_year": 2025, "seed": 42, "scenarios": "[baseline]",
            **extra}


# ---------------------------------------------------------------- units


def test_a_run_of_other_inputs_gets_a_new_directory(tmp_path: Path):
    inputs_a, inputs_b = {"census": {"file": "a.csv"}, "years": [2025, 2029]}, {"census": {"file": "b.csv"}}
    assert choose_run_dir(tmp_path, "default", inputs_a) == tmp_path / "default"
    (tmp_path / "default").mkdir()
    (tmp_path / "default" / RUN_INPUTS_FILE).write_text(json.dumps({"inputs": inputs_a}))
    assert choose_run_dir(tmp_path, "default", inputs_a) == tmp_path / "default"  # same inputs: resume in place
    assert choose_run_dir(tmp_path, "default", inputs_b) == tmp_path / "default-2"
    (tmp_path / "default-2").mkdir()
    (tmp_path / "default-2" / RUN_INPUTS_FILE).write_text(json.dumps({"inputs": inputs_b}))
    assert choose_run_dir(tmp_path, "default", inputs_b) == tmp_path / "default-2"
    assert choose_run_dir(tmp_path, "default", {"years": [2026, 2027]}) == tmp_path / "default-3"


def test_the_quiet_account_of_a_run():
    log = Path("logs/workflow/x.log")
    done = ["[baseline seed 42] year 2025: headcount 10", "9 of 9 steps (100%) done", "results in results/q3"]
    assert run_workflow.account(done, 0, log) == [f"Done: 9 steps; results in results/q3 (full log: {log})"]
    assert run_workflow.account(["Nothing to be done (all requested files are present and up to date)."], 0, log) \
        == [f"Nothing to do: the results are up to date (full log: {log})"]
    ours = ["ERROR: census.csv: 40 of 300 census rows were rejected", "RuleException:", "message: None"]
    assert run_workflow.account(ours, 1, log) == [f"The run stopped; the full log is {log}"]  # shown as it came
    theirs = ["Building DAG of jobs...", "MissingInputException in rule x: file y"]
    assert run_workflow.account(theirs, 1, log) == ["ERROR: MissingInputException in rule x: file y",
                                                    f"The run stopped; the full log is {log}"]


def test_sql_shell_runs_statements_and_dot_commands(tmp_path: Path, capsys):
    database = tmp_path / "x.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create table fct_year_summary as select 2025 as simulation_year, 101 as end_headcount")
    con = duckdb.connect(str(database), read_only=True)
    sql_shell.run_lines(con, iter(["select end_headcount * 2 as doubled", "from fct_year_summary;", ".tables",
                                   "select 'a;b' as text;", "select nonsense from nowhere;", ".quit",
                                   "select 'after quit' as never;"]), tmp_path)
    out, err = capsys.readouterr()
    assert "doubled" in out and "202" in out
    assert "fct_year_summary" in out and "BASE TABLE" in out
    assert "a;b" in out                      # a ';' inside a string does not split the statement
    assert "nowhere" in err                  # an error is printed, the prompt goes on
    assert "after quit" not in out


# ---------------------------------------------------------------- real runs

@pytest.fixture(scope="module")
def two_census_runs(tmp_path_factory) -> dict:
    """A census with recognised headers, then one with a mapping: two runs, both kept."""
    work = new_workdir(tmp_path_factory.mktemp("two_census"))
    a = write_census(work / "a.csv", RECOGNISED_HEADERS)
    b = write_census(work / "b.csv", MAPPED_HEADERS)
    first = snakemake(work, config=one_year(a, reports="true"))
    again = snakemake(work, config=one_year(a, reports="true"))
    with (work / "config" / "config.yaml").open("a") as handle:
        handle.write("\ncensus_columns:\n" + "".join(f'  {k}: "{v}"\n' for k, v in MAPPING.items()))
    second = snakemake(work, config=one_year(b, reports="true"))
    return {"work": work, "first": first, "again": again, "second": second}


@pytest.mark.slow
def test_runs_of_two_censuses_both_stay_on_disk(two_census_runs):
    work = two_census_runs["work"]
    a_dir, b_dir = results_dir(work) / "baseline" / "seed_42", results_dir(work, "default-2") / "baseline" / "seed_42"
    for run_dir, census in ((a_dir, "a.csv"), (b_dir, "b.csv")):
        assert (run_dir / "summary.csv").exists() and (run_dir / "report" / "report.html").exists()
        assert Path(json.loads((run_dir / "run_metadata.json").read_text())["census_file"]).name == census
        inputs = json.loads((run_dir.parents[1] / RUN_INPUTS_FILE).read_text())["inputs"]
        assert Path(inputs["census"]["file"]).name == census
    assert "default-2" in two_census_runs["second"].stderr  # the run says where it went
    # the same inputs again: the same directory, nothing to do
    assert "Nothing to be done" in two_census_runs["again"].stdout + two_census_runs["again"].stderr
    assert not results_dir(work, "default-3").exists()
    listing = subprocess.run([sys.executable, str(REPO / "workflow" / "scripts" / "runs.py")], cwd=work,
                             capture_output=True, text=True, check=True).stdout
    assert [line.split()[0] for line in listing.splitlines()[1:3]] == ["default", "default-2"]
    assert "a.csv" in listing and "b.csv" in listing and "1 of 1" in listing


@pytest.mark.slow
def test_census_headers_recognised_or_mapped(two_census_runs):
    work = two_census_runs["work"]
    for run, headers in (("default", RECOGNISED_HEADERS), ("default-2", MAPPED_HEADERS)):
        report = json.loads((results_dir(work, run) / "census" / "census_report.json")
                            .read_text())
        assert report["rows_accepted"] == ROWS and report["rows_rejected"] == 0
        fields = ["employee_id", "employee_birth_date", "employee_hire_date", "employee_gross_compensation"]
        assert [report["column_sources"][f] for f in fields] == headers
        html = (results_dir(work, run) / "baseline" / "seed_42" / "report" / "report.html").read_text()
        assert "Census headers used" in html and all(f"<td>{h}</td>" in html for h in headers)
    pay = duckdb.sql(f"select min(employee_gross_compensation), max(employee_gross_compensation) from read_parquet("
                     f"'{results_dir(work, 'default-2')}/census/census.parquet')").fetchall()[0]
    assert pay == (42_000, 42_000 + max((i * 997) % 150_000 for i in range(ROWS)))  # "$1,234.00" read as money


@pytest.mark.slow
def test_too_many_rejects_stop_the_run_and_the_rejects_file_stays(tmp_path: Path):
    work = new_workdir(tmp_path)
    census = write_census(work / "bad.csv", RECOGNISED_HEADERS, bad_rows=40)  # 13 % > 5 %
    config = one_year(census, reports="false")
    command = [sys.executable, str(REPO / "workflow" / "scripts" / "run_workflow.py"), "--snakefile",
               str(REPO / "Snakefile"), "--cores", "2", "--config", *(f"{k}={v}" for k, v in config.items())]
    result = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    shown = result.stdout.splitlines()
    errors = [line for line in shown if line.startswith("ERROR: ")]
    assert errors and "census_max_reject_share" in errors[0], result.stdout
    named = Path(work / errors[0].split(" are in ")[1].strip())
    assert named.exists(), errors[0]
    rejects = named.read_text().splitlines()
    assert len(rejects) == 1 + 40 and "employee_birth_date" in rejects[1]
    # the terminal shows our lines, not Snakemake's wrapping of them
    assert not any(word in result.stdout for word in ("RuleException", "message: None", "Traceback", "empty file"))
    log = Path(work / shown[-1].split("the full log is ")[1])
    assert "census_max_reject_share" in log.read_text()  # the full detail is in the log


@pytest.mark.slow
def test_a_reader_holding_the_database_open_never_blocks_a_run(tmp_path: Path):
    work = new_workdir(tmp_path)
    census = write_census(work / "a.csv", RECOGNISED_HEADERS)
    config = {**one_year(census, reports="false"), "end_year": 2026}
    snakemake(work, config=config)
    published = results_dir(work) / "baseline" / "seed_42" / "simulation.duckdb"
    reader = duckdb.connect(str(published), read_only=True)  # an analyst's notebook, for the whole rerun
    before = reader.execute("select count(*), sum(end_headcount) from fct_year_summary").fetchone()
    answers, stop = [], threading.Event()

    def keep_reading():
        while not stop.is_set():
            answers.append(reader.execute("select count(*), sum(end_headcount) from fct_year_summary").fetchone())
            time.sleep(0.2)

    thread = threading.Thread(target=keep_reading)
    thread.start()
    try:
        rerun = snakemake(work, "--forceall", config=config, check=False)
    finally:
        stop.set()
        thread.join()
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert answers and set(answers) == {before}  # a consistent view the whole time
    reader.close()
    with duckdb.connect(str(published), read_only=True) as fresh:
        assert fresh.execute("select count(*), sum(end_headcount) from fct_year_summary").fetchone() == before
    assert before[0] == 2


@pytest.mark.slow
def test_make_sql_and_timeline_read_the_latest_run(two_census_runs):
    work = two_census_runs["work"]
    query = "select count(*) as employees from fct_workforce_snapshot;\n"
    shell = subprocess.run([sys.executable, str(REPO / "workflow" / "scripts" / "sql_shell.py")], cwd=work,
                           input=query, capture_output=True, text=True, check=True)
    snapshot = results_dir(work, "default-2") / "baseline" / "seed_42" / "years" / "2025" / "snapshot.parquet"
    assert int(shell.stdout.split()[-1]) == duckdb.sql(f"select count(*) from '{snapshot}'").fetchall()[0][0]
    named = subprocess.run([sys.executable, str(REPO / "workflow" / "scripts" / "sql_shell.py"), "--run", "nope"],
                           cwd=work, input=query, capture_output=True, text=True)
    assert named.returncode != 0 and "no run named 'nope'" in named.stderr and "default-2" in named.stderr
    timeline = subprocess.run([sys.executable, str(REPO / "workflow" / "scripts" / "timeline.py"), "--employee",
                               "E00000", "--run", "default"], cwd=work, capture_output=True, text=True, check=True)
    assert timeline.stdout.startswith("Employee E00000") and "2025" in timeline.stdout


def test_runs_lists_nothing_before_a_run(tmp_path: Path):
    assert runs.format_runs([]) == "no runs yet: make simulate"
    with pytest.raises(SystemExit, match="no runs in"):
        runs.pick_run(tmp_path, None)


def test_a_run_far_beyond_the_machine_is_refused_before_any_job_unless_confirmed():
    with pytest.raises(simconfig.ConfigError, match=r"50,000,000 employees x 5 years .* confirm_large_run"):
        run_settings.plan_run({"census_size": 50_000_000, "results_dir": "/nonexistent"}, REPO)
    assert run_settings.plan_run({"census_size": 50_000_000, "confirm_large_run": True,
                                  "results_dir": "/nonexistent"}, REPO).settings.census_size == 50_000_000
    # the measured benchmark is inside the limits, with the figures it was measured at
    size = run_size.estimate(100_000, 2025, 2029, 0.03, 1)
    assert run_size.too_large(size, memory_mb=24 * 1024) is None
    assert abs(size.peak_mb - 1046) < 60 and 20 < size.seconds < 60
    assert "memory" in run_size.too_large(run_size.estimate(3_000_000, 2025, 2029, 0.03, 1), memory_mb=8 * 1024)
    assert "hours" in run_size.too_large(run_size.estimate(200_000, 2025, 2200, 0.03, 1), memory_mb=10**9)


def test_census_rows_are_counted_or_estimated_closely(tmp_path: Path):
    csv = write_census(tmp_path / "c.csv", RECOGNISED_HEADERS, rows=30_000)
    assert abs(run_size.census_rows(csv) - 30_000) < 30_000 * 0.02
    assert run_size.census_rows(write_census(tmp_path / "small.csv", RECOGNISED_HEADERS, rows=7)) == 7
    duckdb.sql(f"copy (select * from read_csv('{csv}')) to '{tmp_path / 'c.parquet'}' (format parquet)")
    assert run_size.census_rows(tmp_path / "c.parquet") == 30_000
