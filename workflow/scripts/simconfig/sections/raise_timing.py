"""raise_timing: when in the year merit and COLA raises take effect."""
from __future__ import annotations

from typing import Literal

from simconfig.base import MonthDay, Section, key


class RaiseTiming(Section):
    methodology: Literal["fixed", "realistic"] = key(
        "fixed", "fixed: every raise on effective_date; realistic: month drawn from the dbt seed "
        "config_raise_timing_distribution, day uniform in the month.", var="raise_timing_methodology")
    effective_date: MonthDay = key("07-01", "MM-DD of every raise (methodology fixed).", var="raise_effective_date",
                                   applies_when="methodology is fixed", perturb="03-01")
