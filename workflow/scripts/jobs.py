"""Job bodies of the workflow rules, one function per rule.

Each reads only what its rule declares (`input`, `output`, `params`, `log`), so a
changed value reruns exactly the jobs that depend on it. They run inside the
Snakemake process (`run:`); the ones that run dbt hand their work to a worker process
(job_workers.py), which keeps dbt's parsed manifest from one job to the next.
"""
from __future__ import annotations

import datetime
import functools
import json
from pathlib import Path

import sim_io

# The dbt project is part of the code (its files are inputs of the rules that run it).
DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt"
# A census this large is validated in a process of its own: at 1,000,000 rows pandas peaks at
# about 2 GB and leaves 0.8 GB with the process. Smaller ones skip the ~1 s process start.
OWN_PROCESS_CENSUS_ROWS = 100_000


def _log(log) -> sim_io.JobLog:
    return sim_io.JobLog(log[0])


def _our_error(error: Exception) -> bool:
    """Errors whose message already says what is wrong and where (file, row, column, key)."""
    import census
    import dbt_runner
    import simconfig

    return isinstance(error, (census.CensusError, simconfig.ConfigError, sim_io.DatabaseLockedError,
                              dbt_runner.DbtError))


def job(body):
    """A failed job says so in lines that start with `ERROR: ` (what `make simulate` shows),
    with the job's log file; the full detail stays in the log and Snakemake's log."""
    @functools.wraps(body)
    def run(input, output, params, log):
        try:
            return body(input, output, params, log)
        except Exception as error:
            lines = str(error).strip().splitlines() or [type(error).__name__]
            if not _our_error(error):  # a bug, not bad input: say which job and what kind of error
                lines[0] = f"{body.__name__} failed: {type(error).__name__}: {lines[0]}"
            where = log[0] if len(log) else None
            if where:
                with open(where, "a") as handle:
                    handle.writelines(f"ERROR: {line}\n" for line in lines)
            text = "\n".join(f"ERROR: {line}" for line in lines)
            print(text + (f"\nERROR: (job log: {where})" if where else ""), flush=True)
            raise
    return run


@job
def record_run_inputs(input, output, params, log) -> None:
    """What identifies the run's results: a run of other inputs goes to another directory."""
    import datetime as dt

    sim_io.write_json({"inputs": json.loads(params.inputs),
                       "created": dt.datetime.now().isoformat(timespec="seconds")}, Path(output.inputs))
    _log(log)(f"run inputs -> {output.inputs}")


@job
def dbt_project_fingerprint(input, output, params, log) -> None:
    """The SHA-256 of the dbt project's files (paths and contents) the run builds with."""
    import hashlib

    digest, files = hashlib.sha256(), sorted(Path(f) for f in input)
    for path in files:
        digest.update(f"{path.relative_to(DBT_PROJECT)}\0{path.stat().st_size}\0".encode())
        digest.update(path.read_bytes())
    sim_io.write_json({"sha256": digest.hexdigest(), "files": len(files)}, Path(output.fingerprint))
    _log(log)(f"dbt project: {len(files)} files, sha256 {digest.hexdigest()[:12]}")


@job
def generate_census(input, output, params, log) -> None:
    import generate_census as generator

    frame = generator.generate_census(int(params.size), int(params.seed),
                                      datetime.date.fromisoformat(params.as_of))
    generator.write_census(frame, Path(output.census))
    _log(log)(f"generated {len(frame)} census rows (seed {params.seed}) -> {output.census}")


@job
def prepare_census(input, output, params, log) -> None:
    import census
    import census_checks
    import job_workers
    from simconfig import run_size

    as_of = datetime.date.fromisoformat(params.as_of)
    column_map = json.loads(params.census_columns) or None
    outputs = [Path(output.census), Path(output.rejects), Path(output.report)]
    kept = (Path(params.checks_dir) / census_checks.key(Path(input.census), params.as_of, column_map)[:32]
            if params.checks_dir else None)
    if kept and census_checks.reuse(kept, outputs):
        report = census.CensusReport(**json.loads(Path(output.report).read_text()))
        how = f" (an earlier run's validation of the same file, kept in {kept})"
    else:
        arguments = dict(path=Path(input.census), clean_path=Path(output.census), rejects_path=Path(output.rejects),
                         as_of=as_of, column_map=column_map)
        if run_size.census_rows(Path(input.census)) >= OWN_PROCESS_CENSUS_ROWS:
            report = job_workers.run_in_own_process(census.validate_census, **arguments)
        else:
            report = census.validate_census(**arguments)
        sim_io.write_json(report.to_dict(), Path(output.report))
        if kept:
            census_checks.keep(kept, outputs)
        how = ""
    message = (f"census {input.census}: {report.rows_accepted} of {report.rows_read} rows accepted, "
               f"{report.rows_rejected} rejected (see {output.rejects}), "
               f"{report.rows_not_active_at_as_of} not active on {as_of}"
               + ("" if report.balance_columns else "; no account balances: every account starts at zero") + how)
    _log(log)(message)
    print(message, flush=True)


@job
def check_census(input, output, params, log) -> None:
    import census

    report = census.CensusReport(**json.loads(Path(input.report).read_text()))
    census.check_rejects(report, float(params.max_reject_share), input.rejects)
    sim_io.write_json({"rows_accepted": report.rows_accepted, "rows_rejected": report.rows_rejected,
                       "max_reject_share": float(params.max_reject_share)}, Path(output.checked))
    _log(log)(f"census checked: {report.rows_rejected} of {report.rows_read} rows rejected")


