"""One employee's events and year-end states across all years of a run (make timeline)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import pandas as pd

import runs

EVENT_COLUMNS = ["simulation_year", "event_sequence", "effective_date", "event_type", "event_category",
                 "compensation_before", "compensation_after", "deferral_rate_before", "deferral_rate_after",
                 "level_id", "event_details"]
STATE_COLUMNS = ["simulation_year", "employment_status", "detailed_status_code", "level_id", "current_age",
                 "current_tenure", "current_compensation", "prorated_compensation", "is_plan_eligible",
                 "participation_status", "deferral_rate", "employee_deferrals", "match_amount", "core_amount",
                 "vested_balance", "forfeiture_amount"]


def employee_timeline(run_dir: Path, employee_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(events in order, year-end states) of one employee."""
    events_glob = str(run_dir / "years" / "*" / "events.parquet")
    snapshot_glob = str(run_dir / "years" / "*" / "snapshot.parquet")
    con = duckdb.connect()
    events = con.execute(
        f"select {', '.join(EVENT_COLUMNS)} from read_parquet(?) where employee_id = ? "
        "order by simulation_year, event_sequence", [events_glob, employee_id]).df()
    states = con.execute(
        f"select {', '.join(STATE_COLUMNS)} from read_parquet(?) where employee_id = ? order by simulation_year",
        [snapshot_glob, employee_id]).df()
    return events, states


def format_timeline(employee_id: str, events: pd.DataFrame, states: pd.DataFrame) -> str:
    lines = [f"Employee {employee_id}"]
    for year in sorted(set(events.simulation_year) | set(states.simulation_year)):
        lines.append(f"\n{year}")
        for row in events[events.simulation_year == year].itertuples():
            change = ""
            if pd.notna(row.compensation_before) and pd.notna(row.compensation_after):
                change = f"  pay {row.compensation_before:,.0f} -> {row.compensation_after:,.0f}"
            elif pd.notna(row.compensation_after):
                change = f"  pay {row.compensation_after:,.0f}"
            elif pd.notna(row.compensation_before):
                change = f"  last pay {row.compensation_before:,.0f}"
            lines.append(f"  {row.effective_date:%Y-%m-%d}  {row.event_type:<20} {row.event_details}{change}")
        for row in states[states.simulation_year == year].itertuples():
            lines.append(
                f"  Dec 31: {row.employment_status} ({row.detailed_status_code}), level {row.level_id}, "
                f"age {row.current_age}, tenure {row.current_tenure}, pay {row.current_compensation:,.0f} "
                f"(earned {row.prorated_compensation:,.0f}), {row.participation_status} at {row.deferral_rate:.1%}, "
                f"deferrals {row.employee_deferrals:,.0f}, match {row.match_amount:,.0f}, core {row.core_amount:,.0f}, "
                f"vested {row.vested_balance:,.0f}, forfeited {row.forfeiture_amount:,.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employee", required=True)
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--results", default="results")
    parser.add_argument("--run", help="run name (default: the latest run; make runs lists them)")
    parser.add_argument("--run-dir", help="a scenario/seed directory (overrides --run/--scenario/--seed)")
    args = parser.parse_args(argv)
    run_dir = (Path(args.run_dir) if args.run_dir else
               runs.pick_seed_dir(runs.pick_run(Path(args.results), args.run), args.scenario, args.seed))
    if not (run_dir / "years").is_dir():
        print(f"no simulated years in {run_dir}: run `make simulate` first", file=sys.stderr)
        return 2
    events, states = employee_timeline(run_dir, args.employee)
    if events.empty and states.empty:
        print(f"employee {args.employee} does not appear in {run_dir}", file=sys.stderr)
        return 1
    print(format_timeline(args.employee, events, states))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
