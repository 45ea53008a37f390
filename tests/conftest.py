"""Shared fixtures: run the real workflow (snakemake + dbt + DuckDB) in temporary directories."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import sim_io

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLUSTER_SCRIPTS = REPO / "tests" / "cluster"


# Test files that take a minute or more, longest first (as measured in whole suites, 2026-12-04; the two
# longest take 336 s and 251 s, the SLURM one mostly waiting for status checks). They run first: pytest-xdist
# hands a worker the next file when it finishes one, so a long file handed out last runs alone. The
# SLURM file goes first, beside test_config_effects.py, whose two processes use the core it leaves idle.
LONGEST_FILES = [
    "test_slurm.py", "test_config_effects.py", "test_scenarios_and_ensembles.py", "test_plan_model.py",
    "test_resume_and_determinism.py", "test_year_replay.py", "test_readme_commands.py", "test_reports.py",
    "test_compliance.py", "test_balances.py", "test_run_safety.py", "test_fuzz.py", "test_backtest.py",
    "test_sweep.py",
]


def pytest_collection_modifyitems(config, items):
    """The longest files first, each file's tests in their own order (a stable sort)."""
    rank = {name: position for position, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@dataclass
class Run:
    workdir: Path
    scenario: str
    seed: int
    years: list[int]
    result: subprocess.CompletedProcess

    @property
    def run_dir(self) -> Path:
        return results_dir(self.workdir) / self.scenario / f"seed_{self.seed}"

    def year_file(self, year: int, name: str) -> Path:
        return self.run_dir / "years" / str(year) / name

    def events(self) -> pd.DataFrame:
        return read_parquets([self.year_file(y, "events.parquet") for y in self.years])

    def snapshots(self, with_former: bool = False) -> pd.DataFrame:
        """Each year's employees (actives on Jan 1 and hires); with_former: also the former
        employees whose balance is still in the plan (employment_status deferred_vested)."""
        frame = read_parquets([self.year_file(y, "snapshot.parquet") for y in self.years])
        return frame if with_former else frame[frame.employment_status != "deferred_vested"].reset_index(drop=True)

    def db(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.run_dir / "simulation.duckdb"), read_only=True)


def results_dir(workdir: Path, run: str = "default") -> Path:
    """Where a run named `run` (the default name) writes in a working directory."""
    return workdir / "results" / run


def read_parquets(paths: list[Path]) -> pd.DataFrame:
    listed = ", ".join(sim_io.sql_literal(p) for p in paths)
    return duckdb.sql(f"select * from read_parquet([{listed}])").df()


def write_census(path: Path, headers: list[str], rows: int = 300, bad_rows: int = 0) -> Path:
    """An analyst's export: US dates, money with $ and thousands commas; `bad_rows` with an unparseable birth date."""
    lines = [",".join(f'"{h}"' for h in headers)]
    for i in range(rows):
        birth = "not a date" if i < bad_rows else f"{1 + i % 12:02d}/{1 + i % 28:02d}/{1960 + i % 40}"
        hire = f"{1 + i % 12:02d}/15/{2000 + i % 24}"
        pay = 42_000 + (i * 997) % 150_000
        lines.append(f'E{i:05d},{birth},{hire},"${pay:,}.00"')
    path.write_text("\n".join(lines) + "\n")
    return path


def new_workdir(tmp: Path) -> Path:
    """A working directory with its own copy of config/ (the Snakefile stays in the repo)."""
    tmp.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "config", tmp / "config", dirs_exist_ok=True)
    return tmp


def snakemake(workdir: Path, *args: str, config: dict | None = None, check: bool = True,
              timeout: int = 600) -> subprocess.CompletedProcess:
    command = [str(BIN / "snakemake"), "--snakefile", str(REPO / "Snakefile"), "--cores", "2"]
    if config:
        command += ["--config", *(f"{k}={v}" for k, v in config.items())]
    command += list(args)
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}")
    return result


def simulate(workdir: Path, *, size: int = 2000, start: int = 2025, end: int = 2027, seed: int = 42,
             scenario: str = "baseline", extra: dict | None = None, check: bool = True,
             reports: bool = False) -> Run:
    # reports (matplotlib, ~1.5 s a run) only where a test looks at them
    config = {"census_size": size, "start_year": start, "end_year": end, "seed": seed, "scenarios": f"[{scenario}]",
              "reports": reports}
    config.update(extra or {})
    result = snakemake(workdir, config=config, check=check)
    return Run(workdir, scenario, seed, list(range(start, end + 1)), result)


