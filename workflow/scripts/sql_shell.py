"""An SQL prompt on a run's database, read-only, with the project's own DuckDB (make sql).

The run's simulation.duckdb is a published copy: holding it open never blocks a run, and a
run that finishes meanwhile publishes a new file (reopen to see it). Statements end with `;`.
Piped input runs as a script: `echo "select count(*) from fct_yearly_events;" | make sql`.

    python workflow/scripts/sql_shell.py [--run NAME] [--scenario baseline] [--seed 42]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import pandas as pd

import runs

HELP = """Statements end with ';'.  .tables lists the tables and views, .quit leaves.
Year files are also readable directly, e.g. select * from read_parquet('{run}/years/*/events.parquet');"""


def execute(con: duckdb.DuckDBPyConnection, text: str) -> None:
    """Run each statement and print what it returns; an error is printed, not raised."""
    try:
        for statement in con.extract_statements(text):
            relation = con.execute(statement)
            if relation.description:
                print(relation.df().to_string(index=False, max_rows=60))
    except duckdb.Error as error:
        print(f"Error: {error}", file=sys.stderr)


TABLES = ("select table_schema as schema, table_name as name, table_type as type "
          "from information_schema.tables order by 1, 2;")


def interactive_lines():
    try:
        import readline  # noqa: F401  (line editing and history where the platform has it)
    except ImportError:
        pass
    while True:
        try:
            yield input("sql> ")
        except EOFError:
            print()
            return


def run_lines(con: duckdb.DuckDBPyConnection, lines, run_dir: Path) -> None:
    """Dot commands on a line of their own; SQL runs when a line ends with ';'."""
    pending = ""
    for line in lines:
        stripped = line.strip()
        if not pending and stripped in (".quit", ".exit", "\\q"):
            return
        if not pending and stripped == ".tables":
            execute(con, TABLES)
        elif not pending and stripped == ".help":
            print(HELP.format(run=run_dir))
        else:
            pending += line + "\n"
            if stripped.endswith(";"):
                execute(con, pending)
                pending = ""
    if pending.strip():
        execute(con, pending)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default="results")
    parser.add_argument("--run", help="run name (default: the latest run; make runs lists them)")
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    seed_dir = runs.pick_seed_dir(runs.pick_run(Path(args.results), args.run), args.scenario, args.seed)
    database = seed_dir / "simulation.duckdb"
    if not database.exists():
        raise SystemExit(f"{database} does not exist yet: it is published when the run's last year is done")
    pd.set_option("display.width", 200)
    con = duckdb.connect(str(database), read_only=True)
    try:
        if sys.stdin.isatty():
            print(f"{database} (read-only)\n" + HELP.format(run=seed_dir))
            run_lines(con, interactive_lines(), seed_dir)
        else:
            run_lines(con, iter(sys.stdin.read().splitlines()), seed_dir)
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
