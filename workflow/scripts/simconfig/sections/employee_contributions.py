"""employee_contributions: how deferrals split between pre-tax and Roth."""
from __future__ import annotations

from simconfig.base import Rate, Section, key


class EmployeeContributions(Section):
    roth_share: Rate = key(0.0, "Share of each participant's deferrals made as Roth.", var="roth_share",
                           perturb=0.5)
