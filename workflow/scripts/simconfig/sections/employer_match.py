"""employer_match: the match formulas, the active one, and who receives the match."""
from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from simconfig.base import KeyError_, MatchRate, Percent, Section, key
from simconfig.sections.employer_eligibility import EmployerEligibility
from simconfig.sections.schedules import check_contiguous, whole
from simconfig.sections.vesting import NAMED_VESTING, steps

# Safe-harbor formulas: the match goes to every plan-eligible employee on what they defer, with no
# hours, last-day or tenure condition (IRC 401(k)(12), 401(k)(13)).
SAFE_HARBOR_TYPES = ("safe_harbor", "qaca")
# The least generous formula each type allows: (rate, from, to) tiers of deferrals as a share of pay.
SAFE_HARBOR_MINIMUM = {
    "safe_harbor": ((1.0, 0.0, 0.03), (0.5, 0.03, 0.05)),   # basic match, IRC 401(k)(12)(B)(i)
    "qaca": ((1.0, 0.0, 0.01), (0.5, 0.01, 0.06)),          # IRC 401(k)(13)(D)(i)(I)
}


class MatchTier(Section):
    employee_min: Percent = key(..., "Deferral rate where the tier starts (share of pay; > 1 is a whole-number "
                                "percent).")
    employee_max: Percent | None = key(..., "Deferral rate where the tier ends; null: open.")
    match_rate: MatchRate = key(..., "Match per dollar deferred inside the tier (150 = 1.50).")


class MatchFormula(Section):
    name: str | None = key(None, "Label of the formula in reports.")
    type: Literal["simple", "tiered", "stretch", "dollar_capped", "safe_harbor", "qaca"] = key(
        ..., "simple: match_rate on deferrals up to max_match_percentage of pay; tiered / stretch: tiers, "
        "capped at max_match_percentage of pay; dollar_capped: tiers, capped at max_match_amount dollars "
        "a year (and at max_match_percentage of pay when given); safe_harbor (basic or enhanced) and qaca: "
        "tiers at least as generous as the statutory formula, paid to every plan-eligible employee on "
        "their deferrals with no hours, last-day or tenure condition.")
    match_rate: MatchRate | None = key(None, "Match per dollar deferred (simple only).")
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
        if self.type in SAFE_HARBOR_TYPES:
            self._check_safe_harbor()
        return self

    def match_share(self, deferral: float) -> float:
        """The match as a share of pay for a deferral rate (a share of pay), before any dollar cap."""
        tiers = self.dbt_var()["tiers"]
        amount = sum(t["match_rate"] * max(0.0, min(deferral, 1.0 if t["employee_max"] is None else t["employee_max"])
                                           - t["employee_min"]) for t in tiers)
        cap = self.dbt_var()["cap"]
        return amount if cap is None else min(amount, cap)

    def _check_safe_harbor(self) -> None:
        """The formula gives at every deferral rate at least the statutory minimum, and its match rate
        does not rise with the deferral rate (IRC 401(k)(12)(B)(iii)(I))."""
        rates = [t.match_rate for t in self.tiers]
        if any(later > earlier + 1e-12 for earlier, later in zip(rates, rates[1:])):
            raise KeyError_("tiers", f"a {self.type} match rate must not rise with the deferral rate "
                            "(IRC 401(k)(12)(B)(iii)(I))")
        minimum = SAFE_HARBOR_MINIMUM[self.type]
        for step in range(1, 21):
            deferral = step / 200  # 0.5 % to 10 % of pay
            least = sum(rate * max(0.0, min(deferral, high) - low) for rate, low, high in minimum)
            if self.match_share(deferral) < least - 1e-9:
                name = "the basic safe-harbor match" if self.type == "safe_harbor" else "the QACA match"
                raise KeyError_("tiers", f"gives {self.match_share(deferral):.2%} of pay at a {deferral:.1%} deferral, "
                                f"less than {name} ({least:.2%}); a {self.type} formula must be at least as "
                                "generous at every deferral rate")

    def is_safe_harbor(self) -> bool:
        return self.type in SAFE_HARBOR_TYPES

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
    match_rate: MatchRate = key(..., "Match per dollar deferred.")
    max_deferral_pct: Percent = key(..., "Deferrals matched up to this share of pay.")


class PointsMatchTier(Section):
    min_points: float = key(..., "Points (age + completed years of service) where the tier starts.", ge=0, le=1000)
    max_points: float | None = key(..., "Where the tier ends; null: open.", ge=0, le=1000)
    match_rate: MatchRate = key(..., "Match per dollar deferred.")
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
    true_up: bool = key(True, "The match is computed on the year's pay and deferrals (an annual true-up); "
                        "false: per pay period on that period's pay and deferrals, so deferrals that stop at "
                        "402(g) stop the match.", var="match_true_up",
                        applies_when="a participant's deferral rate changes in the year or reaches a limit")
    pay_frequency: Literal[52, 26, 24, 12] = key(26, "Pay periods a year of the per-period match (the match "
                                                 "paid when true_up is false; the true-up amount reported "
                                                 "when it is true).", var="match_pay_frequency", perturb=12)
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

    def match_ceiling(self) -> float:
        """The deferral rate that earns the full match (where the match magnet and the match response
        aim): the smallest rate at which the match reaches its most."""
        if not self.enabled:
            return 0.0
        if self.employer_match_status == "graded_by_service":
            return max(t.max_deferral_pct for t in self.tenure_match_tiers)
        if self.employer_match_status == "points_based":
            return max(t.max_deferral_pct for t in self.points_match_tiers)
        formula = self.formula()
        most = formula.match_share(1.0)
        if most <= 0:
            return 0.0
        low, high = 0.0, 1.0
        for _ in range(60):  # the match share does not fall as the deferral rises
            middle = (low + high) / 2
            low, high = (low, middle) if formula.match_share(middle) >= most - 1e-12 else (middle, high)
        return round(high, 6)

    def match_per_dollar(self) -> float:
        """Match per dollar deferred at the ceiling (0.80 for 100 % of 3 % + 50 % of 2 %): the measure of
        generosity the enrollment response uses."""
        ceiling = self.match_ceiling()
        if ceiling <= 0:
            return 0.0
        if self.employer_match_status != "deferral_based":
            tiers = self.tenure_match_tiers or self.points_match_tiers
            return max(t.match_rate for t in tiers)
        return round(self.formula().match_share(ceiling) / ceiling, 6)

    def service_tiers(self) -> list[dict]:
        return [{"min_years": whole(t.min_years), "max_years": whole(t.max_years), "match_rate": t.match_rate,
                 "max_deferral_pct": t.max_deferral_pct} for t in self.tenure_match_tiers or []]

    def points_tiers(self) -> list[dict]:
        return [{"min_points": whole(t.min_points), "max_points": whole(t.max_points), "match_rate": t.match_rate,
                 "max_deferral_pct": t.max_deferral_pct} for t in self.points_match_tiers or []]
