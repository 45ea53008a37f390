"""make sweep: plan designs evaluated on one shared workforce per seed, ranked by the objectives a user picks.

A sweep file (config/sweeps/<name>.yaml) names plan-design levers, simulation-config keys each with a
list of values. Every combination is a candidate design, written as a scenario overlay and run by the
project's own workflow beside the others (workflow/scripts/sim_runner.py): the candidates differ only
in plan keys, so the first one builds each seed's workforce and the others read it (README, Scenarios).
An optional refinement then adds, around the best candidates, the midpoint between each numeric lever's
value and its neighbours in the grid, and runs those too. Each candidate's metrics are its summary's
values for the whole period (as the scenario comparison sums the years up), averaged over the seeds.

Writes to results/sweeps/<name>/: candidates.csv (levers, metrics, constraints met, Pareto front, rank),
pareto.png/.svg (the first two objectives, the front joined), candidates/<candidate>.yaml (each design as
a scenario overlay: copy it to config/scenarios/ and run it), sweep.json (settings, where the workforce
came from, timings); the runs themselves under results/sweeps/<name>/results/.
"""
from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

import comparison
import sim_io
import sim_runner
import simconfig
from simconfig import run_settings, workforce

REPO = Path(__file__).resolve().parents[2]
# whether a candidate passed every compliance test: the share of seeds in which no test of any year failed
# (summary compliance_tests_failed: corrected or not; a deemed pass is a pass)
COMPLIANCE_PASS = "compliance_pass"


class SweepError(ValueError):
    """A sweep file that cannot be run; the message names the file and the key."""


