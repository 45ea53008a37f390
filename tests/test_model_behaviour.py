"""Model behaviour on larger runs, census handling through the workflow, config errors, lint."""
from __future__ import annotations

import json
import re
import subprocess

import pandas as pd
import pytest
import yaml

from conftest import BIN, REPO, new_workdir, simulate, snakemake
from runs import census_dir


@pytest.mark.slow
def test_short_tenure_leaves_more_than_long_tenure(tmp_path):
    """The hazard multipliers (<2 years 1.8 vs 10-19 years 0.4) drive who is sampled to leave."""
    run = simulate(new_workdir(tmp_path), size=10000, start=2025, end=2026)
    with run.db() as con:
        rates = dict(con.execute("""
            with exposed as (
                select s.employee_id, s.simulation_year, tb.band_label as tenure_band
                from fct_workforce_snapshot s
                join config_tenure_bands tb
                  on floor(datediff('day', s.employee_hire_date, make_date(s.simulation_year, 12, 31)) / 365.25)
                     >= tb.min_value
                 and floor(datediff('day', s.employee_hire_date, make_date(s.simulation_year, 12, 31)) / 365.25)
                     < tb.max_value
                where s.detailed_status_code in ('continuous_active', 'experienced_termination')
            )
            select tenure_band,
                   avg(case when e.employee_id is null then 0 else 1 end) as termination_rate
            from exposed
            left join fct_yearly_events e
              on e.employee_id = exposed.employee_id and e.simulation_year = exposed.simulation_year
             and e.event_category = 'experienced_termination'
            group by tenure_band
        """).fetchall())
    assert rates["< 2"] > rates["10-19"] * 2, rates


@pytest.mark.slow
def test_census_rejects_are_written_and_the_run_continues(tmp_path):
    workdir = new_workdir(tmp_path)
    rows = ["employee_id,employee_birth_date,employee_hire_date,employee_gross_compensation,employee_deferral_rate"]
    for i in range(1, 301):
        rows.append(f"E{i:04d},{1960 + i % 40}-03-15,{2000 + i % 24}-06-01,{50000 + 300 * i},6")
    rows.append("E0007,1980-01-01,2010-01-01,70000,0")          # duplicate id
    rows.append("E9001,not-a-date,2015-01-01,65000,0")           # unparseable birth date
    rows.append("E9002,1985-01-01,2012-01-01,-5000,0")           # negative salary
    census = workdir / "census.csv"
    census.write_text("\n".join(rows) + "\n")
    run = simulate(workdir, extra={"census": str(census)}, end=2025)
    rejects = pd.read_csv(census_dir(run.run_dir) / "census_rejects.csv")
    assert set(rejects.employee_id) == {"E0007", "E9001", "E9002"}
    reasons = dict(zip(rejects.employee_id, rejects.reason))
    assert "duplicate" in reasons["E0007"]
    assert "employee_birth_date" in reasons["E9001"]
    assert "employee_gross_compensation" in reasons["E9002"]
    assert "3 rejected" in run.result.stdout + run.result.stderr
    report = json.loads((census_dir(run.run_dir) / "census_report.json").read_text())
    assert report["rows_accepted"] == 300
    with run.db() as con:
        assert con.execute("select count(*) from int_baseline_workforce where account_status = 'active'").fetchall()[0][0] == 300


def test_census_without_hire_date_fails_naming_the_column(tmp_path):
    workdir = new_workdir(tmp_path)
    census = workdir / "census.csv"
    census.write_text("employee_id,employee_birth_date,employee_gross_compensation\nE1,1980-01-01,50000\n")
    result = simulate(workdir, extra={"census": str(census)}, end=2025, check=False).result
    assert result.returncode != 0
    assert "employee_hire_date" in result.stdout + result.stderr


def test_bad_config_value_is_an_error_naming_the_key(tmp_path):
    workdir = new_workdir(tmp_path)
    path = workdir / "config" / "simulation_config.yaml"
    config = yaml.safe_load(path.read_text())
    config["workforce"]["total_termination_rate"] = 1.7
    path.write_text(yaml.safe_dump(config))
    result = snakemake(workdir, "--dry-run", check=False)
    assert result.returncode != 0
    assert "workforce.total_termination_rate" in result.stdout + result.stderr


def test_bad_run_setting_is_an_error_naming_the_key(tmp_path):
    result = snakemake(new_workdir(tmp_path), "--dry-run", config={"census_size": -3}, check=False)
    assert result.returncode != 0
    assert "census_size" in result.stdout + result.stderr


def test_a_typo_in_a_key_stops_the_run_before_any_job(tmp_path):
    workdir = new_workdir(tmp_path)
    path = workdir / "config" / "simulation_config.yaml"
    config = yaml.safe_load(path.read_text())
    config["workforce"]["total_terminaton_rate"] = 0.20
    path.write_text(yaml.safe_dump(config))
    result = snakemake(workdir, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "unknown key 'workforce.total_terminaton_rate' (did you mean 'workforce.total_termination_rate'?)" in output
    assert "simulation_config.yaml" in output
    assert not (workdir / "results").exists(), "no job may run"


def test_the_shipped_config_runs_without_a_notice(tmp_path):
    result = snakemake(new_workdir(tmp_path), "--dry-run")
    assert "have no effect here" not in result.stdout + result.stderr


def test_peer_keys_without_effect_are_listed_once(tmp_path):
    workdir = new_workdir(tmp_path)
    path = workdir / "config" / "simulation_config.yaml"
    config = yaml.safe_load(path.read_text())
    config["setup"] = {"clear_tables": True}
    config["optimization"] = {"max_workers": 1}
    path.write_text(yaml.safe_dump(config))
    result = snakemake(workdir, "--dry-run", config={"scenarios": "[baseline,richer_match]"})
    output = result.stdout + result.stderr
    assert output.count("have no effect here") == 1
    assert re.search(r"(setup, optimization|optimization, setup): 2 settings of the peer's own engine", output)
    strict = snakemake(workdir, "--dry-run", config={"strict_config": "true"}, check=False)
    assert strict.returncode != 0 and "strict_config" in strict.stdout + strict.stderr


def test_snakemake_lint_is_clean():
    result = subprocess.run([str(BIN / "snakemake"), "--lint"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr
