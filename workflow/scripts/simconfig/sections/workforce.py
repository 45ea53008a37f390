"""workforce: turnover and the part-time share of hires."""
from __future__ import annotations

from simconfig.base import Rate, Section, key


class Retirement(Section):
    enabled: bool = key(True, "Employees of 55 and over retire with the yearly probability of their age (dbt "
                        "seed config_retirement_rates), counted inside the experienced terminations.",
                        var="retirement_enabled")
    maximum_age: int | None = key(70, "Everyone still employed retires in the year they reach this age (on "
                                  "the birthday); null: no such age.", var="retirement_maximum_age",
                                  ge=50, le=100, perturb=60)


class Workforce(Section):
    total_termination_rate: Rate = key(0.12, "Share of experienced employees (hired before this year) "
                                       "who leave each year.", var="total_termination_rate")
    new_hire_termination_rate: float = key(0.25, "Share of a year's hires who leave in the same year.",
                                           var="new_hire_termination_rate", ge=0, le=0.99)
    part_time_new_hire_pct: Rate = key(0.0, "Share of hires on a part-time schedule.",
                                       var="part_time_new_hire_pct")
    part_time_hours_per_week: float = key(20.0, "Weekly hours of a part-time hire.",
                                          var="part_time_hours_per_week", ge=1, le=40,
                                          applies_when="part_time_new_hire_pct > 0",
                                          test_overlay={"workforce.part_time_new_hire_pct": 0.3})
    retirement: Retirement = key(default_factory=Retirement, description="Retirement by age.")
