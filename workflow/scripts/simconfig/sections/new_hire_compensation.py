"""new_hire_compensation: where hires are paid inside their level's band, and the hiring level mix."""
from __future__ import annotations

import math

from pydantic import model_validator

from simconfig.base import KeyError_, Rate, Section, key, level_map


class PercentileStrategy(Section):
    default_percentile: Rate = key(0.40, "Position of a hire's pay inside the level's band (0 = minimum, "
                                   "1 = maximum).", var="new_hire_default_percentile",
                                   applies_when="level_overrides leaves a level out",
                                   test_overlay={".level_overrides": {}})
    level_overrides: level_map(0, 1) = key(default_factory=dict, description="Position inside the band by "
                                           "job level; other levels use default_percentile.",
                                           var="new_hire_level_percentiles", perturb={1: 0.9, 2: 0.9, 3: 0.9})
    variance_enabled: bool = key(True, "Spread hires' positions around the target (false: every hire "
                                 "exactly at it).", var="new_hire_percentile_std_dev")
    variance_std_dev: Rate = key(0.05, "Standard deviation of the position around its target (uniform "
                                 "spread of that standard deviation).", var="new_hire_percentile_std_dev",
                                 applies_when="variance_enabled is true")


class MarketAdjustments(Section):
    enabled: bool = key(True, "Apply the market adjustments below (false: no adjustment).",
                        var="new_hire_market_base_adjustment",
                        test_overlay={"new_hire_compensation.market_adjustments.base_adjustment": 1.1})
    base_adjustment: float = key(1.0, "Multiplies every hire's pay.", var="new_hire_market_base_adjustment",
                                 ge=0.1, le=10, applies_when="enabled is true")
    level_adjustments: level_map(0.1, 10) = key(default_factory=dict, description="Multiplies hires' pay by "
                                                "job level (on top of base_adjustment).",
                                                var="new_hire_market_level_adjustments",
                                                applies_when="enabled is true", perturb={1: 1.2, 2: 1.2, 3: 1.2})


class NewHireCompensation(Section):
    percentile_strategy: PercentileStrategy = key(default_factory=PercentileStrategy,
                                                  description="Position of hires' pay inside the band.")
    market_adjustments: MarketAdjustments = key(default_factory=MarketAdjustments,
                                                description="Market multipliers on hires' pay.")
    level_mix: level_map(0, 1) = key(default_factory=dict, description="Share of hires by job level (sums "
                                     "to 1); empty: the current mix of the workforce.", var="new_hire_level_mix",
                                     perturb={1: 0.5, 2: 0.5})

    @model_validator(mode="after")
    def _mix_sums_to_one(self):
        if self.level_mix and not math.isclose(sum(self.level_mix.values()), 1.0, abs_tol=1e-6):
            raise KeyError_("level_mix", f"shares must sum to 1 (got {sum(self.level_mix.values()):g})")
        return self
