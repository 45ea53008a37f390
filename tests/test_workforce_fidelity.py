"""Workforce model fidelity: part-time pay, indexed pay bands, the merit budget, service by
anniversary, retirement, and termination hazards that act by job level."""
from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import REPO

MERIT_BUDGET, COLA, BAND_INDEX, MAXIMUM_AGE = 0.020, 0.015, 0.035, 70  # config/simulation_config.yaml


def _hires(run) -> pd.DataFrame:
    events = run.events()
    return events[events.event_type == "hire"]


def test_part_time_hires_earn_hours_over_40_of_full_time(three_year_run):
    snapshots = three_year_run.snapshots()[["employee_id", "simulation_year", "scheduled_hours_per_week"]]
    hires = _hires(three_year_run).merge(snapshots, on=["employee_id", "simulation_year"])
    means = hires.groupby(["level_id", "scheduled_hours_per_week"]).compensation_after.mean().unstack()
    level_1 = means.loc[1]
    assert level_1[20.0] / level_1[40.0] == pytest.approx(0.5, rel=0.03), means
    # the full-time-equivalent rate of a part-timer is the band's rate
    part_time = hires[hires.scheduled_hours_per_week == 20.0]
    assert ((part_time.full_time_equivalent_after - 2 * part_time.compensation_after).abs() <= 0.011).all()


def test_new_hire_pay_follows_the_indexed_bands(three_year_run):
    hires = _hires(three_year_run)
    full_time = hires.merge(three_year_run.snapshots()[["employee_id", "simulation_year", "scheduled_hours_per_week"]],
                            on=["employee_id", "simulation_year"])
    level_1 = full_time[(full_time.level_id == 1) & (full_time.scheduled_hours_per_week == 40.0)]
    by_year = level_1.groupby("simulation_year").compensation_after.mean()
    first, last = three_year_run.years[0], three_year_run.years[-1]
    assert by_year[last] / by_year[first] == pytest.approx((1 + BAND_INDEX) ** (last - first), rel=0.02), by_year


def test_payroll_weighted_merit_equals_the_budget(three_year_run):
    raises = three_year_run.events().query("event_type == 'raise'")
    for year, rows in raises.groupby("simulation_year"):
        realised = (rows.compensation_after - rows.compensation_before).sum() / rows.compensation_before.sum()
        assert realised - COLA == pytest.approx(MERIT_BUDGET, abs=0.0005), year
    summary = pd.read_csv(three_year_run.run_dir / "summary.csv")
    assert (summary.realised_average_raise - summary.configured_average_raise).abs().max() < 0.0005


def test_service_is_counted_by_anniversary(three_year_run):
    snapshots = three_year_run.snapshots()
    ends = pd.to_datetime(snapshots.termination_date).fillna(pd.to_datetime(snapshots.simulation_year.astype(str) + "-12-31"))
    hired = pd.to_datetime(snapshots.employee_hire_date)
    before_anniversary = (ends.dt.month * 100 + ends.dt.day) < (hired.dt.month * 100 + hired.dt.day)
    expected = ends.dt.year - hired.dt.year - before_anniversary.astype(int)
    assert (snapshots.current_tenure == expected).all()


def test_nobody_works_past_the_maximum_age_and_retirements_are_their_own_category(three_year_run):
    snapshots = three_year_run.snapshots()
    assert (snapshots[snapshots.employment_status == "active"].current_age < MAXIMUM_AGE).all()
    events = three_year_run.events()
    retirements = events[events.event_category == "retirement"]
    assert len(retirements) > 0 and (retirements.employee_age >= 55).all()
    summary = pd.read_csv(three_year_run.run_dir / "summary.csv")
    counted = retirements.groupby("simulation_year").size()
    assert (summary.set_index("simulation_year").retirements == counted).all()
    assert (summary.total_terminations == summary.experienced_terminations + summary.retirements
            + summary.new_hire_terminations).all()


# ---- termination hazards by level: a copy of the dbt project with other hazard seeds -----------------

def _realised_rates_by_level(tmp_path: Path, level_discount: float) -> pd.DataFrame:
    """One year of 6,000 generated employees with neutral age and tenure multipliers."""
    import census
    import foundation
    import generate_census
    import sim_io
    import simconfig
    import simulate_year

    project = tmp_path / "dbt"
    shutil.copytree(REPO / "dbt", project, ignore=shutil.ignore_patterns("target", "logs"))
    seeds = project / "seeds"
    (seeds / "config_termination_hazard_base.csv").write_text(
        f"base_rate,level_discount_factor,min_level_multiplier\n0.10,{level_discount},0.05\n")
    for name in ("config_termination_hazard_age_multipliers", "config_termination_hazard_tenure_multipliers"):
        frame = pd.read_csv(seeds / f"{name}.csv")
        frame["multiplier"] = 1.0
        frame.to_csv(seeds / f"{name}.csv", index=False)
    as_of = datetime.date(2024, 12, 31)
    raw, clean = tmp_path / "raw.parquet", tmp_path / "census.parquet"
    generate_census.write_census(generate_census.generate_census(6000, 11, as_of), raw)
    census.prepare_census(raw, clean, tmp_path / "rejects.csv", as_of, 0.05)
    dbt_vars = simconfig.dbt_vars(simconfig.load(REPO / "config" / "simulation_config.yaml").model)
    dbt_vars["retirement_enabled"] = False
    db, log = tmp_path / "simulation.duckdb", sim_io.JobLog(None)
    foundation.run_foundation(census_path=clean, duckdb_path=db, baseline_state_path=tmp_path / "baseline.parquet",
                              report_path=tmp_path / "foundation.json", project_dir=project,
                              target_path=tmp_path / "target", dbt_vars=dbt_vars, log=log)
    out = tmp_path / "2025"
    simulate_year.run_year(year=2025, prev_state_path=tmp_path / "baseline.parquet", duckdb_path=db,
                           events_path=out / "events.parquet", snapshot_path=out / "snapshot.parquet",
                           state_path=out / "state.parquet", summary_path=out / "summary.json", project_dir=project,
                           target_path=tmp_path / "target", dbt_vars=dbt_vars, log=log)
    return duckdb.sql(f"""
        select start.level_id, count(*) as headcount,
               avg(case when events.employee_id is null then 0 else 1 end) as rate
        from read_parquet('{tmp_path / "baseline.parquet"}') as start
        left join (select employee_id from read_parquet('{out / "events.parquet"}')
                   where event_category = 'experienced_termination') as events using (employee_id)
        group by 1 order by 1""").df().set_index("level_id")


@pytest.mark.slow
def test_level_multipliers_drive_who_leaves(tmp_path):
    graded = _realised_rates_by_level(tmp_path / "graded", level_discount=0.2)  # levels 1.0, 0.8, 0.6, 0.4, 0.2
    assert list(graded.rate) == sorted(graded.rate, reverse=True), graded
    assert graded.rate.iloc[0] > 2 * graded.rate.iloc[-1]
    flat = _realised_rates_by_level(tmp_path / "flat", level_discount=0.0)
    overall = (flat.rate * flat.headcount).sum() / flat.headcount.sum()
    noise = (overall * (1 - overall) / flat.headcount) ** 0.5
    assert ((flat.rate - overall).abs() < 4 * noise).all(), flat
