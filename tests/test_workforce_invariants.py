"""Year-over-year invariants of a three-year run, checked on the exported Parquet files."""
from __future__ import annotations

import json

import duckdb
import pandas as pd
import yaml

from runs import census_dir


def _growth(run) -> float:
    config = yaml.safe_load((run.workdir / "config" / "simulation_config.yaml").read_text())
    return config["simulation"]["target_growth_rate"]


def _round_half_away(x: float) -> int:
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def test_year_end_actives_hit_the_growth_target_exactly(three_year_run):
    snapshots = three_year_run.snapshots()
    start = duckdb.sql(
        f"select count(*) from read_parquet('{three_year_run.run_dir / 'baseline_state.parquet'}') "
        "where account_status = 'active'").fetchall()[0][0]
    growth = _growth(three_year_run)
    for year in three_year_run.years:
        actives = int((snapshots.query("simulation_year == @year").employment_status == "active").sum())
        assert actives == _round_half_away(start * (1 + growth)), year
        start = actives  # next year's start is this year's end


def test_end_equals_start_plus_hires_minus_terminations(three_year_run):
    events = three_year_run.events()
    snapshots = three_year_run.snapshots()
    for year in three_year_run.years:
        summary = json.loads(three_year_run.year_file(year, "summary.json").read_text())
        year_events = events[events.simulation_year == year]
        hires = int((year_events.event_type == "hire").sum())
        terminations = int((year_events.event_type == "termination").sum())
        end = int(((snapshots.simulation_year == year) & (snapshots.employment_status == "active")).sum())
        assert end == summary["start_headcount"] + hires - terminations
        assert summary["hires"] == hires and summary["total_terminations"] == terminations
        assert summary["end_headcount"] == end
    # the summary table chains: each start is the previous end
    rows = [json.loads(three_year_run.year_file(y, "summary.json").read_text()) for y in three_year_run.years]
    for previous, current in zip(rows, rows[1:]):
        assert current["start_headcount"] == previous["end_headcount"]


def test_no_event_after_termination(three_year_run):
    events = three_year_run.events()
    events = events[~events.event_type.isin(["forfeiture", "distribution"])]  # the account's, not the job's
    termination = events[events.event_type == "termination"].groupby("employee_id").effective_date.min()
    joined = events.join(termination.rename("termination_date"), on="employee_id", how="inner")
    late = joined[(joined.effective_date > joined.termination_date)
                  | ((joined.effective_date == joined.termination_date) & (joined.event_type != "termination"))]
    assert late.empty, late.head()
    # and a terminated employee never comes back in a later year
    snapshots = three_year_run.snapshots()
    first_exit = snapshots[snapshots.employment_status == "terminated"].groupby("employee_id").simulation_year.min()
    later = snapshots.join(first_exit.rename("exit_year"), on="employee_id", how="inner")
    assert (later.simulation_year <= later.exit_year).all()


def test_event_ids_unique_and_one_snapshot_row_per_employee_year(three_year_run):
    events = three_year_run.events()
    assert events.event_id.is_unique
    assert len(events) > 1000
    snapshots = three_year_run.snapshots()
    assert not snapshots.duplicated(["employee_id", "simulation_year"]).any()


def test_every_snapshot_employee_comes_from_census_or_a_hire(three_year_run):
    census_ids = set(duckdb.sql(
        f"select employee_id from read_parquet('{census_dir(three_year_run.run_dir) / 'census.parquet'}')"
    ).df().employee_id)
    hired = set(three_year_run.events().query("event_type == 'hire'").employee_id)
    snapshot_ids = set(three_year_run.snapshots().employee_id)
    assert snapshot_ids <= census_ids | hired
    assert snapshot_ids & hired and snapshot_ids & census_ids


def test_every_row_carries_scenario_and_plan_design(three_year_run):
    for frame in (three_year_run.events(), three_year_run.snapshots()):
        assert set(frame.scenario_id) == {"baseline"}
        assert set(frame.plan_design_id) == {"default"}


def test_prorated_pay_compounds_promotion_then_raise(three_year_run):
    """An employee promoted and then raised earns periods at each rate, and the year-end
    rate is the raise applied to the promoted salary (the peer understates this)."""
    events = three_year_run.events()
    snapshots = three_year_run.snapshots()
    promoted = events[events.event_type == "promotion"][["employee_id", "simulation_year", "effective_date",
                                                          "compensation_before", "compensation_after"]]
    raised = events[events.event_type == "raise"][["employee_id", "simulation_year", "effective_date",
                                                   "compensation_before", "compensation_after"]]
    both = promoted.merge(raised, on=["employee_id", "simulation_year"], suffixes=("_p", "_r"))
    both = both[both.effective_date_p < both.effective_date_r]
    assert len(both) > 0
    row = both.iloc[0]
    assert row.compensation_before_r == row.compensation_after_p
    snap = snapshots[(snapshots.employee_id == row.employee_id)
                     & (snapshots.simulation_year == row.simulation_year)].iloc[0]
    assert snap.current_compensation == row.compensation_after_r
    year = int(row.simulation_year)
    days = pd.Timestamp(year, 12, 31).day_of_year
    d_p = (pd.Timestamp(row.effective_date_p) - pd.Timestamp(year, 1, 1)).days
    d_r = (pd.Timestamp(row.effective_date_r) - pd.Timestamp(row.effective_date_p)).days
    d_end = days - d_p - d_r
    expected = (row.compensation_before_p * d_p + row.compensation_after_p * d_r
                + row.compensation_after_r * d_end) / days
    assert abs(snap.prorated_compensation - expected) < 0.02


def test_dbt_quality_gates_ran_every_year(three_year_run):
    for year in three_year_run.years:
        summary = json.loads(three_year_run.year_file(year, "summary.json").read_text())
        gates = {g["name"]: g["status"] for g in summary["quality_gates"]}
        assert "assert_year_end_actives_hit_growth_target" in gates
        assert "assert_no_event_after_termination" in gates
        assert set(gates.values()) == {"pass"}


def test_summary_table_has_every_year(three_year_run):
    csv = pd.read_csv(three_year_run.run_dir / "summary.csv")
    parquet = duckdb.sql(f"select * from read_parquet('{three_year_run.run_dir / 'summary.parquet'}')").df()
    assert list(csv.simulation_year) == three_year_run.years
    assert list(parquet.simulation_year) == three_year_run.years
    for column in ("start_headcount", "end_headcount", "hires", "experienced_terminations",
                   "new_hire_terminations", "promotions", "growth_rate", "total_compensation",
                   "average_compensation"):
        assert column in csv.columns
    assert (csv.end_headcount == parquet.end_headcount).all()


def test_analysts_can_query_every_year_in_duckdb(three_year_run):
    with three_year_run.db() as con:
        years = [r[0] for r in con.execute(
            "select distinct simulation_year from fct_workforce_snapshot order by 1").fetchall()]
        assert years == three_year_run.years
        n_events = con.execute("select count(*) from fct_yearly_events").fetchall()[0][0]
    assert n_events == len(three_year_run.events())
