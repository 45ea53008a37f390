"""Run settings (config/config.yaml, overridable with `snakemake --config key=value`): where
things are, which years, scenarios and seeds. Resolved once per workflow start into a
RunPlan that the rules read."""
from __future__ import annotations

import datetime
import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simconfig import peer_schema, run_size
from simconfig.loader import ConfigError, LoadedConfig, _describe, load

NAME = r"^[A-Za-z0-9_.-]+$"
LABEL = re.compile(r"^[A-Za-z0-9 _.-]{1,100}$")


def _label(value: str) -> str:
    """Ids stamped on output rows: a strict alphabet, so the value reads the same in every output."""
    if not LABEL.match(value):
        raise ValueError("may contain only letters, digits, spaces and the characters _ . - (1 to 100 of them)")
    return value


class RunSettings(BaseModel):
    """Run settings of the workflow (config/config.yaml). Model assumptions are in the simulation config."""

    # lax: values given on the command line arrive as text ("false", "2026")
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    simulation_config: str = Field("config/simulation_config.yaml", description="Path of the simulation config "
                                   "(peer key structure).")
    results_dir: str = Field("results", description="Directory that receives every run directory.")
    run: Annotated[str, Field(pattern=NAME)] = Field(
        "default", description="Name of the run: results go to <results_dir>/<run>/. A run whose census, simulation "
        "config or years differ from what that directory holds goes to <run>-2, <run>-3, ... (make runs lists them).")
    plan_design_id: Annotated[str, AfterValidator(_label)] = Field(
        "default", description="Plan design identifier stamped on every output row (letters, digits, spaces "
        "and _ . -).")
    scenarios: Annotated[list[Annotated[str, Field(pattern=NAME)]], Field(min_length=1)] = Field(
        default_factory=lambda: ["baseline"], description="Scenario names; each overlays "
        "config/scenarios/<name>.yaml on the simulation config.")
    baseline_scenario: str | None = Field(None, description="The scenario the others are compared with; null "
                                          "takes the first scenario.")
    start_year: int | None = Field(None, ge=1900, le=2200, description="First simulated year; null takes "
                                   "simulation.start_year from the simulation config.")
    end_year: int | None = Field(None, ge=1900, le=2200, description="Last simulated year; null takes "
                                 "simulation.end_year from the simulation config.")
    seed: int | None = Field(None, ge=0, description="Random seed; null takes simulation.random_seed.")
    seeds: list[Annotated[int, Field(ge=0)]] | None = Field(None, description="Seeds of an ensemble; null runs "
                                                            "the single seed.")
    seed_count: int | None = Field(None, ge=1, description="Number of consecutive seeds from `seed` (used when "
                                   "seeds is null).")
    census: str | None = Field(None, description="Census file (CSV, Parquet or Excel); null generates a "
                               "synthetic census.")
    census_columns: dict[str, str] | None = Field(None, description="Census field -> the file's header, for "
                                                  "headers the reader does not recognise (it knows common spellings "
                                                  "such as 'Employee ID', 'DOB', 'Hire Date', 'Annual Salary').")
    census_size: int = Field(10000, ge=1, description="Rows of the generated census (used when census is null).")
    census_generator_seed: int = Field(20241231, ge=0, description="Seed of the synthetic census generator.")
    census_max_reject_share: float = Field(0.05, ge=0, le=1, description="Largest share of census rows that may "
                                           "be rejected before the run stops.")
    reports: bool = Field(True, description="Write each run's HTML report, workbook and charts, and the "
                          "scenario comparison.")
    dbt_threads: int = Field(1, ge=1, description="Threads dbt uses inside one build.")
    dbt_replay: bool = Field(True, description="Once dbt has run the same SQL for two years (and, for "
                             "another seed, for two seeds; for another plan design whose SQL differs only in constants, once dbt "
                             "has run it for one year and another such design for two), replay that SQL for the "
                             "other years and seeds of the runs in results_dir (kept in <results_dir>/.dbt_programs) "
                             "without dbt: identical results and data tests, ~0.9 s less a year at 10,000 "
                             "employees (dbt_threads 1 only); a foundation replays once dbt has built the same SQL twice. "
                             "false: dbt builds every year and foundation.")
    duckdb_memory_mb: int = Field(
        1536, ge=64, description="Memory (MiB) DuckDB may hold in one run's build before it spills to disk beside "
        "the run's database; the results do not depend on it. Python, dbt and Snakemake take about 600 MB more.")
    strict_config: bool = Field(False, description="Treat keys of the peer's schema that have no effect here as "
                                "errors instead of listing them in a notice.")
    confirm_large_run: bool = Field(False, description="Run even when the estimate of memory or time is beyond "
                                    "this machine (simconfig/run_size.py; make simulate CONFIRM=1).")

    @field_validator("seeds")
    @classmethod
    def _unique_seeds(cls, seeds):
        if seeds is not None and len(set(seeds)) != len(seeds):
            raise ValueError("must not repeat a seed")
        return seeds

    @field_validator("scenarios")
    @classmethod
    def _unique_scenarios(cls, scenarios):
        if len(set(scenarios)) != len(scenarios):
            raise ValueError("must not repeat a scenario")
        return scenarios

    @model_validator(mode="after")
    def _baseline_is_a_scenario(self):
        if self.baseline_scenario is not None and self.baseline_scenario not in self.scenarios:
            raise ValueError(f"baseline_scenario '{self.baseline_scenario}' is not one of scenarios "
                             f"{', '.join(self.scenarios)}")
        return self


