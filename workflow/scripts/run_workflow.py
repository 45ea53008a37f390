"""`make simulate`: run Snakemake with its full output in a log file and a short account on
the terminal: the notices, one line per finished year and census, our one-line errors, and
where the results and the full log are. (`make simulate VERBOSE=1` runs Snakemake plainly.)

    python workflow/scripts/run_workflow.py [snakemake arguments]
"""
from __future__ import annotations

import datetime
import re
import subprocess
import sys
from pathlib import Path

SNAKEMAKE = Path(sys.executable).parent / "snakemake"
# Lines worth the terminal: our progress and notices (printed by the jobs and common.smk).
SHOWN = re.compile(r"^(\[.+\] year \d{4}:|census .+ rows accepted|note: |ERROR: )")
RESULTS = re.compile(r"results in (\S+)")


def account(lines: list[str], returncode: int, log: Path, argv: tuple[str, ...] = ()) -> list[str]:
    """The closing lines: where the results are, or the errors and where the full log is."""
    if returncode == 0:
        if any("Nothing to be done" in line for line in lines):
            return [f"Nothing to do: the results are up to date (full log: {log})"]
        if "--dry-run" in argv or "-n" in argv:
            return [f"Dry run: nothing was run (the jobs it would run are in the full log: {log})"]
        steps = next((m.group(1) for line in lines if (m := re.search(r"(\d+) of \d+ steps \(100%\) done", line))), "0")
        where = next((m.group(1) for line in lines if (m := RESULTS.search(line))), "results/")
        return [f"Done: {steps} steps; results in {where} (full log: {log})"]
    errors = []
    if not any(line.startswith("ERROR: ") for line in lines):  # not ours (shown already): Snakemake's first error
        first = next((line.strip() for line in lines if re.search(r"error|exception", line, re.I)), "the workflow failed")
        errors = [f"ERROR: {first}"]
    return [*errors, f"The run stopped; the full log is {log}"]


def main(argv: list[str]) -> int:
    log = Path("logs") / "workflow" / f"{datetime.datetime.now():%Y%m%d-%H%M%S}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    in_note = False  # a note's indented lines follow it
    with log.open("w") as handle, subprocess.Popen([str(SNAKEMAKE), *argv], stdout=subprocess.PIPE,
                                                    stderr=subprocess.STDOUT, text=True, bufsize=1) as process:
        for line in process.stdout:
            handle.write(line)
            line = line.rstrip("\n")
            lines.append(line)
            in_note = line.startswith("note: ") or (in_note and line.startswith("  "))
            if in_note or SHOWN.match(line):
                print(line, flush=True)
    for line in account(lines, process.returncode, log, tuple(argv)):
        print(line, flush=True)
    return process.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
