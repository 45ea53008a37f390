rule run_summary:
    input:
        years=year_summaries,
    output:
        csv=f"{RESULTS}/{{scenario}}/seed_{{seed}}/summary.csv",
        parquet=f"{RESULTS}/{{scenario}}/seed_{{seed}}/summary.parquet",
    log:
        "logs/{scenario}/seed_{seed}/run_summary.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    run:
        summary_job(input, output, log)
