rule run_report:
    input:
        summary=f"{RESULTS}/{{scenario}}/seed_{{seed}}/summary.csv",
        metadata=f"{RESULTS}/{{scenario}}/seed_{{seed}}/run_metadata.json",
    output:
        html=report(
            f"{RESULTS}/{{scenario}}/seed_{{seed}}/report/report.html",
            caption="../report/run_report.rst",
            category="Run reports",
            labels={"scenario": "{scenario}", "seed": "{seed}", "file": "HTML report"},
        ),
        workbook=report(
            f"{RESULTS}/{{scenario}}/seed_{{seed}}/report/workbook.xlsx",
            caption="../report/workbook.rst",
            category="Run reports",
            labels={"scenario": "{scenario}", "seed": "{seed}", "file": "workbook"},
        ),
        charts=report(
            directory(f"{RESULTS}/{{scenario}}/seed_{{seed}}/report/charts"),
            patterns=["{name}.svg"],
            caption="../report/run_charts.rst",
            category="Charts",
            labels={"scenario": "{scenario}", "seed": "{seed}"},
        ),
    params:
        simulation_config=scenario_config,
    log:
        f"logs/{PLAN.run_dir.name}/{{scenario}}/seed_{{seed}}/run_report.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    run:
        jobs.run_report(input, output, params, log)


rule scenario_comparison:
    input:
        summaries=comparison_run_summaries,
    output:
        html=report(
            f"{COMPARISON}/seed_{{seed}}/comparison.html",
            caption="../report/comparison_report.rst",
            category="Scenario comparison",
            labels={"seed": "{seed}", "file": "comparison report"},
        ),
        tables=report(
            f"{COMPARISON}/seed_{{seed}}/comparison_tables.csv",
            caption="../report/comparison_tables.rst",
            category="Scenario comparison",
            labels={"seed": "{seed}", "file": "comparison tables"},
        ),
        charts=report(
            directory(f"{COMPARISON}/seed_{{seed}}/charts"),
            patterns=["{name}.svg"],
            caption="../report/comparison_chart.rst",
            category="Scenario comparison",
            labels={"seed": "{seed}"},
        ),
    params:
        baseline=PLAN.baseline,
        scenarios=list(PLAN.scenarios),
        configs=all_scenario_configs,
        seed="{seed}",
        years=years_label,
    log:
        f"logs/{PLAN.run_dir.name}/comparison/{Path(COMPARISON).name}/seed_{{seed}}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    run:
        jobs.scenario_comparison(input, output, params, log)
