"""A multi-year history of one employer under known assumptions, for tests and demos of
`make fit` and `make backtest`: this simulation is run from a generated census, and the
census plus each simulated year's Dec 31 snapshot are written in census format
(census_<year>.csv: the year's actives and the year's leavers with their termination date).

    python workflow/scripts/generate_history.py --out history/acme --size 2000 --first-year 2023 \\
        --snapshots 5 --set workforce.total_termination_rate=0.18 [--overlay assumptions.yaml]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import yaml

import sim_io
import sim_runner
from simconfig.loader import deep_merge

SCENARIO = "history"
# A snapshot in the census reader's columns: pay is the Dec 31 annual rate, the deferral rate
# that of participants (0 otherwise), leavers of the year inactive with their date.
SNAPSHOT_AS_CENSUS = """
select
    employee_id,
    employee_birth_date,
    employee_hire_date,
    case when employment_status = 'terminated' then termination_date end as employee_termination_date,
    round(current_compensation, 2) as employee_gross_compensation,
    employment_status = 'active' as active,
    level_id,
    case when is_enrolled then round(deferral_rate, 4) else 0.0 end as employee_deferral_rate,
    case when is_enrolled then enrollment_date end as employee_enrollment_date,
    scheduled_hours_per_week,
    auto_escalation_opt_out,
    eligibility_override
from read_parquet({path})
where employment_status <> 'deferred_vested'  -- the employees of the year, not former ones' accounts
order by employee_id
"""
# The first snapshot: the workforce the simulation starts from (the census's actives, with the
# job level the baseline gives those the census gives none).
BASELINE_AS_CENSUS = """
select
    employee_id,
    employee_birth_date,
    employee_hire_date,
    null::date as employee_termination_date,
    round(current_compensation, 2) as employee_gross_compensation,
    true as active,
    level_id,
    case when is_enrolled then round(deferral_rate, 4) else 0.0 end as employee_deferral_rate,
    case when is_enrolled then enrollment_date end as employee_enrollment_date,
    scheduled_hours_per_week,
    auto_escalation_opt_out,
    eligibility_override
from read_parquet({path})
where account_status = 'active'
order by employee_id
"""


def parse_setting(text: str) -> dict:
    """'workforce.total_termination_rate=0.18' -> {'workforce': {'total_termination_rate': 0.18}}."""
    if "=" not in text:
        raise ValueError(f"--set {text!r}: expected dotted.key=value")
    dotted, value = text.split("=", 1)
    node: dict = {}
    current = node
    parts = dotted.strip().split(".")
    for part in parts[:-1]:
        current = current.setdefault(part, {})
    current[parts[-1]] = yaml.safe_load(value)
    return node


def generate_history(out_dir: Path, *, size: int, first_year: int, snapshots: int, seed: int = 42,
                     assumptions: dict | None = None, cores: int = 2) -> list[Path]:
    """Write census_<first_year>.csv ... census_<first_year + snapshots - 1>.csv into out_dir and
    assumptions.yaml (the overlay they were generated under); returns the snapshot files in order."""
    if snapshots < 2:
        raise ValueError("a history needs at least 2 snapshots")
    out_dir.mkdir(parents=True, exist_ok=True)
    assumptions = assumptions or {}
    workdir = sim_runner.prepare_workdir(out_dir / ".work", {SCENARIO: assumptions})
    run = sim_runner.simulate(workdir, start=first_year + 1, end=first_year + snapshots - 1, scenarios=[SCENARIO],
                              seeds=[seed], size=size, run="history")
    (out_dir / "assumptions.yaml").write_text(
        "# The scenario overlay this history was generated under (seed "
        f"{seed}, {size} employees at the start)\n" + yaml.safe_dump(assumptions, sort_keys=False))
    files = [out_dir / f"census_{first_year}.csv"]
    with duckdb.connect() as con:
        baseline = run.seed_dir(SCENARIO, seed) / "baseline_state.parquet"
        con.execute(f"copy ({BASELINE_AS_CENSUS.format(path=sim_io.sql_literal(baseline))}) "
                    f"to {sim_io.sql_literal(files[0])} (header)")
        for year in range(first_year + 1, first_year + snapshots):
            path = out_dir / f"census_{year}.csv"
            query = SNAPSHOT_AS_CENSUS.format(path=sim_io.sql_literal(run.snapshot(SCENARIO, seed, year)))
            con.execute(f"copy ({query}) to {sim_io.sql_literal(path)} (header)")
            files.append(path)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="folder of the snapshot files")
    parser.add_argument("--size", type=int, default=2000, help="employees at the start")
    parser.add_argument("--first-year", type=int, default=2023,
                        help="year of the first snapshot (Dec 31); the model simulates years from 2024")
    parser.add_argument("--snapshots", type=int, default=5, help="number of year-end snapshots")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--overlay", type=Path, help="YAML overlay of the known assumptions")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="one assumption, e.g. workforce.total_termination_rate=0.18 (repeatable)")
    args = parser.parse_args(argv)
    try:
        assumptions = yaml.safe_load(args.overlay.read_text()) or {} if args.overlay else {}
        for setting in args.set:
            assumptions = deep_merge(assumptions, parse_setting(setting))
        files = generate_history(args.out, size=args.size, first_year=args.first_year, snapshots=args.snapshots,
                                 seed=args.seed, assumptions=assumptions)
    except (ValueError, OSError, sim_runner.SimulationFailed) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    print("history: " + " ".join(str(f) for f in files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
