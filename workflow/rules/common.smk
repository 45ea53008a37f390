import json
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

REPO = Path(workflow.basedir)
sys.path.insert(0, str(REPO / "workflow" / "scripts"))

import sim_config  # noqa: E402
import sim_io  # noqa: E402

# `--config reports=false` arrives as text; accept true/false spelled either way
for _key in ("reports",):
    if isinstance(config.get(_key), str) and config[_key].lower() in ("true", "false"):
        config[_key] = config[_key].lower() == "true"

validate(config, "../schemas/config.schema.yaml")

DBT_PROJECT = REPO / "dbt"
RESULTS = config["results_dir"]


def _resolve_path(path):
    """Paths in the config are relative to the working directory, else to the repository."""
    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    return REPO / candidate


SIMULATION_CONFIG = _resolve_path(config["simulation_config"])
SCENARIOS = list(config["scenarios"])
BASELINE_SCENARIO = config["baseline_scenario"] or SCENARIOS[0]
if BASELINE_SCENARIO not in SCENARIOS:
    raise WorkflowError(f"baseline_scenario '{BASELINE_SCENARIO}' is not one of scenarios {SCENARIOS}")


def scenario_overlay_path(scenario):
    return _resolve_path(f"config/scenarios/{scenario}.yaml")


def _load_scenario(scenario):
    overlay_path = scenario_overlay_path(scenario)
    overlay = sim_config.load_yaml(overlay_path) if overlay_path.exists() else {}
    if scenario != "baseline" and not overlay_path.exists():
        raise WorkflowError(f"scenario '{scenario}': no overlay file {overlay_path}")
    try:
        return sim_config.load(SIMULATION_CONFIG, overlay)
    except sim_config.ConfigError as error:
        raise WorkflowError(f"scenario '{scenario}': {error}")


SIMS = {scenario: _load_scenario(scenario) for scenario in SCENARIOS}
BASE_SIM = SIMS[BASELINE_SCENARIO]

START_YEAR = config["start_year"] or BASE_SIM.get("simulation.start_year")
END_YEAR = config["end_year"] or BASE_SIM.get("simulation.end_year")
SEED = config["seed"] if config["seed"] is not None else BASE_SIM.get("simulation.random_seed")
if config["seeds"]:
    SEEDS = [int(seed) for seed in config["seeds"]]
elif config["seed_count"]:
    SEEDS = list(range(SEED, SEED + config["seed_count"]))
else:
    SEEDS = [SEED]
if END_YEAR < START_YEAR:
    raise WorkflowError(f"end_year ({END_YEAR}) must not be before start_year ({START_YEAR})")
YEARS = list(range(START_YEAR, END_YEAR + 1))

UNUSED_KEYS = {
    scenario: sim_config.unused_keys_warning(sim.raw, f"{config['simulation_config']} (scenario {scenario})")
    for scenario, sim in SIMS.items()
}
for _warning in sorted(set(w for w in UNUSED_KEYS.values() if w)):
    logger.warning(_warning)


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
    year_files = [
        f"{RESULTS}/{{scenario}}/seed_{{seed}}/years/{year}/{name}"
        for year in YEARS
        for name in ("state.parquet", "events.parquet", "snapshot.parquet", "summary.json")
    ]
    targets = expand(
        [f"{RESULTS}/{{scenario}}/seed_{{seed}}/summary.csv", *year_files],
        scenario=SCENARIOS,
        seed=SEEDS,
    )
    if config["reports"]:
        targets += expand(f"{RESULTS}/{{scenario}}/seed_{{seed}}/report/report.html", scenario=SCENARIOS, seed=SEEDS)
        if len(SCENARIOS) > 1:
            targets += expand(f"{RESULTS}/comparison/seed_{{seed}}/comparison.html", seed=SEEDS)
    if len(SEEDS) > 1:
        targets += expand(f"{RESULTS}/{{scenario}}/ensemble/ensemble_summary.csv", scenario=SCENARIOS)
    return targets


def census_source(wildcards):
    """The user's census file, or the synthetic census of census_size rows."""
    if config["census"]:
        return str(_resolve_path(config["census"]))
    return f"{RESULTS}/census/synthetic_{config['census_size']}_{config['census_generator_seed']}.parquet"


