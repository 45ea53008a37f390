"""compensation: COLA, merit budget and promotions."""
from __future__ import annotations

from typing import Literal

from simconfig.base import MonthDay, Rate, Section, key, level_map


class PromotionAdvanced(Section):
    normal_std_dev: Rate = key(0.02, "Standard deviation of the promotion raise (distribution_type normal).",
                               var="promotion_normal_std_dev", applies_when="distribution_type is normal",
                               test_overlay={"compensation.promotion_compensation.distribution_type": "normal"})


class PromotionCompensation(Section):
    base_increase_pct: Rate = key(0.20, "Centre of the promotion raise (share of the salary before it).",
                                  var="promotion_base_increase_pct")
    distribution_range: Rate = key(0.05, "Half-width of the uniform promotion raise around its centre.",
                                   var="promotion_distribution_range", applies_when="distribution_type is uniform")
    max_cap_pct: Rate = key(0.30, "Largest promotion raise, share of the salary before it.",
                            var="promotion_max_cap_pct", perturb=0.18)
    max_cap_amount: float = key(500000.0, "Largest promotion raise in dollars.", var="promotion_max_cap_amount",
                                ge=0, le=1e9, perturb=5000.0)
    distribution_type: Literal["uniform", "normal", "deterministic"] = key(
        "uniform", "Distribution of the promotion raise around its centre.", var="promotion_distribution_type")
    advanced: PromotionAdvanced = key(default_factory=PromotionAdvanced, description="Settings of the normal "
                                      "distribution.")
    level_overrides: level_map(0, 1) = key(default_factory=dict, description="Centre of the promotion raise "
                                           "by job level (before the promotion); other levels use "
                                           "base_increase_pct.", var="promotion_level_overrides",
                                           perturb={1: 0.10, 2: 0.10})


class Compensation(Section):
    cola_rate: float = key(0.02, "Cost-of-living increase added to every merit raise.", var="cola_rate",
                           ge=-0.1, le=0.5)
    merit_budget: float | None = key(None, "Per-level merit rates (dbt seed config_job_levels) are scaled so "
                                     "that the payroll-weighted average merit of those who get a raise equals "
                                     "this; null keeps the seed rates.", var="merit_budget", ge=0, le=0.5,
                                     perturb=0.05)
    pay_band_index: float | None = key(None, "Yearly movement of the job-level pay bands (and so of new-hire "
                                       "pay) from the second simulated year on; null: cola_rate.",
                                       var="pay_band_index", ge=-0.1, le=0.5, perturb=0.08)
    promotion_rate_multiplier: float = key(1.0, "Multiplies the promotion hazard (the probability is capped "
                                           "at 1).", var="promotion_rate_multiplier", ge=0, le=100)
    promotion_effective_date: MonthDay = key("02-01", "MM-DD of every promotion inside the year.",
                                             var="promotion_effective_date", perturb="09-01")
    promotion_compensation: PromotionCompensation = key(default_factory=PromotionCompensation,
                                                        description="The promotion raise.")
