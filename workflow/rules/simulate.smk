rule foundation:
    input:
        census=f"{RESULTS}/{{scenario}}/seed_{{seed}}/census/census.parquet",
        dbt=dbt_project_files(),
    output:
        duckdb=f"{RESULTS}/{{scenario}}/seed_{{seed}}/simulation.duckdb",
        baseline_state=f"{RESULTS}/{{scenario}}/seed_{{seed}}/baseline_state.parquet",
        report=f"{RESULTS}/{{scenario}}/seed_{{seed}}/foundation.json",
        unused_keys=f"{RESULTS}/{{scenario}}/seed_{{seed}}/unused_config_keys.txt",
    params:
        dbt_vars=run_dbt_vars,
        target_path=f"{RESULTS}/{{scenario}}/seed_{{seed}}/dbt_target",
    log:
        "logs/{scenario}/seed_{seed}/foundation.log",
    benchmark:
        "benchmarks/{scenario}/seed_{seed}/foundation.tsv"
    threads: 1
    resources:
        dbt_slot=1,
        mem_mb=4000,
        runtime=30,
    run:
        foundation_job(input, output, params, wildcards, log)


rule simulate_year:
    input:
        state=previous_year_state,
        foundation=f"{RESULTS}/{{scenario}}/seed_{{seed}}/foundation.json",
        dbt=dbt_project_files(),
    output:
        state=f"{RESULTS}/{{scenario}}/seed_{{seed}}/years/{{year}}/state.parquet",
        events=f"{RESULTS}/{{scenario}}/seed_{{seed}}/years/{{year}}/events.parquet",
        snapshot=f"{RESULTS}/{{scenario}}/seed_{{seed}}/years/{{year}}/snapshot.parquet",
        summary=f"{RESULTS}/{{scenario}}/seed_{{seed}}/years/{{year}}/summary.json",
    params:
        dbt_vars=run_dbt_vars,
        duckdb=f"{RESULTS}/{{scenario}}/seed_{{seed}}/simulation.duckdb",
        target_path=f"{RESULTS}/{{scenario}}/seed_{{seed}}/dbt_target",
    log:
        "logs/{scenario}/seed_{seed}/year_{year}.log",
    benchmark:
        "benchmarks/{scenario}/seed_{seed}/year_{year}.tsv"
    threads: 1
    resources:
        dbt_slot=1,
        mem_mb=4000,
        runtime=30,
    run:
        year_job(input, output, params, wildcards, log)
