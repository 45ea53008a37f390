"""employer_match: the match formulas, the active one, and who receives the match."""
from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from simconfig.base import KeyError_, Percent, Section, key
from simconfig.sections.employer_eligibility import EmployerEligibility
from simconfig.sections.schedules import check_contiguous, whole
from simconfig.sections.vesting import NAMED_VESTING, steps

# Types of the peer's schema whose rules (no hours, last-day or tenure condition) are not modelled yet.
SAFE_HARBOR_TYPES = ("safe_harbor", "qaca")


class MatchTier(Section):
    employee_min: Percent = key(..., "Deferral rate where the tier starts (share of pay; > 1 is a whole-number "
                                "percent).")
    employee_max: Percent | None = key(..., "Deferral rate where the tier ends; null: open.")
    match_rate: Percent = key(..., "Match per dollar deferred inside the tier.")


class MatchFormula(Section):
    name: str | None = key(None, "Label of the formula in reports.")
    type: Literal["simple", "tiered", "stretch", "dollar_capped", "safe_harbor", "qaca"] = key(
        ..., "simple: match_rate on deferrals up to max_match_percentage of pay; tiered / stretch: tiers, "
        "capped at max_match_percentage of pay; dollar_capped: tiers, capped at max_match_amount dollars "
        "a year (and at max_match_percentage of pay when given). safe_harbor and qaca are validated but "
        "cannot be the active formula yet.")
    match_rate: Percent | None = key(None, "Match per dollar deferred (simple only).")
    tiers: list[MatchTier] | None = key(None, "Tiers [employee_min, employee_max) contiguous from 0 (not for "
                                        "simple).")
    max_match_percentage: Percent | None = key(None, "simple: deferrals matched up to this share of pay; other "
                                               "types: cap on the match, share of pay; null: no cap.")
    max_match_amount: float | None = key(None, "Cap on the yearly match in dollars (dollar_capped only).",
                                         ge=0, le=1e7)
    immediate_vesting: bool = key(False, "The match vests at once (overrides vesting.match).")
    vesting_schedule: Literal[tuple(NAMED_VESTING)] | None = key(None, "A named schedule for the match "
                                                                 "(overrides vesting.match).")

    @model_validator(mode="after")
    def _shape(self):
        if self.type == "simple":
            if self.tiers is not None:
                raise KeyError_("tiers", "a simple formula takes match_rate and max_match_percentage, not tiers")
            if self.match_rate is None:
                raise KeyError_("match_rate", "is required for a simple formula")
        else:
            if self.match_rate is not None:
                raise KeyError_("match_rate", f"a {self.type} formula takes tiers, not a single match_rate")
            if not self.tiers:
                raise KeyError_("tiers", f"a {self.type} formula needs at least one tier")
            check_contiguous_at("tiers", self.tiers, "employee_min", "employee_max")
        if (self.type == "dollar_capped") != (self.max_match_amount is not None):
            raise KeyError_("max_match_amount", "is required for a dollar_capped formula and only for it")
        return self

    def dbt_var(self) -> dict:
        """The dbt var match_formula: type, tiers and cap (share of pay), read by the macro
        match_formula_amount."""
        if self.type == "simple":
            # r% of deferrals up to m% of pay: one tier [0, m) at r, so the match is capped at r x m
            tiers = [{"employee_min": 0.0, "employee_max": self.max_match_percentage, "match_rate": self.match_rate}]
            cap = None if self.max_match_percentage is None else round(self.match_rate * self.max_match_percentage, 10)
        else:
            tiers = [{"employee_min": t.employee_min, "employee_max": t.employee_max, "match_rate": t.match_rate}
                     for t in self.tiers]
            cap = self.max_match_percentage
        return {"type": self.type, "tiers": tiers, "cap": cap, "max_amount": self.max_match_amount}

    def vesting(self) -> list[dict] | None:
        if self.immediate_vesting:
            return steps(NAMED_VESTING["immediate"])
        if self.vesting_schedule is not None:
            return steps(NAMED_VESTING[self.vesting_schedule])
        return None


def check_contiguous_at(field: str, rows: list, low: str, high: str, open_end: bool = False) -> None:
    try:
        check_contiguous(rows, low, high, open_end)
    except KeyError_ as error:
        raise KeyError_(f"{field}{error.subpath}", str(error)) from None


class ServiceMatchTier(Section):
    min_years: float = key(..., "Completed years of service where the tier starts.", ge=0, le=1000)
    max_years: float | None = key(..., "Where the tier ends; null: open.", ge=0, le=1000)
    match_rate: Percent = key(..., "Match per dollar deferred.")
    max_deferral_pct: Percent = key(..., "Deferrals matched up to this share of pay.")


