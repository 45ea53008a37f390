"""enrollment: auto-enrollment and opt-outs, proactive, voluntary and year-over-year enrollment,
and the match magnet."""
from __future__ import annotations

import datetime
from typing import Literal

from pydantic import model_validator

from simconfig.base import IsoDate, KeyError_, Rate, Section, bands, key
from simconfig.segments import AGE_BANDS, DEFERRAL_SEGMENTS, INCOME_BANDS, LEVEL_BANDS, TENURE_BANDS

# The peer spells the `low` income band `low_income` in two of its maps.
LOW_INCOME_ALIAS = {"low_income": "low"}

OptOutByAge = bands("OptOutByAge", dict(zip(AGE_BANDS, (0.10, 0.07, 0.05, 0.03))), 0, 1,
                    "Probability of opting out of auto-enrollment, by age band")
OptOutByIncome = bands("OptOutByIncome", dict(zip(INCOME_BANDS, (1.2, 1.0, 0.7, 0.5))), 0, 10,
                       "Multiplier on the opt-out probability, by pay band", LOW_INCOME_ALIAS)
ProactiveByAge = bands("ProactiveByAge", dict(zip(AGE_BANDS, (0.25, 0.45, 0.65, 0.75))), 0, 1,
                       "Probability of enrolling inside the auto-enrollment window, by age band")
VoluntaryByAge = bands("VoluntaryByAge", dict(zip(AGE_BANDS, (0.30, 0.55, 0.70, 0.80))), 0, 1,
                       "Probability of voluntary enrollment when first eligible, by age band")
VoluntaryByIncome = bands("VoluntaryByIncome", dict(zip(INCOME_BANDS, (0.70, 1.00, 1.15, 1.25))), 0, 10,
                          "Multiplier on the voluntary-enrollment probability, by pay band", LOW_INCOME_ALIAS)
VoluntaryByLevel = bands("VoluntaryByLevel", dict(zip(LEVEL_BANDS, (0.90, 1.00, 1.10, 1.20))), 0, 10,
                         "Multiplier on the voluntary-enrollment probability, by job-level band")
VoluntaryDeferralRates = bands("VoluntaryDeferralRates", dict(zip(DEFERRAL_SEGMENTS, (
    0.03, 0.03, 0.04, 0.06,
    0.04, 0.06, 0.08, 0.10,
    0.05, 0.08, 0.10, 0.12,
    0.06, 0.10, 0.12, 0.15,
))), 0, 1, "Deferral rate chosen at voluntary enrollment, by age band and pay band")
YearOverYearByAge = bands("YearOverYearByAge", dict(zip(AGE_BANDS, (0.03, 0.05, 0.07, 0.08))), 0, 1,
                          "Yearly probability that an eligible non-participant enrolls, by age band")
YearOverYearByIncome = bands("YearOverYearByIncome", dict(zip(INCOME_BANDS, (0.8, 1.0, 1.2, 1.3))), 0, 10,
                             "Multiplier on the year-over-year probability, by pay band", LOW_INCOME_ALIAS)
YearOverYearByTenure = bands("YearOverYearByTenure", dict(zip(TENURE_BANDS, (0.7, 1.0, 1.1))), 0, 10,
                             "Multiplier on the year-over-year probability, by tenure band")
YearOverYearDeferralRates = bands("YearOverYearDeferralRates", dict(zip(AGE_BANDS, (0.03, 0.04, 0.05, 0.06))),
                                  0, 1, "Deferral rate of year-over-year enrollees, by age band")


class OptOutRates(Section):
    by_age: OptOutByAge = key(default_factory=OptOutByAge, description="Opt-out probability by age band.",
                              var="opt_out_rates_by_age")
    by_income: OptOutByIncome = key(default_factory=OptOutByIncome, description="Opt-out multiplier by pay "
                                    "band.", var="opt_out_income_multipliers")


