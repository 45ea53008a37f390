"""simulation: the years, the seed and the growth target."""
from __future__ import annotations

from pydantic import model_validator

from simconfig.base import KeyError_, Section, key


class Simulation(Section):
    start_year: int = key(2025, "First simulated year; the census is as of Dec 31 of the year before "
                          "(config.yaml start_year overrides it).", var="start_year", ge=1900, le=2200)
    end_year: int = key(2029, "Last simulated year (config.yaml end_year overrides it).", var="end_year",
                        ge=1900, le=2200)
    random_seed: int = key(42, "Seed of every random decision (config.yaml seed or seeds override it).",
                           var="random_seed", ge=0, le=2**62)
    target_growth_rate: float = key(0.03, "Yearly growth of the active headcount: year-end actives = "
                                    "round(start x (1 + growth)), exactly.", var="target_growth_rate",
                                    ge=-0.99, le=1.0)

    @model_validator(mode="after")
    def _years_in_order(self):
        if self.end_year < self.start_year:
            raise KeyError_("end_year", f"must not be before start_year ({self.start_year})")
        return self
