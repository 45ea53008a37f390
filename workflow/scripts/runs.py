"""The runs in results/ with their inputs and dates (make runs), and which run directory
`make sql` and `make timeline` mean: RUN=<name>, else the latest run.

    python workflow/scripts/runs.py [--results results]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from simconfig.run_settings import RUN_INPUTS_FILE


def run_dirs(results: Path) -> list[Path]:
    """Run directories (those with a run_inputs.json), oldest first."""
    found = [p.parent for p in results.glob(f"*/{RUN_INPUTS_FILE}")]
    return sorted(found, key=lambda run: (created(run), run.name))


def created(run: Path) -> str:
    try:
        return json.loads((run / RUN_INPUTS_FILE).read_text()).get("created", "")
    except (OSError, ValueError):
        return ""


def census_dir(seed_dir: Path) -> Path:
    """The run's validated census, its rejects and report (workflow/rules/census.smk): one for all
    of the run's <scenario>/seed_<n> directories."""
    return Path(seed_dir).parent.parent / "census"


def seed_dirs(run: Path) -> list[Path]:
    """<scenario>/seed_<n> directories of a run."""
    return sorted(p for p in run.glob("*/seed_*") if p.is_dir() and p.parent.name != "comparison")


def describe(run: Path) -> dict:
    inputs = json.loads((run / RUN_INPUTS_FILE).read_text()).get("inputs", {})
    census = inputs.get("census", {})
    census_text = (Path(census["file"]).name if "file" in census
                   else f"generated {census.get('generated_rows', '?'):,} rows")
    seeds = seed_dirs(run)
    finished = [p for p in seeds if (p / "summary.csv").exists()]
    years = inputs.get("years", ["?", "?"])
    return {"run": run.name, "created": created(run).replace("T", " "), "census": census_text,
            "config": Path(inputs.get("simulation_config", "?")).name, "years": f"{years[0]}-{years[-1]}",
            "scenario/seed": ", ".join(f"{p.parent.name}/{p.name}" for p in seeds) or "none yet",
            "finished": f"{len(finished)} of {len(seeds)}"}


def pick_run(results: Path, run: str | None) -> Path:
    """The named run, else the latest one."""
    runs = run_dirs(results)
    if run:
        chosen = results / run
        if chosen not in runs:
            names = ", ".join(p.name for p in runs) or "none"
            raise SystemExit(f"no run named '{run}' in {results} (runs: {names})")
        return chosen
    if not runs:
        raise SystemExit(f"no runs in {results}: run `make simulate` first")
    return runs[-1]


def pick_seed_dir(run: Path, scenario: str, seed: int | None) -> Path:
    """results/<run>/<scenario>/seed_<seed>; the seed may be left out when the run has one."""
    if seed is not None:
        chosen = run / scenario / f"seed_{seed}"
        if not chosen.is_dir():
            raise SystemExit(f"{chosen} does not exist (runs: make runs)")
        return chosen
    found = sorted((run / scenario).glob("seed_*"))
    if len(found) != 1:
        listed = ", ".join(p.name for p in found) or "none"
        raise SystemExit(f"give SEED=...: seeds of scenario '{scenario}' in {run}: {listed}")
    return found[0]


def format_runs(rows: list[dict]) -> str:
    if not rows:
        return "no runs yet: make simulate"
    headers = list(rows[0])
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in headers]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths))]
    lines += ["  ".join(str(r[h]).ljust(w) for h, w in zip(headers, widths)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", default="results")
    args = parser.parse_args(argv)
    print(format_runs([describe(run) for run in run_dirs(Path(args.results))]))
    print("make sql RUN=<run> opens a run's database")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
