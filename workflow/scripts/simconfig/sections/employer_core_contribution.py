"""employer_core_contribution: the non-elective employer contribution."""
from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from simconfig.base import KeyError_, Rate, Section, key
from simconfig.sections.employer_eligibility import EmployerEligibility
from simconfig.sections.employer_match import check_contiguous_at
from simconfig.sections.schedules import whole


class GradedCoreTier(Section):
    service_years_min: float = key(..., "Completed years of service from which the rate applies.", ge=0, le=100)
    service_years_max: float | None = key(..., "End of the tier (documentation: the tier is chosen by "
                                          "service_years_min); null: open.", ge=0, le=100)
    contribution_rate: Rate = key(..., "Core contribution, share of plan pay.")


class AgeCoreTier(Section):
    min_age: float = key(..., "Age where the tier starts.", ge=0, le=1000)
    max_age: float | None = key(..., "Where it ends; null: open.", ge=0, le=1000)
    contribution_rate: Rate = key(..., "Core contribution, share of plan pay.")


class PointsCoreTier(Section):
    min_points: float = key(..., "Points (age + years of service) where the tier starts.", ge=0, le=1000)
    max_points: float | None = key(..., "Where it ends; null: open.", ge=0, le=1000)
    contribution_rate: Rate = key(..., "Core contribution, share of plan pay.")


class Integration(Section):
    enabled: bool = key(False, "Social-Security integration (permitted disparity) is not modelled: true is "
                        "rejected (the key is accepted for the peer's schema).")

    @model_validator(mode="after")
    def _not_modelled(self):
        if self.enabled:
            raise KeyError_("enabled", "Social-Security integration (permitted disparity) is not modelled; set it "
                            "to false or remove the integration section")
        return self


class EmployerCoreContribution(Section):
    enabled: bool = key(True, "Pay a core contribution.", var="core_enabled")
    status: Literal["none", "flat", "graded_by_service", "points_based", "age_banded"] = key(
        "flat", "none; flat: contribution_rate; graded_by_service: graded_schedule; age_banded: age_schedule; "
        "points_based: points_schedule.", var="core_status")
    contribution_rate: Rate = key(0.01, "Core contribution, share of plan pay (status flat).", var="core_rate",
                                  applies_when="status is flat")
    safe_harbor: bool = key(False, "A safe-harbor nonelective contribution (IRC 401(k)(12)(C)): at least 3 % of "
                            "pay (status flat) to every plan-eligible employee, with no hours, last-day or tenure "
                            "condition, fully vested (2-year cliff allowed with a QACA).", var="core_safe_harbor",
                            test_overlay={".contribution_rate": 0.03,
                                          ".eligibility.minimum_hours_annual": 1500,
                                          "vesting.core": {"type": "immediate"}})
    graded_schedule: list[GradedCoreTier] | None = key(None, "Rates by service (status graded_by_service), "
                                                       "sorted, the first from 0 years.",
                                                       var="core_graded_schedule")
    age_schedule: list[AgeCoreTier] | None = key(None, "Rates by age (status age_banded), [min_age, max_age) "
                                                 "covering 0 to null.", var="core_age_schedule")
    points_schedule: list[PointsCoreTier] | None = key(None, "Rates by points (status points_based), covering "
                                                       "0 to null.", var="core_points_schedule")
    integration: Integration = key(default_factory=Integration, description="Permitted disparity (not "
                                   "modelled).")
    apply_eligibility: bool = key(True, "Apply the eligibility rules below (false: active on Dec 31 with "
                                  "1,000 hours).", var="core_eligibility",
                                  applies_when="the rules below differ from active on Dec 31 with 1,000 hours",
                                  test_overlay={".eligibility.minimum_hours_annual": 500})
    eligibility: EmployerEligibility = key(default_factory=EmployerEligibility, description="Who receives the "
                                           "core contribution.", var="core_eligibility")

    @model_validator(mode="after")
    def _schedules(self):
        previous = None
        for index, tier in enumerate(self.graded_schedule or []):
            where = f"graded_schedule[{index}]"
            if index == 0 and tier.service_years_min != 0:
                raise KeyError_(f"{where}.service_years_min", "the first tier must start at 0 "
                                f"(got {tier.service_years_min:g})")
            if previous is not None and tier.service_years_min <= previous:
                raise KeyError_(f"{where}.service_years_min", "tiers must be sorted by service_years_min "
                                f"(previous tier starts at {previous:g}, got {tier.service_years_min:g})")
            if tier.service_years_max is not None and tier.service_years_max < tier.service_years_min:
                raise KeyError_(f"{where}.service_years_max", "must not be below service_years_min "
                                f"({tier.service_years_min:g})")
            if tier.service_years_max is None and index != len(self.graded_schedule) - 1:
                raise KeyError_(f"{where}.service_years_max", "only the last tier may be open (null)")
            previous = tier.service_years_min
        if self.age_schedule is not None:
            check_contiguous_at("age_schedule", self.age_schedule, "min_age", "max_age", open_end=True)
        if self.points_schedule is not None:
            check_contiguous_at("points_schedule", self.points_schedule, "min_points", "max_points", open_end=True)
        if self.safe_harbor and (self.status != "flat" or self.contribution_rate < 0.03 - 1e-12):
            raise KeyError_("safe_harbor", "a safe-harbor nonelective contribution is a flat rate of at least 3 % "
                            f"of pay (IRC 401(k)(12)(C)); got status {self.status}, rate {self.contribution_rate:g}")
        required = {"graded_by_service": "graded_schedule", "age_banded": "age_schedule",
                    "points_based": "points_schedule"}.get(self.status)
        if required and not getattr(self, required):
            raise KeyError_(required, f"is required when status is {self.status}")
        return self

    def dbt_graded(self) -> list[dict]:
        return [{"min_years": whole(t.service_years_min), "rate": t.contribution_rate}
                for t in self.graded_schedule or []]

    def dbt_age(self) -> list[dict]:
        return [{"min_age": whole(t.min_age), "max_age": whole(t.max_age), "rate": t.contribution_rate}
                for t in self.age_schedule or []]

    def dbt_points(self) -> list[dict]:
        return [{"min_points": whole(t.min_points), "max_points": whole(t.max_points), "rate": t.contribution_rate}
                for t in self.points_schedule or []]
