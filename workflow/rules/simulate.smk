# The dbt project's files, fingerprinted once a run. The foundation and the years depend on this
# one file rather than on each of the project's ~110 files: Snakemake checks every input of every
# waiting job each time it schedules one, which cost an ensemble's scheduling process seconds. An
# edited project file reruns this job, and so the foundation and every year, as before.
rule dbt_project_fingerprint:
    input:
        dbt_project_files(),
    output:
        fingerprint=f"{RESULTS}/dbt_project.json",
    log:
        f"logs/{PLAN.run_dir.name}/dbt_project_fingerprint.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    run:
        jobs.dbt_project_fingerprint(input, output, params, log)


# No `benchmark:` directive: a local run's jobs run in the Snakemake process, so Snakemake's
# benchmark would measure that process and every dbt worker (other jobs' too), reading each one's
# memory map twice a second, which cost a 10-seed ensemble about 6 % of its time. The timings are
# in foundation.json and each year's summary.json; on SLURM, the accounting (sacct) has each job's.
#
# A scenario's foundation is built once and shared by its seeds: no foundation model draws a
# random number (workflow/scripts/foundation.py checks that dbt ran no SQL with the seed in it).
rule build_foundation:
    input:
        census=f"{RESULTS}/census/census.parquet",
        checked=f"{RESULTS}/census/census_checked.json",
        dbt=f"{RESULTS}/dbt_project.json",
    output:
        duckdb=f"{RESULTS}/{{scenario}}/.foundation/{DATABASE}",
        baseline_state=f"{RESULTS}/{{scenario}}/.foundation/baseline_state.parquet",
        report=f"{RESULTS}/{{scenario}}/.foundation/foundation.json",
    params:
        dbt_vars=foundation_dbt_vars,
        target_path=f"{RESULTS}/{{scenario}}/.foundation/dbt_target",
        dbt_threads=PLAN.settings.dbt_threads,
        # its program, once dbt has built it twice, replayed (workflow/scripts/foundation.py)
        programs_dir=PROGRAMS_DIR if PLAN.settings.dbt_replay else "",
        duckdb_memory_mb=PLAN.settings.duckdb_memory_mb,
    log:
        f"logs/{PLAN.run_dir.name}/{{scenario}}/build_foundation.log",
    threads: 1
    resources:
        dbt_slot=1,
        mem_mb=4000,
        runtime=30,
    run:
        jobs.build_foundation(input, output, params, log)


# A seed's chain starts from a copy of its scenario's foundation.
rule foundation:
    input:
        duckdb=f"{RESULTS}/{{scenario}}/.foundation/{DATABASE}",
        baseline_state=f"{RESULTS}/{{scenario}}/.foundation/baseline_state.parquet",
        report=f"{RESULTS}/{{scenario}}/.foundation/foundation.json",
    output:
        # the run's working database; readers open simulation.duckdb, published by run_summary
        duckdb=f"{RESULTS}/{{scenario}}/seed_{{seed}}/.work/{DATABASE}",
        baseline_state=f"{RESULTS}/{{scenario}}/seed_{{seed}}/baseline_state.parquet",
        report=f"{RESULTS}/{{scenario}}/seed_{{seed}}/foundation.json",
        unmodelled_keys=f"{RESULTS}/{{scenario}}/seed_{{seed}}/unmodelled_config_keys.txt",
    params:
        unmodelled_keys=unmodelled_keys,
    log:
        f"logs/{PLAN.run_dir.name}/{{scenario}}/seed_{{seed}}/foundation.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    run:
        jobs.foundation(input, output, params, log)


rule simulate_year:
    input:
        state=previous_year_state,
        previous_summary=previous_year_summary,
        shared_workforce=shared_workforce_files,
        foundation=f"{RESULTS}/{{scenario}}/seed_{{seed}}/foundation.json",
        dbt=f"{RESULTS}/dbt_project.json",
    output:
        state=f"{RESULTS}/{{scenario}}/seed_{{seed}}/years/{{year}}/state.parquet",
        events=f"{RESULTS}/{{scenario}}/seed_{{seed}}/years/{{year}}/events.parquet",
        snapshot=f"{RESULTS}/{{scenario}}/seed_{{seed}}/years/{{year}}/snapshot.parquet",
        summary=f"{RESULTS}/{{scenario}}/seed_{{seed}}/years/{{year}}/summary.json",
        # the year's workforce, read by the scenarios that share it (workflow/scripts/simconfig/workforce.py)
        workforce=multiext(f"{RESULTS}/{{scenario}}/seed_{{seed}}/years/{{year}}/workforce/",
                           *workforce.SHARED_TABLES),
    params:
        year="{year}",
        scenario="{scenario}",
        seed="{seed}",
        dbt_vars=run_dbt_vars,
        workforce_from=workforce_source,
        duckdb=f"{RESULTS}/{{scenario}}/seed_{{seed}}/.work/{DATABASE}",
        target_path=f"{RESULTS}/{{scenario}}/seed_{{seed}}/dbt_target",
        dbt_threads=PLAN.settings.dbt_threads,
        dbt_replay=PLAN.settings.dbt_replay,
        # the year builds' programs, shared by the runs of the results directory and their seeds
        # (workflow/scripts/year_replay.py)
        programs_dir=PROGRAMS_DIR,
        run_name=PLAN.run_dir.name,
        duckdb_memory_mb=PLAN.settings.duckdb_memory_mb,
    log:
        f"logs/{PLAN.run_dir.name}/{{scenario}}/seed_{{seed}}/year_{{year}}.log",
    threads: 1
    resources:
        dbt_slot=1,
        mem_mb=4000,
        runtime=30,
    run:
        jobs.simulate_year(input, output, params, log)