def previous_year_state(wildcards):
    """The state year Y starts from: year Y-1's, or the census baseline for the first year."""
    year = int(wildcards.year)
    if year == START_YEAR:
        return f"{run_dir(wildcards)}/baseline_state.parquet"
    return f"{run_dir(wildcards)}/years/{year - 1}/state.parquet"


def year_summaries(wildcards):
    return [f"{run_dir(wildcards)}/years/{year}/summary.json" for year in YEARS]


def dbt_project_files():
    """Every file of the dbt project: editing a model reruns the years it affects."""
    patterns = ("*.sql", "*.yml", "*.csv")
    return sorted(
        str(p)
        for folder in ("models", "macros", "seeds", "tests")
        for pattern in patterns
        for p in (DBT_PROJECT / folder).rglob(pattern)
    ) + [str(DBT_PROJECT / "dbt_project.yml"), str(DBT_PROJECT / "profiles.yml")]


def run_dbt_vars(wildcards):
    """All dbt vars of one run, as sorted JSON (a change reruns the affected steps)."""
    dbt_vars = SIMS[wildcards.scenario].dbt_vars(
        scenario_id=wildcards.scenario,
        plan_design_id=config["plan_design_id"],
        random_seed=int(wildcards.seed),
        start_year=START_YEAR,
        end_year=END_YEAR,
    )
    return json.dumps(dbt_vars, sort_keys=True)


def as_of_date():
    import datetime

    return datetime.date(START_YEAR - 1, 12, 31)


def census_as_of(wildcards):
    """The census is as of Dec 31 before the first year; a new start year revalidates it."""
    return str(as_of_date())


# ---- job bodies (called from `run:`; the logic lives in workflow/scripts) ----


def generate_census_job(output, wildcards, log):
    import generate_census

    job_log = sim_io.JobLog(log[0])
    frame = generate_census.generate_census(int(wildcards.size), int(wildcards.gseed), as_of_date())
    generate_census.write_census(frame, Path(output.census))
    job_log(f"generated {len(frame)} census rows (seed {wildcards.gseed}) -> {output.census}")


def prepare_census_job(input, output, log):
    import census

    job_log = sim_io.JobLog(log[0])
    census_report = census.prepare_census(
        Path(input.census), Path(output.census), Path(output.rejects), as_of_date(),
        config["census_max_reject_share"])
    sim_io.write_json(census_report.to_dict(), Path(output.report))
    message = (f"census {input.census}: {census_report.rows_accepted} of {census_report.rows_read} rows accepted, "
               f"{census_report.rows_rejected} rejected (see {output.rejects}), "
               f"{census_report.rows_not_active_at_as_of} not active on {as_of_date()}")
    job_log(message)
    print(message, flush=True)


def foundation_job(input, output, params, wildcards, log):
    import foundation

    foundation.run_foundation(
        census_path=Path(input.census).resolve(),
        duckdb_path=Path(output.duckdb).resolve(),
        baseline_state_path=Path(output.baseline_state),
        report_path=Path(output.report),
        project_dir=DBT_PROJECT,
        target_path=Path(params.target_path).resolve(),
        dbt_vars=json.loads(params.dbt_vars),
        threads=config["dbt_threads"],
        log=sim_io.JobLog(log[0]),
    )
    warning = UNUSED_KEYS[wildcards.scenario]
    Path(output.unused_keys).write_text(f"{warning}\n" if warning else "")


def year_job(input, output, params, wildcards, log):
    import simulate_year

    summary = simulate_year.run_year(
        year=int(wildcards.year),
        prev_state_path=Path(input.state).resolve(),
        duckdb_path=Path(params.duckdb).resolve(),
        events_path=Path(output.events),
        snapshot_path=Path(output.snapshot),
        state_path=Path(output.state),
        summary_path=Path(output.summary),
        project_dir=DBT_PROJECT,
        target_path=Path(params.target_path).resolve(),
        dbt_vars=json.loads(params.dbt_vars),
        threads=config["dbt_threads"],
        log=sim_io.JobLog(log[0]),
    )
    print(
        f"[{wildcards.scenario} seed {wildcards.seed}] year {wildcards.year}: "
        f"headcount {summary['end_headcount']:,}, hires {summary['hires']:,}, "
        f"terminations {summary['total_terminations']:,}, "
        f"participation {summary['participation_rate']:.1%}, {summary['timing']['seconds_total']:.1f} s",
        flush=True,
    )


