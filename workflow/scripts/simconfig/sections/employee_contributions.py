"""employee_contributions: how deferrals split between pre-tax and Roth."""
from __future__ import annotations

from pydantic import model_validator

from simconfig.base import KeyError_, Rate, Section, key


class EmployeeContributions(Section):
    roth_available: bool = key(True, "The plan offers Roth deferrals. Without them, employees who must make "
                               "catch-up contributions as Roth (SECURE 2.0 section 603: prior-year FICA wages "
                               "above the threshold, from 2026) make none.", var="roth_available",
                               applies_when="employees of 50 or more with prior-year pay above the threshold "
                               "reach the 402(g) limit (2026 on)", test_overlay={"simulation.start_year": 2026})
    roth_share: Rate = key(0.0, "Share of each participant's regular deferrals made as Roth.", var="roth_share",
                           perturb=0.5)

    @model_validator(mode="after")
    def _roth_needs_the_option(self):
        if not self.roth_available and self.roth_share > 0:
            raise KeyError_("roth_share", "must be 0 when roth_available is false")
        return self
