"""make timeline: one employee's events and year-end states across the years."""
from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_timeline_of_a_hired_promoted_then_terminated_employee(three_year_run):
    events = three_year_run.events()
    by_type = events.groupby("event_type").employee_id.apply(set)
    candidates = sorted(by_type["hire"] & by_type["promotion"] & by_type["termination"])
    assert candidates, "a 2,000-employee three-year run has someone hired, promoted and terminated"
    employee = candidates[0]
    result = subprocess.run(
        [sys.executable, str(REPO / "workflow" / "scripts" / "timeline.py"), "--employee", employee,
         "--run-dir", str(three_year_run.run_dir)], capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert lines[0] == f"Employee {employee}"
    event_lines = [line.split() for line in lines if line.startswith("  20")]
    kinds = [parts[1] for parts in event_lines]
    dates = [parts[0] for parts in event_lines]
    assert dates == sorted(dates), "events are listed in date order"
    assert kinds.index("hire") < kinds.index("promotion") < kinds.index("termination")
    # a leaver's account moves (forfeiture of unvested money, payout) may follow; nothing else
    after = kinds[kinds.index("termination") + 1:]
    assert set(after) <= {"forfeiture", "distribution"}, f"only account events after the termination: {after}"
    # every event of the employee is listed, and each year has its Dec 31 state
    assert len(event_lines) == int((events.employee_id == employee).sum())
    years_present = sorted(set(three_year_run.snapshots().query("employee_id == @employee").simulation_year))
    assert sum(1 for line in lines if line.strip().startswith("Dec 31:")) == len(years_present)


def test_timeline_of_an_unknown_employee_says_so(three_year_run):
    result = subprocess.run(
        [sys.executable, str(REPO / "workflow" / "scripts" / "timeline.py"), "--employee", "NOBODY",
         "--run-dir", str(three_year_run.run_dir)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "does not appear" in result.stderr
