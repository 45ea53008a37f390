"""Worker processes for the jobs that run dbt (foundations and years).

dbt keeps process-wide state, so one process runs one dbt command at a time. Local
runs execute jobs in threads of the Snakemake process; handing each dbt job to a
long-lived worker process lets as many builds run at once as Snakemake runs jobs
(`--cores`, or fewer with `--resources dbt_slot=N`), up to the machine's cores, while
every worker keeps dbt's parsed manifest from one job to the next.
"""
from __future__ import annotations

import concurrent.futures
import importlib.machinery
import multiprocessing
import os
import sys
import threading
import time

_POOL: concurrent.futures.ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
_MAX_WORKERS: int | None = None  # set by warm_up; None: one per core


def _die_with_parent() -> None:
    """A worker must not outlive Snakemake: a build left running would hold the run's DuckDB
    file. (Not PR_SET_PDEATHSIG: that fires when the spawning *thread* ends, and Snakemake's
    job threads end before the workers have shut down.)"""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="watch-parent").start()


def _skip_main_in_children() -> None:
    """Spawn re-runs the parent's main script in each child unless __main__ has a module spec.
    Run as the `snakemake` script, that would import Snakemake and its executor plugins again
    in every worker: ~0.9 s, and ~10 s where SLURM is installed but its controller is down (the
    SLURM plugin asks `scontrol` when it loads). The workers run functions of importable modules
    only, so they need nothing from __main__: a spec named __main__ makes spawn leave it alone,
    as it does for `python -m` runs."""
    main = sys.modules["__main__"]
    if getattr(main, "__spec__", None) is None:
        main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)


def _new_pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    _skip_main_in_children()
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_die_with_parent)


def _pool() -> concurrent.futures.ProcessPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            # spawn, not fork: the Snakemake process has threads running. Workers start on
            # demand (when every worker is busy), up to the cap.
            _POOL = _new_pool(min(_MAX_WORKERS or os.cpu_count() or 1, os.cpu_count() or 1))
        return _POOL


def _load_dbt() -> None:
    import dbt_runner

    dbt_runner.import_dbt()


def _load_replay() -> None:
    import foundation  # noqa: F401  (and year_replay, DuckDB)
    import simulate_year  # noqa: F401


def warm_up(max_workers: int, import_dbt: bool = True) -> None:
    """Start a worker and import dbt in it (~2 s) while the census is prepared, before the
    first job that needs it. max_workers: how many dbt jobs can run at once (the run's year
    chains, at most Snakemake's cores). A single chain thus keeps one worker, and its
    foundation and years all reuse the manifest that worker parsed: a second worker would
    start, import dbt and parse again (about 3 s) only to take a year at random.
    import_dbt False: the run's foundations replay (foundation.py), so its jobs may need no dbt;
    a job that does imports it then."""
    global _MAX_WORKERS
    _MAX_WORKERS = max(1, max_workers)
    _pool().submit(_load_dbt if import_dbt else _load_replay)


def _run_job(function, kwargs: dict):
    import dbt_runner

    try:
        return function(**kwargs)
    finally:  # the next job of the run may go to another worker, or be read by Snakemake
        dbt_runner.release_database()


def run(function, /, **kwargs):
    """function(**kwargs) in a worker process (it must be importable by module and name);
    its result is returned and its exception raised here. The job leaves no database open."""
    return _pool().submit(_run_job, function, kwargs).result()


def run_in_own_process(function, /, **kwargs):
    """function(**kwargs) in a new process that exits when it returns, so the memory it leaves
    behind (pandas' many small objects, which Python keeps after they are freed) goes back to
    the system instead of staying with Snakemake for the rest of the run."""
    with _new_pool(1) as pool:
        return pool.submit(function, **kwargs).result()


def shutdown() -> None:
    """Stop the workers when the workflow ends (an exit with live workers leaves their
    semaphores to Python's resource tracker, which warns about them)."""
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
