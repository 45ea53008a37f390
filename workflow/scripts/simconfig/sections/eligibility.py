"""eligibility (the peer's general section) and plan_eligibility: who may join the plan, and when."""
from __future__ import annotations

from typing import Literal

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


class LongTermPartTime(Section):
    enabled: bool = key(True, "SECURE 2.0 section 125 (plan years from 2025): two consecutive plan years with "
                        "at least 500 hours give the right to defer to employees below minimum_annual_hours "
                        "(12-month periods before 2023 do not count).", var="ltpt_enabled",
                        applies_when="minimum_annual_hours is above the part-timers' hours",
                        test_overlay={"plan_eligibility.minimum_annual_hours": 1500})
    employer_money: bool = key(False, "Long-term part-time employees also receive employer money (the law does "
                               "not require it).", var="ltpt_employer_money",
                               applies_when="long-term part-time employees defer",
                               test_overlay={"plan_eligibility.minimum_annual_hours": 1500})


class PlanEligibility(Section):
    minimum_age: int = key(21, "Age (at the eligibility date) before an employee may join the plan.",
                           var="plan_eligibility_minimum_age", ge=0, le=100, perturb=30)
    waiting_period_days: int | None = key(None, "Days after hire before plan eligibility (0 = immediate); "
                                          "null: eligibility.waiting_period_days, else 0.",
                                          var="plan_eligibility_waiting_period_days", ge=0, le=3650, perturb=365)
    minimum_annual_hours: float = key(0, "Hours a year (weekly schedule x 52) needed to meet the service "
                                      "requirement (1,000 = a year of service); 0: none.",
                                      var="plan_eligibility_minimum_annual_hours", ge=0, le=2080, perturb=1500)
    entry_dates: Literal["immediate", "monthly", "quarterly", "semi_annual"] = key(
        "immediate", "When an employee who meets the requirements enters the plan: at once, or on the first day "
        "of the next month, quarter (Jan, Apr, Jul, Oct) or half-year (Jan, Jul); deferrals and employer "
        "money start at entry.", var="plan_entry_dates")
    long_term_part_time: LongTermPartTime = key(default_factory=LongTermPartTime,
                                                description="The long-term part-time rule.")
