"""vesting: how employer money vests with completed years of service."""
from __future__ import annotations

import math
from typing import Literal

from pydantic import model_validator

from simconfig.base import KeyError_, Rate, Section, key

IMMEDIATE = [(0, 1.0)]
SIX_YEAR_GRADED = [(0, 0.0), (2, 0.2), (3, 0.4), (4, 0.6), (5, 0.8), (6, 1.0)]
# Named schedules a match formula may give in `vesting_schedule` (the peer's set).
NAMED_VESTING = {
    "immediate": IMMEDIATE,
    "cliff_2_year": [(0, 0.0), (2, 1.0)],
    "qaca_2_year": [(0, 0.0), (2, 1.0)],
    "cliff_3_year": [(0, 0.0), (3, 1.0)],
    "cliff_4_year": [(0, 0.0), (4, 1.0)],
    "graded_3_year": [(0, 0.0), (1, 0.3333), (2, 0.6667), (3, 1.0)],
    "graded_4_year": [(0, 0.0), (1, 0.25), (2, 0.50), (3, 0.75), (4, 1.0)],
    "graded_5_year": [(0, 0.0), (1, 0.20), (2, 0.40), (3, 0.60), (4, 0.80), (5, 1.0)],
}


def steps(pairs: list) -> list[dict]:
    """The dbt var of a schedule: [{years, vested_pct}] (vested share from `years` of service on)."""
    return [{"years": years, "vested_pct": float(pct)} for years, pct in pairs]


def years_to_full_vesting(schedule: list[dict]) -> float:
    """Years of service after which a schedule (the dbt var form) vests 100 %."""
    return min(step["years"] for step in schedule if step["vested_pct"] >= 1.0 - 1e-9)


class VestingStep(Section):
    years: int = key(..., "Completed years of service from which the share applies.", ge=0, le=100)
    vested_pct: Rate = key(..., "Vested share of the balance.")


class VestingRule(Section):
    type: Literal["immediate", "cliff", "graded"] = key("immediate", "immediate: fully vested at once; cliff: "
                                                        "fully vested after `years`; graded: `schedule`.")
    years: int = key(3, "Years of service of a cliff.", ge=0, le=100, applies_when="type is cliff",
                     test_overlay={".type": "cliff"}, perturb=1)
    schedule: list[VestingStep] | None = key(None, "Steps of a graded schedule, sorted by years, ending at 100%; "
                                             "null: 20% at 2 years, +20% a year, 100% at 6.",
                                             applies_when="type is graded")

    @model_validator(mode="after")
    def _schedule_is_sorted(self):
        previous = None
        for index, step in enumerate(self.schedule or []):
            if previous is not None:
                if step.years <= previous.years:
                    raise KeyError_(f"schedule[{index}].years", "steps must be sorted by years (previous step: "
                                    f"{previous.years}, got {step.years})")
                if step.vested_pct < previous.vested_pct:
                    raise KeyError_(f"schedule[{index}].vested_pct", "must not decrease (previous step: "
                                    f"{previous.vested_pct:g}, got {step.vested_pct:g})")
            previous = step
        if self.schedule is not None:
            if not self.schedule:
                raise KeyError_("schedule", "must list at least one step")
            if not math.isclose(self.schedule[-1].vested_pct, 1.0):
                raise KeyError_(f"schedule[{len(self.schedule) - 1}].vested_pct", "the last step must vest 100% "
                                f"(1.0, got {self.schedule[-1].vested_pct:g})")
        return self

    def dbt_steps(self) -> list[dict]:
        if self.type == "immediate":
            return steps(IMMEDIATE)
        if self.type == "cliff":
            return steps(IMMEDIATE if self.years == 0 else [(0, 0.0), (self.years, 1.0)])
        if self.schedule is None:
            return steps(SIX_YEAR_GRADED)
        pairs = [(step.years, step.vested_pct) for step in self.schedule]
        if pairs[0][0] != 0:
            pairs.insert(0, (0, 0.0))
        return steps(pairs)


class Vesting(Section):
    match: VestingRule = key(default_factory=VestingRule, description="Vesting of the match (a formula's "
                             "immediate_vesting or vesting_schedule overrides it).", var="vesting_match_schedule",
                             applies_when="the active formula sets neither immediate_vesting nor vesting_schedule")
    core: VestingRule = key(default_factory=VestingRule, description="Vesting of the core contribution.",
                            var="vesting_core_schedule")
