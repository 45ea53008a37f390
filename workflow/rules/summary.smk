rule run_summary:
    input:
        years=year_summaries,
        census=census_source,
    output:
        csv=report(
            f"{RESULTS}/{{scenario}}/seed_{{seed}}/summary.csv",
            caption="../report/summary_table.rst",
            category="Run summaries",
            labels={"scenario": "{scenario}", "seed": "{seed}", "file": "summary table"},
        ),
        parquet=f"{RESULTS}/{{scenario}}/seed_{{seed}}/summary.parquet",
        metadata=f"{RESULTS}/{{scenario}}/seed_{{seed}}/run_metadata.json",
    params:
        dbt_vars=run_dbt_vars,
    log:
        "logs/{scenario}/seed_{seed}/run_summary.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    run:
        summary_job(input, output, params, wildcards, log)


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
    log:
        "logs/{scenario}/ensemble.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    run:
        ensemble_job(input, output, wildcards, log)
