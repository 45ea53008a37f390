"""Run the project's own workflow (Snakemake + dbt) in a working directory of its own, for the
history generator and the backtest: a copy of config/ with extra scenario overlays, the
repository's Snakefile, results under <workdir>/results/<run>."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


class SimulationFailed(RuntimeError):
    """The workflow stopped; the message has its last lines and the log file."""


@dataclass(frozen=True)
class Simulation:
    run_dir: Path  # results/<run>, or <run>-2 ... when the name holds other inputs already

    def seed_dir(self, scenario: str, seed: int) -> Path:
        return self.run_dir / scenario / f"seed_{seed}"

    def snapshot(self, scenario: str, seed: int, year: int) -> Path:
        return self.seed_dir(scenario, seed) / "years" / str(year) / "snapshot.parquet"


def prepare_workdir(workdir: Path, overlays: dict[str, dict] | None = None) -> Path:
    """<workdir>/config: the repository's config/ plus the given overlays as scenario files."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "config", workdir / "config", dirs_exist_ok=True)
    for name, overlay in (overlays or {}).items():
        (workdir / "config" / "scenarios" / f"{name}.yaml").write_text(yaml.safe_dump(overlay, sort_keys=False))
    return workdir


def simulate(workdir: Path, *, start: int, end: int, scenarios: list[str], seeds: list[int],
             census: Path | None = None, size: int | None = None, run: str = "default",
             cores: int = 2, pairs: list[tuple[str, int]] | None = None) -> Simulation:
    """Run the workflow for these years, scenarios and seeds; the census file, or a generated one.
    pairs: only these (scenario, seed) runs instead of every scenario with every seed (the run
    directory must then be results/<run>: a fresh working directory)."""
    config = {"start_year": start, "end_year": end, "scenarios": f"[{','.join(scenarios)}]",
              "seeds": f"[{','.join(str(s) for s in seeds)}]", "run": run, "reports": "false"}
    if census is not None:
        config["census"] = str(Path(census).resolve())
    if size is not None:
        config["census_size"] = size
    command = [str(SNAKEMAKE), "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
               "--cores", str(cores), "--config", *(f"{k}={v}" for k, v in config.items())]
    if pairs:
        command += ["--", *(f"results/{run}/{scenario}/seed_{seed}/summary.csv" for scenario, seed in pairs)]
    log = workdir / "logs" / f"{run}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as handle:
        result = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if result.returncode != 0:
        lines = log.read_text().splitlines()
        ours = [line for line in lines if line.startswith("ERROR: ")]
        raise SimulationFailed("; ".join(ours[:3]) or f"the simulation failed; see {log}")
    where = re.search(r"results in (\S+)", log.read_text())
    return Simulation(workdir / (where.group(1) if where else f"results/{run}"))
