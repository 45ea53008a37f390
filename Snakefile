# Multi-year workforce and DC-plan simulation: census -> foundation -> years -> summary.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/census.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/summary.smk"
include: "workflow/rules/report.smk"


# Cheap steps run on the submitting machine, not as cluster jobs.
localrules:
    all,
    record_run_inputs,
    dbt_project_fingerprint,
    generate_census,
    prepare_census,
    check_census,
    run_summary,
    seed_ensemble,
    run_report,
    scenario_comparison,


rule all:
    default_target: True
    input:
        run_targets(),


# A dbt worker starts while the first jobs (census checks) run (workflow/scripts/job_workers.py);
# not in a process that submits cluster jobs, which runs no dbt.
onstart:
    if workflow.local_exec:
        job_workers.warm_up(min(workflow.cores, len(PLAN.scenarios) * len(PLAN.seeds)),
                            import_dbt=not foundations_replay())


# The process exits when the workflow ends, not a second later (workflow/scripts/snakemake_exit.py),
# and stops its dbt worker processes (workflow/scripts/job_workers.py).
onsuccess:
    snakemake_exit.cancel_rate_limit_timers()
    job_workers.shutdown()


onerror:
    snakemake_exit.cancel_rate_limit_timers()
    job_workers.shutdown()
