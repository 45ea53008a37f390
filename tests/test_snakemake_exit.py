"""The scheduler's rate-limit timers are cancelled at exit, and only they."""
from __future__ import annotations

import threading

from snakemake.scheduling.job_scheduler import JobScheduler

import snakemake_exit


def test_snakemake_still_has_the_method_whose_timers_are_cancelled():
    assert hasattr(JobScheduler, snakemake_exit.SCHEDULER_METHOD), "Snakemake renamed it: update snakemake_exit"


def test_only_the_schedulers_timers_are_cancelled():
    class Scheduler:
        def _schedule_reevalutation(self, delay):
            timer = threading.Timer(delay, lambda: None)
            timer.start()
            return timer

    theirs = Scheduler()._schedule_reevalutation(60)
    ours = threading.Timer(60, lambda: None)
    ours.start()
    try:
        assert snakemake_exit.cancel_rate_limit_timers() == 1
        theirs.join(2)
        assert not theirs.is_alive() and ours.is_alive()
    finally:
        ours.cancel()
        theirs.cancel()