@job
def build_foundation(input, output, params, log) -> None:
    import foundation as step
    import job_workers

    job_workers.run(
        step.run_foundation,
        census_path=Path(input.census).resolve(),
        duckdb_path=Path(output.duckdb).resolve(),
        baseline_state_path=Path(output.baseline_state),
        report_path=Path(output.report),
        project_dir=DBT_PROJECT,
        target_path=Path(params.target_path).resolve(),
        dbt_vars=json.loads(params.dbt_vars),
        threads=int(params.dbt_threads),
        memory_mb=int(params.duckdb_memory_mb),
        programs_dir=Path(params.programs_dir).resolve() if params.programs_dir else None,
        log=_log(log),
    )


@job
def foundation(input, output, params, log) -> None:
    import foundation as step

    step.start_seed(foundation_db=Path(input.duckdb), baseline_state=Path(input.baseline_state),
                    report=Path(input.report), duckdb_path=Path(output.duckdb),
                    seed_baseline_state=Path(output.baseline_state), seed_report=Path(output.report), log=_log(log))
    Path(output.unmodelled_keys).write_text("".join(f"{key}\n" for key in json.loads(params.unmodelled_keys)))


@job
def simulate_year(input, output, params, log) -> None:
    import job_workers
    import simulate_year as step

    summary = job_workers.run(
        step.run_year,
        year=int(params.year),
        prev_state_path=Path(input.state).resolve(),
        prev_summary_path=Path(input.previous_summary[0]) if input.previous_summary else None,
        duckdb_path=Path(params.duckdb).resolve(),
        events_path=Path(output.events),
        snapshot_path=Path(output.snapshot),
        state_path=Path(output.state),
        summary_path=Path(output.summary),
        workforce_dir=Path(output.workforce[0]).parent,
        shared_workforce_dir=Path(input.shared_workforce[0]).resolve().parent if input.shared_workforce else None,
        workforce_from=params.workforce_from or None,
        project_dir=DBT_PROJECT,
        target_path=Path(params.target_path).resolve(),
        dbt_vars=json.loads(params.dbt_vars),
        threads=int(params.dbt_threads),
        replay=bool(params.dbt_replay),
        programs_dir=Path(params.programs_dir).resolve(),
        run=params.run_name,
        memory_mb=int(params.duckdb_memory_mb),
        log=_log(log),
    )
    shared = f", workforce of {params.workforce_from}" if params.workforce_from else ""
    print(
        f"[{params.scenario} seed {params.seed}] year {params.year}{shared}: "
        f"headcount {summary['end_headcount']:,}, hires {summary['hires']:,}, "
        f"terminations {summary['total_terminations']:,}, "
        f"participation {summary['participation_rate']:.1%}, {summary['timing']['seconds_total']:.1f} s",
        flush=True,
    )


@job
def run_summary(input, output, params, log) -> None:
    import run_metadata
    import run_summary as summary

    frame = summary.build_summary([Path(p) for p in input.years])
    summary.write_summary(frame, Path(output.csv), Path(output.parquet))
    metadata = run_metadata.build_metadata(
        run_dir=Path(params.run_dir),
        scenario=params.scenario,
        seed=int(params.seed),
        years=list(params.years),
        census_source=Path(input.census),
        simulation_config=json.loads(params.simulation_config),
        dbt_vars=json.loads(params.dbt_vars),
        repo=Path(params.repo),
    )
    sim_io.write_json(metadata, Path(output.metadata))
    sim_io.publish_database(Path(input.work_duckdb), Path(output.duckdb))
    _log(log)(f"summary of {len(frame)} years -> {output.csv}; database published -> {output.duckdb}")


@job
def seed_ensemble(input, output, params, log) -> None:
    import ensemble

    run_dirs = {int(seed): Path(summary).parent for seed, summary in zip(params.seeds, input.summaries)}
    outputs = ensemble.build_ensemble(run_dirs, Path(output.csv).parent, params.scenario)
    _log(log)(f"ensemble of {len(run_dirs)} seeds -> {outputs['csv']}")


@job
def run_report(input, output, params, log) -> None:
    import charts
    import html_report
    import workbook

    run = Path(input.summary).parent
    metadata = json.loads(Path(input.metadata).read_text())
    config = json.loads(params.simulation_config)  # the scenario's config, every default filled in
    chart_paths = charts.make_run_charts(run, Path(output.charts), config)
    workbook.write_workbook(run, metadata, config, Path(output.workbook))
    html_report.write_run_report(run, chart_paths, metadata, config, Path(output.html))
    _log(log)(f"report -> {output.html}")


@job
def scenario_comparison(input, output, params, log) -> None:
    import pandas as pd

    import charts
    import comparison

    scenarios = list(params.scenarios)
    summaries = {scenario: pd.read_csv(path) for scenario, path in zip(scenarios, input.summaries)}
    tables = comparison.compare_summaries(summaries, params.baseline)
    comparison.write_comparison_tables(tables, Path(output.html).parent)
    chart_paths = charts.make_comparison_charts(summaries, Path(output.charts))
    differences = comparison.config_differences(json.loads(params.configs), params.baseline)
    metadata = {"seed": params.seed, "baseline": params.baseline, "scenarios": ", ".join(scenarios),
                "years": params.years}
    comparison.write_comparison_report(summaries, params.baseline, differences, chart_paths, metadata,
                                       Path(output.html))
    _log(log)(f"comparison of {', '.join(scenarios)} against {params.baseline} -> {output.html}")
