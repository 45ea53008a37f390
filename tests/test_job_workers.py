"""Worker processes start without running the parent's main script again."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


def test_a_worker_does_not_run_the_parents_main_script(tmp_path: Path):
    # Run as a script (like the `snakemake` command), the parent's __main__ has no module spec,
    # and spawn would execute the script again in the child: here it would log a second start.
    starts = tmp_path / "starts.txt"
    script = tmp_path / "main_script.py"
    script.write_text(
        "import os, sys\n"
        f"sys.path.insert(0, {str(SCRIPTS)!r})\n"
        f"with open({str(starts)!r}, 'a') as log:\n"
        "    log.write(f'{os.getpid()}\\n')\n"
        "import job_workers\n"
        "if __name__ == '__main__':\n"
        "    print(job_workers.run_in_own_process(os.getpid))\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    worker_pid = int(result.stdout.split()[-1])
    started = starts.read_text().split()
    assert len(started) == 1 and int(started[0]) != worker_pid, started
