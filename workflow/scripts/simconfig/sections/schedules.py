"""Tier lists shared by the employer sections: contiguous [min, max) bands and their checks."""
from __future__ import annotations

import math

from simconfig.base import KeyError_


def check_contiguous(rows: list, low: str, high: str, open_end: bool = False) -> None:
    """Bands [low, high) contiguous from 0: each starts where the previous ends; only the last may be open."""
    if not rows:
        raise KeyError_("", "must list at least one tier")
    for index, row in enumerate(rows):
        start, end = getattr(row, low), getattr(row, high)
        if index == 0 and not math.isclose(start, 0.0, abs_tol=1e-9):
            raise KeyError_(f"[0].{low}", f"the first tier must start at 0 (got {start:g})")
        if index > 0:
            previous = getattr(rows[index - 1], high)
            if previous is None:
                raise KeyError_(f"[{index - 1}].{high}", "only the last tier may be open (null)")
            if not math.isclose(start, previous, abs_tol=1e-9):
                raise KeyError_(f"[{index}].{low}", "tiers must be contiguous: this tier must start where the "
                                f"previous one ends ({previous:g}, got {start:g})")
        if end is not None and not start < end:
            raise KeyError_(f"[{index}].{high}", f"must be greater than {low} ({start:g}, got {end:g})")
    if open_end and getattr(rows[-1], high) is not None:
        raise KeyError_(f"[{len(rows) - 1}].{high}", "the last tier must be open (null) so the tiers cover "
                        "[0, infinity)")


def whole(number: float | None) -> int | float | None:
    """1.0 -> 1 (SQL literals and the vars read as the config author wrote them)."""
    if number is None:
        return None
    return int(number) if float(number).is_integer() else float(number)
