"""The workflow on a real one-node SLURM cluster (tests/cluster/start_slurm.sh), through
profiles/slurm, and with each year chain as one grouped job (profiles/slurm-grouped):
every non-local job goes through sbatch, and the outputs equal a local run's.

Needs root and apt-get (CI has both): the fixture installs slurm-wlm and munge if
missing, starts munged/slurmctld/slurmd, and stops at the end only what it started.
If SLURM cannot be set up, the test fails with the start script's output.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import BIN, REPO, new_workdir, results_dir

pytestmark = pytest.mark.slow

SCENARIOS = ["baseline", "richer_match"]
SEEDS = [1]
YEARS = [2025, 2026]
RUN_CONFIG = [f"scenarios=[{','.join(SCENARIOS)}]", f"seeds=[{','.join(map(str, SEEDS))}]",
              f"start_year={YEARS[0]}", f"end_year={YEARS[-1]}", "census_size=800"]
# The test cluster has no accounting (no sacct, no accounts) and short jobs (docs/cluster.md).
TEST_CLUSTER_ARGS = ["--slurm-no-account", "--slurm-status-command", "squeue",
                     "--slurm-init-seconds-before-status-checks", "1"]
RUN_TIMEOUT = 600

SUBMITTED = re.compile(r"Job (\S+) has been submitted with SLURM jobid (\d+) \(log: ([^)]*)\)")
REMOTE_RULE = re.compile(r"^\s*rule (\w+):", re.MULTILINE)
LOCAL_RULE = re.compile(r"^\s*localrule (\w+):", re.MULTILINE)
GROUP_JOB = re.compile(r"Group job (\w+) \(jobs in lexicogr\. order\):")


@dataclass
class WorkflowRun:
    name: str
    workdir: Path
    command: list[str]
    process: subprocess.Popen | None = None
    started: float = 0.0
    seconds: float = 0.0
    returncode: int | None = None
    output_path: Path = field(init=False)

    def __post_init__(self):
        self.output_path = self.workdir / "snakemake_output.txt"

    @property
    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def start(self):
        with open(self.output_path, "w") as out:
            self.process = subprocess.Popen(self.command, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True,
                                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.started = time.monotonic()

    def poll(self) -> bool:
        """True once the run has ended (and records its exit status and wall time)."""
        if self.returncode is None and self.process.poll() is not None:
            self.returncode = self.process.returncode
            self.seconds = time.monotonic() - self.started
        return self.returncode is not None

    def kill(self):
        # SIGTERM lets the SLURM executor cancel its jobs (scancel) before exiting
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.returncode = -1
        self.seconds = time.monotonic() - self.started

    def failure(self, what: str) -> str:
        logs = sorted((self.workdir / ".snakemake" / "slurm_logs").rglob("*.log"))
        kept = "\n".join(f"--- {p}:\n{p.read_text(errors='replace')[-3000:]}" for p in logs[-5:])
        return (f"{self.name}: {what} (exit {self.returncode}, {self.seconds:.0f} s)\n"
                f"{self.output[-8000:]}\n{kept}")


def run_dir(workdir: Path, scenario: str, seed: int) -> Path:
    return results_dir(workdir) / scenario / f"seed_{seed}"


def sorted_frame(workdir: Path, scenario: str, seed: int, name: str) -> pd.DataFrame:
    paths = [run_dir(workdir, scenario, seed) / "years" / str(y) / name for y in YEARS]
    listed = ", ".join(f"'{p}'" for p in paths)
    return duckdb.sql(f"select * from read_parquet([{listed}]) order by all").df()


def slurmctld_log() -> Path | None:
    result = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True)
    match = re.search(r"^SlurmctldLogFile\s*=\s*(\S+)", result.stdout, re.MULTILINE)
    return Path(match.group(1)) if match and Path(match.group(1)).is_file() else None


def completed_ok(slurm_ids: list[str]) -> dict[str, bool]:
    """Whether SLURM ran each job to exit status 0: from slurmctld's log (lasts), else
    from scontrol (finished jobs are kept MinJobAge seconds)."""
    log = slurmctld_log()
    if log is not None:
        text = log.read_text(errors="replace")
        return {i: re.search(rf"_job_complete: JobId={i} WEXITSTATUS 0\b", text) is not None for i in slurm_ids}
    states = {}
    for i in slurm_ids:
        shown = subprocess.run(["scontrol", "-o", "show", "job", i], capture_output=True, text=True).stdout
        states[i] = "JobState=COMPLETED" in shown and "ExitCode=0:0" in shown
    return states


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def runs(slurm_cluster, tmp_path_factory) -> dict[str, WorkflowRun]:
    """The same workflow three ways, started together (the SLURM runs spend much of
    their time waiting for status checks, so the three share the two cores well)."""
    snakemake = [str(BIN / "snakemake"), "--snakefile", str(REPO / "Snakefile")]
    slurm = [*snakemake, "--profile", str(REPO / "profiles" / "slurm"), *TEST_CLUSTER_ARGS]
    all_runs = {
        "slurm": WorkflowRun("slurm", new_workdir(tmp_path_factory.mktemp("slurm")),
                             [*slurm, "--config", *RUN_CONFIG]),
        "grouped": WorkflowRun("grouped", new_workdir(tmp_path_factory.mktemp("slurm_grouped")),
                               [*slurm, "--profile", str(REPO / "profiles" / "slurm-grouped"),
                                "--config", *RUN_CONFIG]),
        "local": WorkflowRun("local", new_workdir(tmp_path_factory.mktemp("local")),
                             [*snakemake, "--cores", "2", "--config", *RUN_CONFIG]),
    }
    for run in all_runs.values():
        run.start()
    deadline = time.monotonic() + RUN_TIMEOUT
    while not all([run.poll() for run in all_runs.values()]) and time.monotonic() < deadline:
        time.sleep(0.5)
    for run in all_runs.values():
        if not run.poll():
            run.kill()
    for run in all_runs.values():
        print(f"{run.name}: exit {run.returncode} after {run.seconds:.0f} s")
    return all_runs


def _check_submissions(run: WorkflowRun) -> tuple[Counter, list[tuple[str, str, str]]]:
    assert run.returncode == 0, run.failure("snakemake failed")
    output = run.output
    submitted = SUBMITTED.findall(output)
    remote_rules = Counter(REMOTE_RULE.findall(output))
    local_rules = Counter(LOCAL_RULE.findall(output))
    # the year chain must run on the cluster, never in the Snakemake process
    # a scenario's foundation is built once for its seeds, each seed's chain starts from a copy
    assert remote_rules["build_foundation"] == len(SCENARIOS), run.failure("foundation builds not submitted")
    assert remote_rules["foundation"] == len(SCENARIOS) * len(SEEDS), run.failure("foundation jobs not submitted")
    assert remote_rules["simulate_year"] == len(SCENARIOS) * len(SEEDS) * len(YEARS), \
        run.failure("year jobs not submitted")
    assert not set(local_rules) & {"build_foundation", "foundation", "simulate_year"}, \
        run.failure("a dbt job ran locally")
    slurm_ids = [slurm_id for _, slurm_id, _ in submitted]
    assert len(set(slurm_ids)) == len(slurm_ids), run.failure("a SLURM job id was reported twice")
    not_ok = [i for i, ok in completed_ok(slurm_ids).items() if not ok]
    assert not not_ok, run.failure(f"SLURM has no successful completion of jobs {not_ok}")
    return remote_rules, submitted


# ---------------------------------------------------------------- tests


def test_every_non_local_job_goes_through_sbatch(runs):
    run = runs["slurm"]
    remote_rules, submitted = _check_submissions(run)
    # one sbatch per non-local job, and no job submitted twice
    assert len(submitted) == sum(remote_rules.values()), run.failure(
        f"{len(submitted)} SLURM submissions for {sum(remote_rules.values())} non-local jobs {dict(remote_rules)}")
    assert len({job for job, _, _ in submitted}) == len(submitted)
    # dbt jobs of different (scenario, seed) runs may run at once on a cluster: the
    # dbt_slot=1 limit of profiles/default must not serialise them (profiles/slurm
    # sets their dbt_slot to 0)
    assert "dbt_slot=1" not in run.output, run.failure("cluster jobs still claim the local dbt_slot")


def test_grouped_profile_submits_each_year_chain_as_one_job(runs):
    run = runs["grouped"]
    remote_rules, submitted = _check_submissions(run)
    # richer_match reads baseline's workforce every year (plan keys only differ), which connects
    # the two scenarios' chains of a seed: one group job per seed
    chains = len(SEEDS)
    group_blocks = GROUP_JOB.findall(run.output)
    assert group_blocks == ["year_chain"] * chains, run.failure(f"group jobs: {group_blocks}")
    group_submissions = [s for s in submitted if "/group_year_chain" in s[2]]
    assert len(group_submissions) == chains, run.failure(f"{len(group_submissions)} group submissions")
    # every other non-local job is its own submission; a chain's steps are one
    grouped_steps = remote_rules["foundation"] + remote_rules["simulate_year"]
    assert len(submitted) == sum(remote_rules.values()) - grouped_steps + chains, run.failure(
        f"{len(submitted)} submissions for {dict(remote_rules)} in {chains} chains")


@pytest.mark.parametrize("profile", ["slurm", "grouped"])
def test_cluster_outputs_equal_a_local_run(runs, profile):
    local, cluster = runs["local"], runs[profile]
    assert local.returncode == 0, local.failure("local run failed")
    assert cluster.returncode == 0, cluster.failure("cluster run failed")
    for scenario in SCENARIOS:
        for seed in SEEDS:
            for name in ("events.parquet", "snapshot.parquet"):
                expected = sorted_frame(local.workdir, scenario, seed, name)
                actual = sorted_frame(cluster.workdir, scenario, seed, name)
                assert len(expected) > 0
                pd.testing.assert_frame_equal(actual, expected, obj=f"{scenario} seed {seed} {name}")
    # the scenarios really differ (the comparison is not trivially equal): the richer match pays more
    assert not sorted_frame(local.workdir, "baseline", SEEDS[0], "snapshot.parquet").equals(
        sorted_frame(local.workdir, "richer_match", SEEDS[0], "snapshot.parquet"))