class PointsMatchTier(Section):
    min_points: float = key(..., "Points (age + completed years of service) where the tier starts.", ge=0, le=1000)
    max_points: float | None = key(..., "Where the tier ends; null: open.", ge=0, le=1000)
    match_rate: Percent = key(..., "Match per dollar deferred.")
    max_deferral_pct: Percent = key(..., "Deferrals matched up to this share of pay.")


DEFAULT_FORMULAS = {"tiered_match": MatchFormula(name="Tiered Match", type="tiered", tiers=[
    MatchTier(employee_min=0.0, employee_max=0.03, match_rate=1.0),
    MatchTier(employee_min=0.03, employee_max=0.05, match_rate=0.5)], max_match_percentage=0.04)}


class EmployerMatch(Section):
    enabled: bool = key(True, "Pay an employer match.", var="match_enabled")
    active_formula: str = key("tiered_match", "The formula of `formulas` in force.", var="match_formula",
                              perturb="simple_match")
    employer_match_status: Literal["deferral_based", "graded_by_service", "points_based"] = key(
        "deferral_based", "deferral_based: the active formula; graded_by_service: tenure_match_tiers; "
        "points_based: points_match_tiers.", var="match_status",
        test_overlay={".tenure_match_tiers": [{"min_years": 0, "max_years": None, "match_rate": 1.0,
                                               "max_deferral_pct": 0.04}]})
    apply_eligibility: bool = key(True, "Apply the eligibility rules below (false: active on Dec 31 with "
                                  "1,000 hours).", var="match_eligibility",
                                  applies_when="the rules below differ from active on Dec 31 with 1,000 hours",
                                  test_overlay={".eligibility.minimum_hours_annual": 500})
    eligibility: EmployerEligibility = key(default_factory=EmployerEligibility, description="Who receives the "
                                           "match (besides plan eligibility and deferrals).",
                                           var="match_eligibility")
    formulas: dict[str, MatchFormula] = key(default_factory=lambda: dict(DEFAULT_FORMULAS),
                                            description="Match formulas by id; only the active one is used.")
    tenure_match_tiers: list[ServiceMatchTier] | None = key(None, "Tiers by completed years of service "
                                                            "(employer_match_status graded_by_service).",
                                                            var="tenure_match_tiers")
    points_match_tiers: list[PointsMatchTier] | None = key(None, "Tiers by points = age + years of service "
                                                           "(employer_match_status points_based).",
                                                           var="points_match_tiers")

    @field_validator("employer_match_status", mode="before")
    @classmethod
    def _peer_statuses(cls, value):
        if value in ("tenure_based", "tenure_graded"):
            raise ValueError(f"'{value}' (the peer's per-tenure-band deferral schedules) is not modelled; "
                             "graded_by_service gives a match rate and deferral ceiling per service band "
                             "(tenure_match_tiers)")
        return value

    @model_validator(mode="after")
    def _active_formula(self):
        available = ", ".join(self.formulas) or "(none: employer_match.formulas is empty)"
        if self.active_formula not in self.formulas:
            raise KeyError_("active_formula", f"names no formula under employer_match.formulas "
                            f"(got {self.active_formula!r}); available: {available}")
        formula = self.formulas[self.active_formula]
        if self.employer_match_status == "deferral_based" and formula.type in SAFE_HARBOR_TYPES:
            raise KeyError_(f"formulas.{self.active_formula}.type",
                            f"a {formula.type} formula cannot be the active one yet: its safe-harbor rules "
                            "(every plan-eligible deferrer, no hours, last-day or tenure condition) are not "
                            "modelled; use a tiered formula with the same tiers and apply_eligibility false "
                            "for an approximation")
        if self.tenure_match_tiers is not None:
            check_contiguous_at("tenure_match_tiers", self.tenure_match_tiers, "min_years", "max_years")
        if self.points_match_tiers is not None:
            check_contiguous_at("points_match_tiers", self.points_match_tiers, "min_points", "max_points")
        if self.employer_match_status == "graded_by_service" and not self.tenure_match_tiers:
            raise KeyError_("tenure_match_tiers", "is required when employer_match_status is graded_by_service")
        if self.employer_match_status == "points_based" and not self.points_match_tiers:
            raise KeyError_("points_match_tiers", "is required when employer_match_status is points_based")
        return self

    def formula(self) -> MatchFormula:
        return self.formulas[self.active_formula]

    def service_tiers(self) -> list[dict]:
        return [{"min_years": whole(t.min_years), "max_years": whole(t.max_years), "match_rate": t.match_rate,
                 "max_deferral_pct": t.max_deferral_pct} for t in self.tenure_match_tiers or []]

    def points_tiers(self) -> list[dict]:
        return [{"min_points": whole(t.min_points), "max_points": whole(t.max_points), "match_rate": t.match_rate,
                 "max_deferral_pct": t.max_deferral_pct} for t in self.points_match_tiers or []]
