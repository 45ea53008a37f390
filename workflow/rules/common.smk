# Helpers Snakemake itself needs: the run plan from the config, wildcard constraints,
# input functions and params. Job bodies are in workflow/scripts/jobs.py.
import json
import sys
from pathlib import Path
from types import SimpleNamespace

from snakemake.exceptions import WorkflowError

REPO = Path(workflow.basedir)
sys.path.insert(0, str(REPO / "workflow" / "scripts"))

import jobs  # noqa: E402
import job_workers  # noqa: E402
import simconfig  # noqa: E402
import snakemake_exit  # noqa: E402
from simconfig import run_settings, workforce  # noqa: E402

try:
    PLAN = run_settings.plan_run(config, REPO)
except simconfig.ConfigError as error:
    # the lines `make simulate` shows; Snakemake's own account of the error goes to the log
    print("\n".join(f"ERROR: {line}" for line in str(error).splitlines()), file=sys.stderr, flush=True)
    raise WorkflowError(str(error)) from None

RESULTS = str(PLAN.run_dir)
DBT_PROJECT = REPO / "dbt"
DATABASE = "simulation.duckdb"  # a run's DuckDB file; its name is the relations' database in dbt's SQL
# the programs of the foundation and year builds, shared by the runs of the results directory
# (workflow/scripts/year_replay.py, foundation.py)
PROGRAMS_DIR = str(PLAN.run_dir.parent / ".dbt_programs")
# the census validations, shared by the runs of the results directory (workflow/scripts/census_checks.py)
CENSUS_CHECKS_DIR = str(PLAN.run_dir.parent / ".census_checks")
NOTICE = PLAN.notice()
if NOTICE:
    logger.warning(f"note: {NOTICE}")
if PLAN.run_dir.name != PLAN.settings.run:
    logger.warning(f"note: {PLAN.settings.results_dir}/{PLAN.settings.run} holds the results of another census, "
                   f"config or years; this run writes to {RESULTS} (make runs lists the runs)")
logger.info(f"results in {RESULTS}")
# <baseline>_vs_<others>: a comparison of other scenarios never replaces this one
COMPARISON = f"{RESULTS}/comparison/{PLAN.baseline}_vs_{'_'.join(s for s in PLAN.scenarios if s != PLAN.baseline)}"


wildcard_constraints:
    scenario=r"[A-Za-z0-9_.-]+",
    seed=r"\d+",
    year=r"\d{4}",
    size=r"\d+",


def run_dir(wildcards):
    return f"{RESULTS}/{wildcards.scenario}/seed_{wildcards.seed}"


def run_targets():
    """Everything the configured runs produce. Every year's files are listed, not only
    the summary, so deleting one year's outputs reruns that year (and the later ones)."""
    scenarios, seeds = list(PLAN.scenarios), list(PLAN.seeds)
    year_files = [
        f"{RESULTS}/{{scenario}}/seed_{{seed}}/years/{year}/{name}"
        for year in PLAN.years
        for name in ("state.parquet", "events.parquet", "snapshot.parquet", "summary.json")
    ]
    targets = expand([f"{RESULTS}/{{scenario}}/seed_{{seed}}/summary.csv", *year_files],
                     scenario=scenarios, seed=seeds)
    if PLAN.settings.reports:
        targets += expand(f"{RESULTS}/{{scenario}}/seed_{{seed}}/report/report.html", scenario=scenarios, seed=seeds)
        if len(scenarios) > 1:
            targets += expand(f"{COMPARISON}/seed_{{seed}}/comparison.html", seed=seeds)
    if len(seeds) > 1:
        targets += expand(f"{RESULTS}/{{scenario}}/ensemble/ensemble_summary.csv", scenario=scenarios)
    return targets


def census_source(wildcards):
    """The user's census file, or the synthetic census of census_size rows."""
    if PLAN.settings.census:
        return str(run_settings.resolve_path(PLAN.settings.census, REPO))
    return f"{RESULTS}/census/synthetic_{PLAN.settings.census_size}_{PLAN.settings.census_generator_seed}.parquet"


def previous_year_state(wildcards):
    """The state year Y starts from: year Y-1's, or the census baseline for the first year."""
    year = int(wildcards.year)
    if year == PLAN.start_year:
        return f"{run_dir(wildcards)}/baseline_state.parquet"
    return f"{run_dir(wildcards)}/years/{year - 1}/state.parquet"