def summary_job(input, output, params, wildcards, log):
    import run_metadata
    import run_summary

    frame = run_summary.build_summary([Path(p) for p in input.years])
    run_summary.write_summary(frame, Path(output.csv), Path(output.parquet))
    metadata = run_metadata.build_metadata(
        run_dir=Path(run_dir(wildcards)),
        scenario=wildcards.scenario,
        seed=int(wildcards.seed),
        years=YEARS,
        census_source=Path(input.census),
        simulation_config=SIMS[wildcards.scenario].raw,
        dbt_vars=json.loads(params.dbt_vars),
        repo=REPO,
    )
    sim_io.write_json(metadata, Path(output.metadata))
    sim_io.JobLog(log[0])(f"summary of {len(frame)} years -> {output.csv}")


def ensemble_run_summaries(wildcards):
    return [f"{RESULTS}/{wildcards.scenario}/seed_{seed}/summary.csv" for seed in SEEDS]


def ensemble_job(input, output, wildcards, log):
    import ensemble

    run_dirs = {seed: Path(f"{RESULTS}/{wildcards.scenario}/seed_{seed}") for seed in SEEDS}
    outputs = ensemble.build_ensemble(run_dirs, Path(output.csv).parent, wildcards.scenario)
    sim_io.JobLog(log[0])(f"ensemble of {len(run_dirs)} seeds -> {outputs['csv']}")


COMPARISON_METRICS = ("end_headcount", "participation_rate", "net_employer_cost", "average_compensation")


def flat_assumptions(scenario, seed):
    """The values the model ran with, as {dotted.key: value} (dbt vars, flattened)."""
    values = SIMS[scenario].dbt_vars(scenario_id=scenario, random_seed=int(seed), start_year=START_YEAR,
                                     end_year=END_YEAR)
    return _flatten(values)


def _flatten(node, prefix=""):
    if isinstance(node, dict) and node:
        flat = {}
        for key, value in node.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: node}


def run_report_job(input, output, wildcards, log):
    import charts
    import html_report
    import workbook

    job_log = sim_io.JobLog(log[0])
    run = Path(run_dir(wildcards))
    metadata = json.loads(Path(input.metadata).read_text())
    chart_paths = charts.make_run_charts(run, Path(output.charts[0]).parent)
    workbook.write_workbook(run, metadata, Path(output.workbook))
    html_report.write_run_report(run, chart_paths, metadata, flat_assumptions(wildcards.scenario, wildcards.seed),
                                 Path(output.html))
    job_log(f"report -> {output.html}")


def comparison_run_summaries(wildcards):
    return [f"{RESULTS}/{scenario}/seed_{wildcards.seed}/summary.csv" for scenario in SCENARIOS]


def comparison_job(input, output, wildcards, log):
    import pandas as pd

    import charts
    import comparison

    summaries = {scenario: pd.read_csv(path) for scenario, path in zip(SCENARIOS, input.summaries)}
    tables = comparison.compare_summaries(summaries, BASELINE_SCENARIO)
    out_dir = Path(output.html).parent
    comparison.write_comparison_tables(tables, out_dir)
    chart_paths = charts.make_comparison_charts(summaries, Path(output.charts[0]).parent)
    differences = comparison.config_differences({s: SIMS[s].raw for s in SCENARIOS}, BASELINE_SCENARIO)
    metadata = {"seed": wildcards.seed, "baseline": BASELINE_SCENARIO, "scenarios": ", ".join(SCENARIOS),
                "years": f"{START_YEAR}-{END_YEAR}"}
    comparison.write_comparison_report(summaries, BASELINE_SCENARIO, differences, chart_paths, metadata,
                                       Path(output.html))
    sim_io.JobLog(log[0])(f"comparison of {', '.join(SCENARIOS)} -> {output.html}")


def exit_promptly():
    """Let the process exit as soon as the workflow ends (saves up to 1 s per run).

    Snakemake's scheduler starts a 1 s threading.Timer (a non-daemon thread) each time
    it selects jobs, to re-check its job rate limit; Python waits for the last one
    before exiting. Only those timers are cancelled: their callback is the scheduler's
    re-evaluation lambda."""
    import threading

    for thread in threading.enumerate():
        callback = getattr(thread, "function", None)
        if isinstance(thread, threading.Timer) and "_schedule_reevalutation" in getattr(callback, "__qualname__", ""):
            thread.cancel()
