"""forfeitures: how the plan uses forfeited unvested employer money."""
from __future__ import annotations

from typing import Literal

from simconfig.base import Section, key


class Forfeitures(Section):
    use: Literal["reduce_employer_contributions", "pay_plan_expenses"] = key(
        "reduce_employer_contributions", "reduce_employer_contributions: forfeitures fund employer "
        "contributions, so net employer cost is lower; pay_plan_expenses: they pay plan expenses and net "
        "employer cost is the contributions (Treas. Reg. 1.401-7, proposed 1.401-7 of 2023).",
        var="forfeiture_use")
    timing: Literal["same_year", "next_year"] = key(
        "same_year", "same_year: a year's forfeitures (and any left from before) offset that year's employer "
        "contributions; next_year: they offset the next year's (the proposed rule allows up to 12 months after "
        "the plan year). Unused amounts stay in the forfeiture account.", var="forfeiture_timing",
        applies_when="use is reduce_employer_contributions")
