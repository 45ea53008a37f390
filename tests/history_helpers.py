"""Generated histories of one employer under known assumptions, shared by test_fit.py and
test_backtest.py (each is generated once per test session: a real 4-year simulation)."""
from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import generate_history

# The generator's tenure shape differs from the shipped seed (whose "< 2" band is highest), so a fit
# that keeps this order has recovered it from the data, not from the defaults it is blended with.
TENURE_MULTIPLIERS = {"< 2": 1.0, "2-4": 1.6, "5-9": 0.8, "10-19": 0.5, "20+": 0.3}
FIRST_YEAR, SNAPSHOTS = 2023, 5


def assumptions(termination_rate: float) -> dict:
    return {"workforce": {"total_termination_rate": termination_rate},
            "seed_tables": {"termination_hazard_tenure_multipliers": [
                {"tenure_band": band, "multiplier": m} for band, m in TENURE_MULTIPLIERS.items()]}}


@functools.cache
def history(termination_rate: float, size: int) -> tuple[Path, ...]:
    out = Path(tempfile.mkdtemp(prefix=f"history_{termination_rate:g}_"))
    return tuple(generate_history.generate_history(out, size=size, first_year=FIRST_YEAR, snapshots=SNAPSHOTS,
                                                   seed=42, assumptions=assumptions(termination_rate)))