def previous_year_summary(wildcards):
    """Year Y-1's summary (its forfeiture account carries over), none for the first year."""
    year = int(wildcards.year)
    return [] if year == PLAN.start_year else [f"{run_dir(wildcards)}/years/{year - 1}/summary.json"]


def year_summaries(wildcards):
    return [f"{run_dir(wildcards)}/years/{year}/summary.json" for year in PLAN.years]


def ensemble_run_summaries(wildcards):
    return [f"{RESULTS}/{wildcards.scenario}/seed_{seed}/summary.csv" for seed in PLAN.seeds]


def comparison_run_summaries(wildcards):
    return [f"{RESULTS}/{scenario}/seed_{wildcards.seed}/summary.csv" for scenario in PLAN.scenarios]


def dbt_project_files():
    """Every file of the dbt project, fingerprinted by dbt_project_fingerprint: an edit reruns the years."""
    patterns = ("*.sql", "*.yml", "*.csv")
    return sorted(
        str(p)
        for folder in ("models", "macros", "seeds", "tests")
        for pattern in patterns
        for p in (DBT_PROJECT / folder).rglob(pattern)
    ) + [str(DBT_PROJECT / "dbt_project.yml"), str(DBT_PROJECT / "profiles.yml")]


# ---- params: every value a job uses (a change reruns the jobs that use it) ----


def run_inputs_json(wildcards):
    return json.dumps(PLAN.inputs, sort_keys=True)


def as_of_date(wildcards):
    """The census is as of Dec 31 before the first year; a new start year revalidates it."""
    return PLAN.as_of_date.isoformat()


def scenario_dbt_vars(scenario, seed):
    loaded = PLAN.scenarios[scenario]
    return simconfig.dbt_vars(
        loaded.model,
        reference=loaded.reference,
        scenario_id=scenario,
        plan_design_id=PLAN.settings.plan_design_id,
        random_seed=int(seed),
        start_year=PLAN.start_year,
        end_year=PLAN.end_year,
    )


def foundation_dbt_vars(wildcards):
    """The dbt vars of a scenario's foundation, as sorted JSON: its seeds share it, so no seed."""
    dbt_vars = scenario_dbt_vars(wildcards.scenario, 0)
    del dbt_vars["random_seed"]
    return json.dumps(dbt_vars, sort_keys=True)


def foundations_replay() -> bool:
    """Every scenario's foundation replays the program dbt built twice (workflow/scripts/foundation.py)."""
    if not PLAN.settings.dbt_replay:
        return False
    import foundation

    return all(foundation.replayable(foundation.kept_program(
        Path(PROGRAMS_DIR).resolve(), DBT_PROJECT, DATABASE, PLAN.settings.dbt_threads,
        json.loads(foundation_dbt_vars(SimpleNamespace(scenario=scenario))))[1]) for scenario in PLAN.scenarios)


def run_dbt_vars(wildcards):
    """All dbt vars of one run, as sorted JSON."""
    return json.dumps(scenario_dbt_vars(wildcards.scenario, wildcards.seed), sort_keys=True)


# scenario -> the scenario whose workforce it reads, per seed (itself when it builds its own):
# scenarios that differ only in plan keys share one workforce (simconfig/workforce.py)
WORKFORCE_SOURCES = workforce.workforce_sources({s: scenario_dbt_vars(s, 0) for s in PLAN.scenarios})


def workforce_source(wildcards):
    """The scenario whose workforce this run reads; empty when it builds its own."""
    source = WORKFORCE_SOURCES[wildcards.scenario]
    return "" if source == wildcards.scenario else source


def shared_workforce_files(wildcards):
    """The year's workforce files of the scenario this one shares its workforce with (none when it builds its own)."""
    source = workforce_source(wildcards)
    return [f"{RESULTS}/{source}/seed_{wildcards.seed}/years/{wildcards.year}/workforce/{name}"
            for name in workforce.SHARED_TABLES] if source else []


def scenario_config(wildcards):
    """The scenario's simulation config with every default filled in, as sorted JSON."""
    return json.dumps(PLAN.scenarios[wildcards.scenario].model.model_dump(mode="json"), sort_keys=True)


def unmodelled_keys(wildcards):
    """Keys of the peer's schema in the scenario's files that have no effect here."""
    return json.dumps(PLAN.scenarios[wildcards.scenario].unmodelled_keys())


def all_scenario_configs(wildcards):
    return json.dumps({s: loaded.model.model_dump(mode="json") for s, loaded in PLAN.scenarios.items()},
                      sort_keys=True)


def years_label(wildcards):
    return f"{PLAN.start_year}-{PLAN.end_year}"