def build_in_process(tmp_path: Path, years: tuple[int, ...] = (2025,), size: int = 300) -> None:
    """A generated census's foundation and years built by dbt in this process (as a job worker builds them)."""
    import datetime

    import census
    import dbt_runner
    import foundation
    import generate_census
    import simconfig
    import simulate_year

    raw, clean = tmp_path / "raw.parquet", tmp_path / "census.parquet"
    generate_census.write_census(generate_census.generate_census(size, 7, datetime.date(2024, 12, 31)), raw)
    census.prepare_census(raw, clean, tmp_path / "rejects.csv", datetime.date(2024, 12, 31), 0.05)
    dbt_vars = simconfig.dbt_vars(simconfig.load(REPO / "config" / "simulation_config.yaml").model)
    db, log, state = tmp_path / "simulation.duckdb", sim_io.JobLog(None), tmp_path / "baseline.parquet"
    try:
        foundation.run_foundation(census_path=clean, duckdb_path=db, baseline_state_path=state,
                                  report_path=tmp_path / "foundation.json", project_dir=REPO / "dbt",
                                  target_path=tmp_path / "target", dbt_vars=dbt_vars, log=log)
        for year in years:
            out = tmp_path / str(year)
            simulate_year.run_year(year=year, prev_state_path=state, duckdb_path=db,
                                   events_path=out / "events.parquet", snapshot_path=out / "snapshot.parquet",
                                   state_path=out / "state.parquet", summary_path=out / "summary.json",
                                   project_dir=REPO / "dbt", target_path=tmp_path / "target", dbt_vars=dbt_vars,
                                   log=log, replay=False)
            state = out / "state.parquet"
    finally:
        dbt_runner.release_database()


@pytest.fixture(scope="session")
def three_year_run(tmp_path_factory) -> Run:
    """2,000 generated employees, 2025-2027, seed 42: shared by the invariant tests."""
    return simulate(new_workdir(tmp_path_factory.mktemp("three_year")))


# The SLURM the session started: JSON {"error": ..., "daemons": [...]}, passed to pytest-xdist's
# workers (they inherit the environment of the process that starts them).
SLURM_STARTED_ENV = "SIM_TESTS_SLURM_STARTED"
_SLURM_DAEMONS = pytest.StashKey[list]()  # the daemons the session started, stopped when it ends


def _start_slurm() -> dict:
    """Runs tests/cluster/start_slurm.sh (it installs and starts a one-node SLURM):
    {"error": None or the script's output, "daemons": the daemons it started}."""
    try:
        result = subprocess.run(["bash", str(CLUSTER_SCRIPTS / "start_slurm.sh")], capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, timeout=900,
                                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    except subprocess.TimeoutExpired as error:
        return {"error": f"tests/cluster/start_slurm.sh timed out:\n{error.stdout}\n{error.stderr}", "daemons": []}
    error = None
    if result.returncode != 0:
        error = (f"tests/cluster/start_slurm.sh failed ({result.returncode}); SLURM is needed for this test:\n"
                 f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}")
    started = re.findall(r"^started:(.*)$", result.stdout, re.MULTILINE)
    return {"error": error, "daemons": started[-1].split() if started else []}


def _stop_slurm(daemons: list[str]) -> None:
    """Stops only the daemons the session started."""
    if daemons:
        subprocess.run(["bash", str(CLUSTER_SCRIPTS / "stop_slurm.sh"), *daemons], capture_output=True,
                       text=True, timeout=120)


def pytest_sessionstart(session):
    """With SLURM installed but its controller down, every snakemake start waits 10 s:
    the SLURM executor plugin asks `scontrol show config` when it is imported. Where
    SLURM is installed (CI installs it for tests/test_slurm.py), the session runs it, once,
    in the process that starts pytest-xdist's workers (before it starts them).
    A SLURM that cannot start fails the SLURM tests only (slurm_cluster), not every test."""
    if hasattr(session.config, "workerinput") or SLURM_STARTED_ENV in os.environ:
        return
    if shutil.which("scontrol") and os.geteuid() == 0:
        started = _start_slurm()
        session.config.stash[_SLURM_DAEMONS] = started["daemons"]
        os.environ[SLURM_STARTED_ENV] = json.dumps(started)


def pytest_sessionfinish(session):
    _stop_slurm(session.config.stash.get(_SLURM_DAEMONS, []))


@pytest.fixture(scope="session")
def slurm_start():
    """(error or None, daemons started) of the SLURM the session started; where it started
    none (SLURM not installed yet), this process installs and starts one for its tests."""
    if SLURM_STARTED_ENV in os.environ:
        started = json.loads(os.environ[SLURM_STARTED_ENV])
        yield started["error"], started["daemons"]
        return
    started = _start_slurm()
    try:
        yield started["error"], started["daemons"]
    finally:
        _stop_slurm(started["daemons"])


@pytest.fixture(scope="session")
def slurm_cluster(slurm_start):
    """A running one-node SLURM; the test fails with the start script's output when it could not start."""
    error, daemons = slurm_start
    if error:
        pytest.fail(error)
    return daemons
