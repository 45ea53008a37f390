"""eligibility (the peer's general section) and plan_eligibility: who may join the plan, and when."""
from __future__ import annotations

from simconfig.base import Rate, Section, key


class Eligibility(Section):
    new_hire_ineligible_pct: Rate = key(0.0, "Share of each year's hires excluded from the plan (chosen by "
                                        "a seeded draw; excluded for as long as they are employed).",
                                        var="new_hire_ineligible_pct", perturb=0.3)
    waiting_period_days: int | None = key(None, "Days after hire before plan eligibility; used only when "
                                          "plan_eligibility.waiting_period_days is not given.",
                                          var="plan_eligibility_waiting_period_days", ge=0, le=3650,
                                          applies_when="plan_eligibility.waiting_period_days is not given",
                                          test_overlay={"plan_eligibility.waiting_period_days": None}, perturb=365)


class PlanEligibility(Section):
    minimum_age: int = key(21, "Age (at the eligibility date) before an employee may join the plan.",
                           var="plan_eligibility_minimum_age", ge=0, le=100, perturb=30)
    waiting_period_days: int | None = key(None, "Days after hire before plan eligibility (0 = immediate); "
                                          "null: eligibility.waiting_period_days, else 0.",
                                          var="plan_eligibility_waiting_period_days", ge=0, le=3650, perturb=365)
