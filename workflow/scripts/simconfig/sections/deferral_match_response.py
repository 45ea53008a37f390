"""deferral_match_response (the peer's block): participants move their deferral rate toward the
rate that earns the full match."""
from __future__ import annotations

import math
from typing import Literal

from pydantic import model_validator

from simconfig.base import KeyError_, Rate, Section, key

RESPONSE_ON = {"test_overlay": {"deferral_match_response.enabled": True}}


class DeferralMatchResponse(Section):
    enabled: bool = key(False, "Enrolled participants respond to the match (a seeded draw each): those below "
                        "the match-maximising rate move up, those above it may move down.",
                        var="match_response")
    upward_participation_rate: Rate = key(0.40, "Share of participants below the match-maximising rate who "
                                          "respond.", var="match_response", **RESPONSE_ON)
    upward_maximize_rate: Rate = key(0.60, "Share of upward responders who move to the match-maximising rate "
                                     "(the others close part of the gap).", var="match_response", **RESPONSE_ON)
    upward_partial_increase_rate: Rate | None = key(None, "The peer's complement of upward_maximize_rate "
                                                    "(1 - it); when given it must equal that.", perturb=0.99)
    upward_partial_increase_factor: Rate = key(0.50, "Share of the gap a partial upward responder closes "
                                               "(rounded to 0.5 %).", var="match_response", **RESPONSE_ON)
    downward_enabled: bool = key(True, "Participants above the match-maximising rate may move down.",
                                 var="match_response", **RESPONSE_ON)
    downward_participation_rate: Rate = key(0.15, "Share of participants above the match-maximising rate who "
                                            "respond.", var="match_response", **RESPONSE_ON)
    downward_reduce_to_max_rate: Rate = key(0.70, "Share of downward responders who move to the "
                                            "match-maximising rate.", var="match_response", **RESPONSE_ON)
    downward_partial_decrease_rate: Rate | None = key(None, "The peer's complement of "
                                                      "downward_reduce_to_max_rate; when given it must equal 1 - it.",
                                                      perturb=0.99)
    downward_partial_decrease_factor: Rate = key(0.50, "Share of the gap a partial downward responder closes "
                                                 "(rounded to 0.5 %).", var="match_response", **RESPONSE_ON)
    effective_timing: Literal["first_year", "on_change"] = key(
        "first_year", "first_year: participants respond in the first simulated year (as the peer); on_change: "
        "only when the match-maximising rate differs from the one of the plan in the base config (a "
        "scenario's new design), in the first year.", var="match_response", **RESPONSE_ON)

    @model_validator(mode="after")
    def _complements(self):
        for given, share, name in ((self.upward_partial_increase_rate, self.upward_maximize_rate,
                                    "upward_partial_increase_rate"),
                                   (self.downward_partial_decrease_rate, self.downward_reduce_to_max_rate,
                                    "downward_partial_decrease_rate")):
            if given is not None and not math.isclose(given, 1 - share, abs_tol=1e-9):
                raise KeyError_(name, f"must be 1 minus its counterpart ({1 - share:g}, got {given:g})")
        return self

    def dbt_var(self) -> dict:
        return {"enabled": self.enabled, "upward_rate": self.upward_participation_rate,
                "upward_maximize": self.upward_maximize_rate, "upward_factor": self.upward_partial_increase_factor,
                "downward_enabled": self.downward_enabled, "downward_rate": self.downward_participation_rate,
                "downward_to_max": self.downward_reduce_to_max_rate,
                "downward_factor": self.downward_partial_decrease_factor, "timing": self.effective_timing}
