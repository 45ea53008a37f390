"""Every command in the README runs as written, in a copy of the repository (as a fresh clone).

The commands that only plan other runs (other years, censuses, scenarios, seeds) run with
`EXTRA=--dry-run`, and the long ones (`make test`, `make bench`, `make backtest`) with `make -n`: those are
the documented equivalents. Everything else runs for real, in README order: `make simulate`
(2025-2029, 10,000 generated employees), the queries, the Python example, `make clean`.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, write_census

pytestmark = pytest.mark.slow

README = REPO / "README.md"
PLANNED_ONLY = re.compile(r"^make simulate .*(START|CENSUS|CONFIG|SEED|SCENARIOS|SEEDS|RUN)=")
# the suite itself, the long fuzz profile and the benchmark: minutes each
NOT_RUN_HERE = {"make test", "make test-fast", "make fuzz", "make bench"}
# simulations of the held-out year with several seeds, and the 12-design sweep (tests/test_sweep.py runs
# a small one): minutes
LONG_PREFIXES = ("make backtest ", "make sweep")


def fenced_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def readme_commands() -> list[str]:
    """Shell commands of the README's bash blocks, without their comments."""
    commands = []
    for block in fenced_blocks(README.read_text(), "bash"):
        for line in block.splitlines():
            command = re.sub(r"\s+#\s.*$", "", line).strip()
            if command:
                commands.append(command)
    return commands


def as_run_here(command: str) -> str:
    if command in NOT_RUN_HERE or command.startswith(LONG_PREFIXES):
        return command.replace("make", "make -n", 1)
    if PLANNED_ONLY.match(command) or command.startswith("snakemake --cores"):
        return command + (" EXTRA=--dry-run" if command.startswith("make") else " --dry-run")
    return command


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """The repository's files as a fresh clone has them, sharing the environment (.venv)."""
    target = tmp_path_factory.mktemp("readme") / "repo"
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    for name in listed:
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(REPO / ".venv")
    # the files the examples name
    (target / "data").mkdir(exist_ok=True)
    write_census(target / "data" / "my_census.csv", ["Employee ID", "Date of Birth", "Hire Date", "Annual Salary"])
    shutil.copy2(REPO / "config" / "simulation_config.yaml", target / "my_simulation_config.yaml")
    return target


def run(command: str, cwd: Path, stdin: str | None = None, activated: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    if activated:  # as `source .venv/bin/activate` leaves the shell
        env = {**env, "VIRTUAL_ENV": str(cwd / ".venv"), "PATH": f"{cwd / '.venv' / 'bin'}:{env['PATH']}"}
    return subprocess.run(["bash", "-c", command], cwd=cwd, input=stdin, capture_output=True, text=True,
                          timeout=900, env=env)


def test_readme_lists_the_commands_we_check():
    commands = readme_commands()
    assert commands[:2] == ["make simulate", "make test"]
    assert {"make sql", "make runs", "make clean"} <= set(commands)
    assert any(c.startswith("echo ") and c.endswith("| make sql") for c in commands)


def test_every_readme_command_runs_as_written(clone: Path):
    sql_examples = "\n".join(fenced_blocks(README.read_text(), "sql"))
    python_examples = fenced_blocks(README.read_text(), "python")
    ran, activated = [], False
    for command in readme_commands():
        if command == "make clean":
            continue  # last, below: the other commands read the results
        if command == "source .venv/bin/activate":
            assert (clone / ".venv" / "bin" / "activate").exists()
            activated = True
            continue
        here = as_run_here(command)
        result = run(here, clone, stdin=sql_examples if command == "make sql" else None, activated=activated)
        assert result.returncode == 0, f"{here}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        ran.append((command, result.stdout))
    outputs = dict(ran)
    summary = clone / "results" / "default" / "baseline" / "seed_42" / "summary.csv"
    assert len(summary.read_text().splitlines()) == 1 + 5                      # make simulate: 2025-2029
    assert "Done:" in outputs["make simulate"] and "results in results/default" in outputs["make simulate"]
    assert "year 2029:" in outputs["make simulate"]
    assert "default" in outputs["make runs"] and "generated 10,000 rows" in outputs["make runs"]
    assert "2029" in outputs["make sql"] and "event_type" in outputs["make sql"]  # the README's SQL, piped
    assert outputs["make timeline EMPLOYEE=EMP_000042"].startswith("Employee EMP_000042")
    assert (clone / "report.zip").stat().st_size > 0                            # snakemake --report
    for example in python_examples:
        result = run(f"{clone / '.venv' / 'bin' / 'python'} -", clone, stdin=example)
        assert result.returncode == 0, f"{example}\n{result.stderr[-3000:]}"
    result = run("make clean", clone)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (clone / "results").iterdir()] == [".gitkeep"]
