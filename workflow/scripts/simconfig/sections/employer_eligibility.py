"""The eligibility rules of employer money (employer_match.eligibility, employer_core_contribution.eligibility)."""
from __future__ import annotations

from simconfig.base import Section, key


class EmployerEligibility(Section):
    minimum_tenure_years: float = key(0, "Completed years of service needed (hires of the year may be allowed "
                                      "by allow_new_hires).", ge=0, le=100, perturb=2)
    require_active_at_year_end: bool = key(True, "The last-day rule: leavers receive it only with the "
                                           "allowance of their kind below (false: every leaver who meets the "
                                           "hours and tenure does).")
    minimum_hours_annual: float = key(1000, "Hours worked in the year needed.", ge=0, le=8784, perturb=1500)
    allow_new_hires: bool | None = key(None, "This year's hires qualify despite the tenure minimum; null: true "
                                       "when minimum_tenure_years is 0 (as the peer).",
                                       applies_when="minimum_tenure_years > 0",
                                       test_overlay={".minimum_tenure_years": 2}, perturb=False)
    allow_terminated_new_hires: bool = key(False, "This year's hires who leave in the year qualify.",
                                           applies_when="require_active_at_year_end is true")
    allow_experienced_terminations: bool = key(False, "Experienced employees who leave in the year qualify.",
                                               applies_when="require_active_at_year_end is true")

    def rules(self, apply: bool) -> dict:
        """The dbt var of these rules (match_eligibility / core_eligibility)."""
        tenure = self.minimum_tenure_years
        return {
            "apply": apply,
            "minimum_tenure_years": int(tenure) if float(tenure).is_integer() else tenure,
            "require_active_at_year_end": self.require_active_at_year_end,
            "minimum_hours_annual": (int(self.minimum_hours_annual) if float(self.minimum_hours_annual).is_integer()
                                     else self.minimum_hours_annual),
            "allow_new_hires": (tenure == 0) if self.allow_new_hires is None else self.allow_new_hires,
            "allow_terminated_new_hires": self.allow_terminated_new_hires,
            "allow_experienced_terminations": self.allow_experienced_terminations,
        }
