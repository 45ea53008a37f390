rule generate_census:
    output:
        census=f"{RESULTS}/census/synthetic_{{size}}_{{gseed}}.parquet",
    params:
        size="{size}",
        seed="{gseed}",
        as_of=as_of_date,
    log:
        "logs/census/generate_{size}_{gseed}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    run:
        jobs.generate_census(input, output, params, log)


rule prepare_census:
    input:
        census=census_source,
    output:
        census=f"{RESULTS}/{{scenario}}/seed_{{seed}}/census/census.parquet",
        rejects=f"{RESULTS}/{{scenario}}/seed_{{seed}}/census/census_rejects.csv",
        report=f"{RESULTS}/{{scenario}}/seed_{{seed}}/census/census_report.json",
    params:
        as_of=as_of_date,
        max_reject_share=PLAN.settings.census_max_reject_share,
    log:
        "logs/{scenario}/seed_{seed}/prepare_census.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    run:
        jobs.prepare_census(input, output, params, log)
