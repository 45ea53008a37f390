rule generate_census:
    output:
        census=f"{RESULTS}/census/synthetic_{{size}}_{{gseed}}.parquet",
    params:
        size="{size}",
        seed="{gseed}",
        as_of=as_of_date,
    log:
        f"logs/{PLAN.run_dir.name}/census/generate_{{size}}_{{gseed}}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    run:
        jobs.generate_census(input, output, params, log)


rule record_run_inputs:
    output:
        inputs=f"{RESULTS}/run_inputs.json",
    params:
        inputs=run_inputs_json,
    log:
        f"logs/{PLAN.run_dir.name}/record_run_inputs.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    run:
        jobs.record_run_inputs(input, output, params, log)


# Validation writes the clean rows and the rejects, however many; a job of its own then
# applies the reject limit, so the rejects file survives when that job stops the run. Once a
# run: every scenario and seed of it starts from the same census. A later run of the same census
# file copies an earlier run's validation (workflow/scripts/census_checks.py).
rule prepare_census:
    input:
        census=census_source,
        run=f"{RESULTS}/run_inputs.json",
    output:
        census=f"{RESULTS}/census/census.parquet",
        rejects=f"{RESULTS}/census/census_rejects.csv",
        report=f"{RESULTS}/census/census_report.json",
    params:
        as_of=as_of_date,
        census_columns=json.dumps(PLAN.settings.census_columns or {}, sort_keys=True),
        checks_dir=CENSUS_CHECKS_DIR,
    log:
        f"logs/{PLAN.run_dir.name}/census/prepare_census.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    run:
        jobs.prepare_census(input, output, params, log)


rule check_census:
    input:
        report=f"{RESULTS}/census/census_report.json",
        rejects=f"{RESULTS}/census/census_rejects.csv",
    output:
        checked=f"{RESULTS}/census/census_checked.json",
    params:
        max_reject_share=PLAN.settings.census_max_reject_share,
    log:
        f"logs/{PLAN.run_dir.name}/census/check_census.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    run:
        jobs.check_census(input, output, params, log)