class AutoEnrollment(Section):
    enabled: bool = key(True, "Enroll eligible employees in scope at the default rate when the window ends.",
                        var="auto_enrollment_enabled")
    scope: Literal["new_hires_only", "all_eligible_employees"] = key(
        "new_hires_only", "new_hires_only: employees hired on/after hire_date_cutoff (null: the simulation "
        "start); all_eligible_employees: also census non-participants.", var="auto_enrollment_scope")
    window_days: int = key(45, "Days after eligibility before the default election takes effect.",
                           var="auto_enrollment_window_days", ge=0, le=3650, perturb=200)
    default_deferral_rate: Rate = key(0.06, "Deferral rate of an auto-enrolled employee.",
                                      var="auto_enrollment_default_rate")
    hire_date_cutoff: IsoDate | None = key(None, "Only employees hired on/after this date are auto-enrolled; "
                                           "null: see scope.", var="auto_enrollment_hire_date_cutoff",
                                           perturb="2026-01-01")
    opt_out_grace_period: int = key(30, "Days after auto-enrollment in which an opt-out is still possible.",
                                    var="auto_enrollment_opt_out_grace_days", ge=0, le=3650, perturb=300)
    opt_out_rates: OptOutRates = key(default_factory=OptOutRates, description="Opt-out probabilities.")


class ProactiveTimingWindow(Section):
    min_days: int = key(7, "Earliest day after eligibility of a proactive enrollment.", var="proactive_min_days",
                        ge=0, le=3650, perturb=20)
    max_days: int = key(35, "Latest day after eligibility of a proactive enrollment.", var="proactive_max_days",
                        ge=0, le=3650, perturb=44)

    @model_validator(mode="after")
    def _ordered(self):
        if self.max_days < self.min_days:
            raise KeyError_("max_days", f"must not be below min_days ({self.min_days})")
        return self


class ProactiveEnrollment(Section):
    enabled: bool = key(True, "Employees in auto-enrollment scope may enroll on their own inside the window, "
                        "before the default applies.", var="proactive_enrollment_enabled")
    timing_window: ProactiveTimingWindow = key(default_factory=ProactiveTimingWindow,
                                               description="Days after eligibility of a proactive enrollment.")
    probability_by_demographics: ProactiveByAge = key(default_factory=ProactiveByAge,
                                                      description="Probability of a proactive enrollment.",
                                                      var="proactive_probability_by_age")


class VoluntaryDeferralChoice(Section):
    match_optimization: bool | None = key(None, "The peer's switch of the match magnet; "
                                          "enrollment.match_magnet.enabled wins when both are given.",
                                          var="match_magnet_enabled",
                                          applies_when="enrollment.match_magnet.enabled is not given",
                                          test_overlay={"enrollment.match_magnet.enabled": None}, perturb=False)
    demographic_base_rates: VoluntaryDeferralRates = key(default_factory=VoluntaryDeferralRates,
                                                         description="Chosen deferral rate by age and pay band.",
                                                         var="voluntary_deferral_rates")


VOLUNTARY = {"applies_when": "employees become eligible outside auto-enrollment",
             "test_overlay": {"enrollment.auto_enrollment.enabled": False}}


class VoluntaryEnrollment(Section):
    enabled: bool = key(True, "Eligible employees outside auto-enrollment may enroll when first eligible.",
                        var="voluntary_enrollment_enabled", **VOLUNTARY)
    base_rates_by_age: VoluntaryByAge = key(default_factory=VoluntaryByAge, description="Enrollment "
                                            "probability by age band.", var="voluntary_base_rates_by_age",
                                            **VOLUNTARY)
    income_multipliers: VoluntaryByIncome = key(default_factory=VoluntaryByIncome, description="Multiplier by "
                                                "pay band.", var="voluntary_income_multipliers", **VOLUNTARY)
    job_level_multipliers: VoluntaryByLevel = key(default_factory=VoluntaryByLevel, description="Multiplier by "
                                                  "job-level band.", var="voluntary_level_multipliers", **VOLUNTARY)
    deferral_rates: VoluntaryDeferralChoice = key(default_factory=VoluntaryDeferralChoice,
                                                  description="The deferral rate voluntary enrollees choose.")


class MatchMagnet(Section):
    enabled: bool | None = key(None, "A share of voluntary enrollees below the match-maximising rate snap up "
                               "to it; null: voluntary_enrollment.deferral_rates.match_optimization, else true.",
                               var="match_magnet_enabled", perturb=False)
    snap_probability: Rate = key(0.45, "Share of below-ceiling enrollees who snap to the match-maximising rate.",
                                 var="match_magnet_snap_probability")
    max_deferral_rate: Rate = key(0.10, "Upper bound of voluntary deferral choices (snapped ones included).",
                                  var="voluntary_max_deferral_rate", perturb=0.05)


