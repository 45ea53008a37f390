"""Remove Snakemake's directory lock when no Snakemake process is running here.

A run killed with SIGKILL leaves its lock behind; `make simulate` then continues
where it stopped instead of asking the user to run `snakemake --unlock`.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path


def snakemake_running_in(directory: Path) -> bool:
    """True if another snakemake process has its working directory here."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            cwd = Path(os.readlink(proc / "cwd"))
        except OSError:
            continue
        if any(part.endswith(b"snakemake") for part in cmdline[:2]) and cwd == directory:
            return True
    return False


def main() -> int:
    here = Path.cwd().resolve()
    locks = here / ".snakemake" / "locks"
    if locks.is_dir() and any(locks.iterdir()) and not snakemake_running_in(here):
        shutil.rmtree(locks)
        print("Removed a stale Snakemake lock left by an interrupted run.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
