rule run_summary:
    input:
        years=year_summaries,
        census=census_source,
        work_duckdb=f"{RESULTS}/{{scenario}}/seed_{{seed}}/.work/{DATABASE}",
    output:
        csv=report(
            f"{RESULTS}/{{scenario}}/seed_{{seed}}/summary.csv",
            caption="../report/summary_table.rst",
            category="Run summaries",
            labels={"scenario": "{scenario}", "seed": "{seed}", "file": "summary table"},
        ),
        parquet=f"{RESULTS}/{{scenario}}/seed_{{seed}}/summary.parquet",
        metadata=f"{RESULTS}/{{scenario}}/seed_{{seed}}/run_metadata.json",
        # published by copy and rename: a reader with the file open keeps a consistent view
        duckdb=f"{RESULTS}/{{scenario}}/seed_{{seed}}/{DATABASE}",
    params:
        dbt_vars=run_dbt_vars,
        simulation_config=scenario_config,
        scenario="{scenario}",
        seed="{seed}",
        years=PLAN.years,
        run_dir=run_dir,
        repo=str(REPO),
    log:
        f"logs/{PLAN.run_dir.name}/{{scenario}}/seed_{{seed}}/run_summary.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    run:
        jobs.run_summary(input, output, params, log)


rule seed_ensemble:
    input:
        summaries=ensemble_run_summaries,
    output:
        csv=report(
            f"{RESULTS}/{{scenario}}/ensemble/ensemble_summary.csv",
            caption="../report/ensemble_table.rst",
            category="Seed ensembles",
            labels={"scenario": "{scenario}", "file": "ensemble table"},
        ),
        parquet=f"{RESULTS}/{{scenario}}/ensemble/ensemble_summary.parquet",
        spread=f"{RESULTS}/{{scenario}}/ensemble/ensemble_spread.csv",
        png=report(
            f"{RESULTS}/{{scenario}}/ensemble/ensemble_bands.png",
            caption="../report/ensemble_bands.rst",
            category="Seed ensembles",
            labels={"scenario": "{scenario}", "file": "band chart"},
        ),
        svg=f"{RESULTS}/{{scenario}}/ensemble/ensemble_bands.svg",
    params:
        scenario="{scenario}",
        seeds=list(PLAN.seeds),
    log:
        f"logs/{PLAN.run_dir.name}/{{scenario}}/ensemble.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    run:
        jobs.seed_ensemble(input, output, params, log)