class MatchElasticity(Section):
    participation_per_match_rate: float = key(
        0.20, "Change in the probability of enrolling (and, negated, of opting out) per 1.00 of match per "
        "dollar deferred, against the plan of the base config: Engelhardt and Kumar (2007) find +3.75 to +6 "
        "points of participation for +25 cents (0.15-0.24; ../shared/reference/field-survey.md section 8).",
        var="match_participation_slope", ge=0, le=2,
        applies_when="the match differs from the base config's (a scenario's overlay)",
        test_overlay={"employer_match.active_formula": "simple_match"})


class YearOverYearTiming(Section):
    enrollment_month: int = key(6, "Month of year-over-year enrollments.", var="yoy_enrollment_date",
                                ge=1, le=12, perturb=10)
    enrollment_day: int = key(15, "Day of the month of year-over-year enrollments.", var="yoy_enrollment_date",
                              ge=1, le=31, perturb=1)

    @model_validator(mode="after")
    def _a_real_day(self):
        try:
            datetime.date(2000, self.enrollment_month, self.enrollment_day)
        except ValueError:
            raise KeyError_("enrollment_day", f"is not a day of month {self.enrollment_month}") from None
        return self

    def month_day(self) -> str:
        return f"{self.enrollment_month:02d}-{self.enrollment_day:02d}"


class YearOverYearConversion(Section):
    enabled: bool = key(True, "Eligible non-participants (opted-out employees included) may enroll in a later "
                        "year.", var="year_over_year_enabled")
    base_rates_by_age: YearOverYearByAge = key(default_factory=YearOverYearByAge, description="Yearly "
                                               "probability by age band.", var="yoy_base_rates_by_age")
    income_multipliers: YearOverYearByIncome = key(default_factory=YearOverYearByIncome, description="Multiplier "
                                                   "by pay band.", var="yoy_income_multipliers")
    tenure_multipliers: YearOverYearByTenure = key(default_factory=YearOverYearByTenure, description="Multiplier "
                                                   "by tenure band.", var="yoy_tenure_multipliers")
    timing: YearOverYearTiming = key(default_factory=YearOverYearTiming, description="Date of year-over-year "
                                     "enrollments.")
    deferral_rates: YearOverYearDeferralRates = key(default_factory=YearOverYearDeferralRates,
                                                    description="Deferral rate by age band.",
                                                    var="yoy_deferral_rates")


class Enrollment(Section):
    auto_enrollment: AutoEnrollment = key(default_factory=AutoEnrollment, description="Auto-enrollment.")
    proactive_enrollment: ProactiveEnrollment = key(default_factory=ProactiveEnrollment,
                                                    description="Enrollment inside the auto-enrollment window.")
    voluntary_enrollment: VoluntaryEnrollment = key(default_factory=VoluntaryEnrollment,
                                                    description="Enrollment of employees outside "
                                                    "auto-enrollment.")
    voluntary_enrollment_rate: float = key(1.0, "Multiplies every voluntary, proactive and year-over-year "
                                           "probability.", var="voluntary_enrollment_rate", ge=0, le=10,
                                           perturb=0.3)
    match_magnet: MatchMagnet = key(default_factory=MatchMagnet, description="Snapping to the match-maximising "
                                    "deferral rate.")
    match_response: MatchElasticity = key(default_factory=MatchElasticity, description="How enrollment and "
                                          "opt-out respond to the match.")
    year_over_year_conversion: YearOverYearConversion = key(
        default_factory=YearOverYearConversion, description="Later enrollment of non-participants.",
        # a small test census has few converters a year at the shipped rates
        test_overlay={".year_over_year_conversion.base_rates_by_age": dict.fromkeys(AGE_BANDS, 0.5)})

    def match_magnet_enabled(self) -> bool:
        """enrollment.match_magnet.enabled, else the peer's match_optimization, else true."""
        if self.match_magnet.enabled is not None:
            return self.match_magnet.enabled
        optimization = self.voluntary_enrollment.deferral_rates.match_optimization
        return True if optimization is None else optimization
