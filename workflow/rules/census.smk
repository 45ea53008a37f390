rule generate_census:
    output:
        census=f"{RESULTS}/census/synthetic_{{size}}_{{gseed}}.parquet",
    log:
        "logs/census/generate_{size}_{gseed}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    run:
        generate_census_job(output, wildcards, log)


rule prepare_census:
    input:
        census=census_source,
    output:
        census=f"{RESULTS}/{{scenario}}/seed_{{seed}}/census/census.parquet",
        rejects=f"{RESULTS}/{{scenario}}/seed_{{seed}}/census/census_rejects.csv",
        report=f"{RESULTS}/{{scenario}}/seed_{{seed}}/census/census_report.json",
    params:
        as_of=census_as_of,
        max_reject_share=config["census_max_reject_share"],
    log:
        "logs/{scenario}/seed_{seed}/prepare_census.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    run:
        prepare_census_job(input, output, log)