@dataclass(frozen=True)
class RunPlan:
    """Everything the rules need, resolved from the run settings and the scenario configs."""

    settings: RunSettings
    run_dir: Path           # <results_dir>/<run name>, chosen by the run's inputs
    inputs: dict            # what identifies the run's results (census, config, years)
    simulation_config: Path
    scenarios: dict[str, LoadedConfig]
    overlays: dict[str, Path | None]
    baseline: str
    start_year: int
    end_year: int
    seeds: tuple[int, ...]

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    @property
    def as_of_date(self) -> datetime.date:
        """The census is as of Dec 31 before the first simulated year."""
        return datetime.date(self.start_year - 1, 12, 31)

    def notice(self) -> str | None:
        unmodelled: dict[str, tuple[str, ...]] = {}
        for loaded in self.scenarios.values():
            unmodelled.update(loaded.unmodelled)
        return peer_schema.notice(unmodelled)


def validate_settings(raw: dict[str, Any], source: str = "config/config.yaml") -> RunSettings:
    unknown = sorted(set(raw) - set(RunSettings.model_fields))
    if unknown:
        lines = []
        for name in unknown:
            close = difflib.get_close_matches(name, list(RunSettings.model_fields), n=1, cutoff=0.6)
            lines.append(f"{source}: unknown run setting '{name}'"
                         + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise ConfigError("\n".join(lines))
    try:
        return RunSettings.model_validate(raw)
    except ValidationError as error:
        raise ConfigError("\n".join(_describe(e, [(source, raw)]).replace(": key ", ": run setting ", 1)
                                    for e in error.errors(include_url=False))) from None


def resolve_path(path: str | Path, repo: Path) -> Path:
    """Paths in the run settings are relative to the working directory, else to the repository."""
    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    return repo / candidate


def plan_run(raw: dict[str, Any], repo: Path) -> RunPlan:
    settings = validate_settings(raw)
    simulation_config = resolve_path(settings.simulation_config, repo)
    scenarios, overlays = {}, {}
    for scenario in settings.scenarios:
        overlay = resolve_path(f"config/scenarios/{scenario}.yaml", repo)
        if not overlay.exists():
            if scenario != "baseline":
                raise ConfigError(f"scenario '{scenario}': no overlay file {overlay}")
            overlay = None
        scenarios[scenario] = load(simulation_config, overlay)
        overlays[scenario] = overlay
        if settings.strict_config and scenarios[scenario].unmodelled:
            raise ConfigError("strict_config is on, and keys have no effect:\n"
                              + peer_schema.notice(scenarios[scenario].unmodelled))
    baseline = settings.baseline_scenario or settings.scenarios[0]
    simulation = scenarios[baseline].model.simulation
    start = settings.start_year or simulation.start_year
    end = settings.end_year or simulation.end_year
    if end < start:
        raise ConfigError(f"end_year ({end}) must not be before start_year ({start})")
    seed = simulation.random_seed if settings.seed is None else settings.seed
    if settings.seeds:
        seeds = tuple(settings.seeds)
    elif settings.seed_count:
        seeds = tuple(range(seed, seed + settings.seed_count))
    else:
        seeds = (seed,)
    check_size(settings, repo, start, end, simulation.target_growth_rate, len(settings.scenarios) * len(seeds))
    inputs = run_inputs(settings, simulation_config, start, end, repo)
    return RunPlan(settings=settings, run_dir=choose_run_dir(Path(settings.results_dir), settings.run, inputs),
                   inputs=inputs, simulation_config=simulation_config, scenarios=scenarios, overlays=overlays,
                   baseline=baseline, start_year=start, end_year=end, seeds=seeds)


def check_size(settings: RunSettings, repo: Path, start: int, end: int, growth: float, runs: int) -> None:
    """Stop before any job when the run would not fit the machine, unless confirmed."""
    if settings.confirm_large_run:
        return
    if settings.census:
        path = resolve_path(settings.census, repo)
        if not path.is_file():
            return  # the census step says so, naming the file
        employees = run_size.census_rows(path)
    else:
        employees = settings.census_size
    size = run_size.estimate(employees, start, end, growth, runs)
    reason = run_size.too_large(size)
    if reason:
        raise ConfigError(f"this run looks too large for this machine: {size.describe()}, {reason}. Make it smaller "
                          "(census_size, start_year/end_year) or confirm it: make simulate CONFIRM=1 "
                          "(run setting confirm_large_run: true)")


RUN_INPUTS_FILE = "run_inputs.json"


def run_inputs(settings: RunSettings, simulation_config: Path, start: int, end: int, repo: Path) -> dict:
    """What makes a run's results: the census (file: path, size and time; or the generator's size and
    seed), the text of the simulation config, the census column mapping and the years."""
    if settings.census:
        path = resolve_path(settings.census, repo).resolve()
        stat = path.stat() if path.exists() else None
        census = {"file": str(path), "bytes": stat.st_size if stat else None,
                  "modified": datetime.datetime.fromtimestamp(stat.st_mtime).isoformat(timespec="seconds")
                  if stat else None}
    else:
        census = {"generated_rows": settings.census_size, "generator_seed": settings.census_generator_seed}
    return {"census": census, "census_columns": settings.census_columns or {},
            "simulation_config": str(simulation_config.resolve()),
            "simulation_config_sha256": hashlib.sha256(simulation_config.read_bytes()).hexdigest()[:16],
            "years": [start, end]}


def choose_run_dir(results_dir: Path, name: str, inputs: dict) -> Path:
    """<name>, or the first of <name>-2, <name>-3, ... that holds these inputs or nothing yet: a run
    never overwrites the results of other inputs."""
    for number in range(1, 10_000):
        candidate = results_dir / (name if number == 1 else f"{name}-{number}")
        recorded = candidate / RUN_INPUTS_FILE
        if not recorded.exists():
            return candidate
        try:
            if json.loads(recorded.read_text()).get("inputs") == json.loads(json.dumps(inputs)):
                return candidate
        except (OSError, ValueError):
            continue
    raise ConfigError(f"{results_dir}: too many runs named {name}; choose another run name")