class Objective(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metric: str = Field(description="a summary metric (its value for the whole period) or compliance_pass")
    goal: Literal["minimize", "maximize"]


class Constraint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metric: str
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _a_bound(self):
        if self.min is None and self.max is None:
            raise ValueError("a constraint needs min or max")
        return self


class Refine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    best: int = Field(3, ge=1, le=50, description="how many of the best feasible candidates to refine around")


class SweepConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    levers: dict[str, list[Any]] = Field(description="simulation-config key (dotted) -> the values to try")
    base: dict[str, Any] = Field({}, description="an overlay every candidate starts from (plan keys)")
    objectives: list[Objective] = Field(
        [Objective(metric="net_employer_cost", goal="minimize"), Objective(metric="participation_rate", goal="maximize")],
        min_length=1)
    constraints: list[Constraint] = []
    refine: Refine | None = None
    start_year: int | None = Field(None, ge=1900, le=2200)
    end_year: int | None = Field(None, ge=1900, le=2200)
    seeds: list[int] = Field([42], min_length=1)
    census_size: int | None = Field(None, ge=10)
    census: str | None = None

    @field_validator("levers")
    @classmethod
    def _levers(cls, levers):
        if not levers:
            raise ValueError("name at least one lever")
        for key, values in levers.items():
            if not values:
                raise ValueError(f"lever {key}: give at least one value")
            if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
                raise ValueError(f"lever {key}: a value is listed twice")
        return levers


def load_sweep(path: Path) -> SweepConfig:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SweepError(f"{path}: {' '.join(str(error).split())}") from None
    try:
        sweep = SweepConfig.model_validate(raw or {})
    except ValidationError as error:
        raise SweepError("\n".join(f"{path}: {'.'.join(map(str, e['loc'])) or 'sweep'}: {e['msg']}"
                                   for e in error.errors(include_url=False))) from None
    known = set(comparison.METRICS) | {COMPLIANCE_PASS}
    for item, where in [*((o, "objectives") for o in sweep.objectives), *((c, "constraints") for c in sweep.constraints)]:
        if item.metric not in known:
            raise SweepError(f"{path}: {where}: unknown metric '{item.metric}'; one of {', '.join(sorted(known))}")
    return sweep


def nested(dotted: dict[str, Any]) -> dict:
    """{'a.b': 1, 'a.c': 2} -> {'a': {'b': 1, 'c': 2}}."""
    tree: dict = {}
    for key, value in dotted.items():
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def grid(levers: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the levers' values, the first lever varying slowest."""
    return [dict(zip(levers, values)) for values in itertools.product(*levers.values())]


def refinements(best: list[dict[str, Any]], levers: dict[str, list[Any]], seen: list[dict[str, Any]]) -> list[dict]:
    """Around each of the best candidates: for each numeric lever, the midpoints between its value and
    the neighbouring values of the grid, the other levers kept. Designs already run are left out."""
    def numeric(values):
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)

    found: list[dict] = []
    keys = {json.dumps(c, sort_keys=True) for c in seen}
    for candidate in best:
        for lever, values in levers.items():
            if not numeric(values) or len(values) < 2:
                continue
            ordered = sorted(values)
            at = ordered.index(candidate[lever])
            for neighbour in (ordered[at - 1] if at > 0 else None, ordered[at + 1] if at + 1 < len(ordered) else None):
                if neighbour is None:
                    continue
                middle = round((candidate[lever] + neighbour) / 2, 6)
                if all(isinstance(v, int) for v in values):
                    if (candidate[lever] + neighbour) % 2:
                        continue  # no whole number between them
                    middle = int(middle)
                design = {**candidate, lever: middle}
                key = json.dumps(design, sort_keys=True)
                if key not in keys:
                    keys.add(key)
                    found.append(design)
    return found


def check_designs(designs: dict[str, dict], sweep_path: Path, simulation_config: Path) -> None:
    """Each candidate is a valid config (errors name the key) and keeps the base workforce: a sweep
    compares plan designs on one workforce per seed."""
    base_raw = simconfig.load_yaml(simulation_config)
    base_vars = simconfig.dbt_vars(simconfig.validate_files([(str(simulation_config), base_raw)]).model)
    names = sorted(workforce.workforce_var_names())
    for name, overlay in designs.items():
        loaded = simconfig.validate_files([(str(simulation_config), base_raw), (f"{sweep_path} ({name})", overlay)])
        candidate_vars = simconfig.dbt_vars(loaded.model, reference=loaded.reference)
        changed = [var for var in names if candidate_vars.get(var) != base_vars.get(var)]
        if changed:
            raise SweepError(f"{sweep_path}: candidate {name} changes the workforce ({', '.join(changed)}): a sweep "
                             "compares plan designs on one workforce; levers and base may set plan keys only")


def evaluate(run_dir: Path, candidates: list[str], seeds: list[int]) -> pd.DataFrame:
    """Per candidate: each metric's period value, averaged over the seeds, and compliance_pass."""
    rows = []
    for candidate in candidates:
        per_seed = []
        for seed in seeds:
            summary = pd.read_csv(run_dir / candidate / f"seed_{seed}" / "summary.csv")
            values = comparison.period_values(summary)
            values[COMPLIANCE_PASS] = float(summary["compliance_tests_failed"].fillna(0).sum() == 0)
            per_seed.append(values)
        rows.append({"candidate": candidate, **pd.DataFrame(per_seed).mean().to_dict()})
    return pd.DataFrame(rows)


def pareto_fronts(frame: pd.DataFrame, objectives: list[Objective]) -> pd.Series:
    """Non-dominated sorting: 1 for the candidates no other beats on every objective (and strictly on
    one), 2 for those beaten only by front 1, ... Compared among the rows given."""
    signed = pd.DataFrame({o.metric: frame[o.metric] * (1 if o.goal == "minimize" else -1) for o in objectives},
                          index=frame.index)
    front, remaining, number = pd.Series(0, index=frame.index, dtype=int), list(frame.index), 1
    while remaining:
        values = signed.loc[remaining]
        layer = [i for i in remaining
                 if not ((values <= values.loc[i]).all(axis=1) & (values < values.loc[i]).any(axis=1)).any()]
        front[layer] = number
        remaining = [i for i in remaining if i not in layer]
        number += 1
    return front


def rank(frame: pd.DataFrame, sweep: SweepConfig) -> pd.DataFrame:
    """Constraints met, Pareto front among the feasible candidates, and an order: feasible first, by
    front, then by the first objective."""
    frame = frame.copy()
    feasible = pd.Series(True, index=frame.index)
    for constraint in sweep.constraints:
        if constraint.min is not None:
            feasible &= frame[constraint.metric] >= constraint.min
        if constraint.max is not None:
            feasible &= frame[constraint.metric] <= constraint.max
    frame["feasible"] = feasible
    frame["pareto_front"] = pd.NA
    if feasible.any():
        frame.loc[feasible, "pareto_front"] = pareto_fronts(frame[feasible], sweep.objectives)
    first = sweep.objectives[0]
    frame = frame.assign(_first=frame[first.metric] * (1 if first.goal == "minimize" else -1),
                         _front=frame["pareto_front"].fillna(10**9).astype(int))
    frame = frame.sort_values(["feasible", "_front", "_first", "candidate"], ascending=[False, True, True, True])
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame.drop(columns=["_first", "_front"]).reset_index(drop=True)


def _run(sweep: SweepConfig, workdir: Path, name: str, overlays: dict[str, dict], scenarios: list[str],
         start: int, end: int, cores: int) -> sim_runner.Simulation:
    sim_runner.prepare_workdir(workdir, overlays)
    census = run_settings.resolve_path(sweep.census, REPO) if sweep.census else None
    return sim_runner.simulate(workdir, start=start, end=end, scenarios=scenarios, seeds=sweep.seeds,
                               census=census, size=None if census else sweep.census_size, run=name, cores=cores)


def run_sweep(sweep_path: Path, out_dir: Path | None = None, cores: int = 2, log=print) -> pd.DataFrame:
    sweep_path = Path(sweep_path)
    sweep = load_sweep(sweep_path)
    name = sweep_path.stem
    out_dir = Path(out_dir or REPO / "results" / "sweeps" / name)
    settings = run_settings.validate_settings(yaml.safe_load((REPO / "config" / "config.yaml").read_text()))
    simulation_config = run_settings.resolve_path(settings.simulation_config, REPO)
    simulation = simconfig.load(simulation_config).model.simulation
    start, end = sweep.start_year or simulation.start_year, sweep.end_year or simulation.end_year
    if end < start:
        raise SweepError(f"{sweep_path}: end_year ({end}) must not be before start_year ({start})")
    sweep = sweep.model_copy(update={"census_size": sweep.census_size or settings.census_size})

    def overlays_of(designs: dict[str, dict]) -> dict[str, dict]:
        found = {c: simconfig.deep_merge(sweep.base, nested(levers)) for c, levers in designs.items()}
        check_designs(found, sweep_path, simulation_config)
        return found

    designs = {f"c{i:03d}": levers for i, levers in enumerate(grid(sweep.levers), 1)}
    overlays = overlays_of(designs)
    stages = {c: "grid" for c in designs}
    log(f"sweep {name}: {len(designs)} candidate designs x {len(sweep.seeds)} seed(s), {start}-{end}, "
        f"one workforce per seed (built by {next(iter(designs))})")
    started = time.perf_counter()
    simulation_run = _run(sweep, out_dir, name, overlays, list(designs), start, end, cores)
    table = rank(evaluate(simulation_run.run_dir, list(designs), sweep.seeds), sweep)
    grid_seconds = time.perf_counter() - started

    if sweep.refine:
        best = [designs[c] for c in table[table.feasible].candidate.head(sweep.refine.best)]
        refined = refinements(best, sweep.levers, list(designs.values()))
        if refined:
            more = {f"c{i:03d}": levers for i, levers in enumerate(refined, len(designs) + 1)}
            designs.update(more)
            overlays.update(overlays_of(more))
            stages.update({c: "refine" for c in more})
            log(f"sweep {name}: refining around the {len(best)} best: {len(more)} more designs")
            # the first candidate stays first, so it remains the workforce the new designs read (already built)
            simulation_run = _run(sweep, out_dir, name, overlays, list(designs), start, end, cores)
            table = rank(evaluate(simulation_run.run_dir, list(designs), sweep.seeds), sweep)
    seconds = time.perf_counter() - started

    levers = pd.DataFrame([{"candidate": c, "stage": stages[c],
                            **{k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in d.items()}}
                           for c, d in designs.items()])
    watched = list(dict.fromkeys([o.metric for o in sweep.objectives] + [c.metric for c in sweep.constraints]))
    metrics = [m for m in table.columns if m not in ("rank", "candidate", "feasible", "pareto_front", *watched)]
    table = table.merge(levers, on="candidate")[
        ["rank", "candidate", "stage", *sweep.levers, "feasible", "pareto_front", *watched, *metrics]]
    write_outputs(table, sweep, overlays, out_dir, simulation_run.run_dir,
                  {"seconds_total": round(seconds, 3), "seconds_grid": round(grid_seconds, 3)}, start, end)
    log(f"sweep {name}: {len(designs)} designs in {seconds:.1f} s -> {out_dir / 'candidates.csv'}")
    return table


def workforce_sources(run_dir: Path, candidates: list[str], seeds: list[int]) -> dict[str, dict[str, list[str]]]:
    """Per seed, candidate -> whose workforce its years used ("built": its own), from the year summaries."""
    return {str(seed): {c: sorted({sim_io.read_json(p).get("workforce_from") or "built" for p in
                                   (run_dir / c / f"seed_{seed}" / "years").glob("*/summary.json")}) for c in candidates}
            for seed in seeds}


def write_outputs(table: pd.DataFrame, sweep: SweepConfig, overlays: dict[str, dict], out_dir: Path, run_dir: Path,
                  timing: dict, start: int, end: int) -> None:
    import charts

    table.to_csv(out_dir / "candidates.csv", index=False)
    designs_dir = out_dir / "candidates"
    shutil.rmtree(designs_dir, ignore_errors=True)
    designs_dir.mkdir(parents=True)
    for candidate, overlay in overlays.items():
        (designs_dir / f"{candidate}.yaml").write_text(
            f"# sweep candidate {candidate}: copy to config/scenarios/ to run it as a scenario\n"
            + yaml.safe_dump(overlay, sort_keys=False))
    charts.pareto_chart(table, [o.metric for o in sweep.objectives], out_dir)
    sim_io.write_json({"sweep": sweep.model_dump(mode="json"), "years": [start, end], "run_dir": str(run_dir),
                       "workforce_from": workforce_sources(run_dir, list(overlays), sweep.seeds), "timing": timing},
                      out_dir / "sweep.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", type=Path, help="the sweep file, e.g. config/sweeps/match_and_enrollment.yaml")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="default: results/sweeps/<sweep file name>/")
    args = parser.parse_args(argv)
    try:
        table = run_sweep(args.sweep, args.out, args.cores)
    except (SweepError, simconfig.ConfigError, sim_runner.SimulationFailed) as error:
        print("\n".join(f"ERROR: {line}" for line in str(error).splitlines()), file=sys.stderr)
        return 1
    shown = ["rank", "candidate", *[c for c in table.columns if c not in ("rank", "candidate")][:8]]
    print(table[shown].head(10).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
