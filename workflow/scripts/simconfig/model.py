"""The simulation config as one model: a section per top-level key (config/simulation_config.yaml)."""
from __future__ import annotations

from pydantic import model_validator

from simconfig.base import KeyError_, Section, key
from simconfig.sections.compensation import Compensation
from simconfig.sections.deferral_auto_escalation import DeferralAutoEscalation
from simconfig.sections.eligibility import Eligibility, PlanEligibility
from simconfig.sections.employee_contributions import EmployeeContributions
from simconfig.sections.employer_core_contribution import EmployerCoreContribution
from simconfig.sections.employer_match import EmployerMatch
from simconfig.sections.enrollment import Enrollment
from simconfig.sections.irs_limits import IrsLimits
from simconfig.sections.new_hire_compensation import NewHireCompensation
from simconfig.sections.raise_timing import RaiseTiming
from simconfig.sections.simulation import Simulation
from simconfig.sections.vesting import Vesting
from simconfig.sections.workforce import Workforce


class SimulationConfig(Section):
    """Workforce assumptions and plan design (the peer's key structure)."""

    simulation: Simulation = key(default_factory=Simulation, description="Years, seed and growth.")
    workforce: Workforce = key(default_factory=Workforce, description="Turnover and part-time hires.")
    compensation: Compensation = key(default_factory=Compensation, description="COLA, merit and promotions.")
    new_hire_compensation: NewHireCompensation = key(default_factory=NewHireCompensation,
                                                     description="Pay and level mix of hires.")
    raise_timing: RaiseTiming = key(default_factory=RaiseTiming, description="When raises take effect.")
    eligibility: Eligibility = key(default_factory=Eligibility, description="Hires excluded from the plan.")
    plan_eligibility: PlanEligibility = key(default_factory=PlanEligibility, description="Minimum age and "
                                            "waiting period of the plan.")
    enrollment: Enrollment = key(default_factory=Enrollment, description="Enrollment behaviour.")
    deferral_auto_escalation: DeferralAutoEscalation = key(default_factory=DeferralAutoEscalation,
                                                           description="Automatic deferral increases.")
    employee_contributions: EmployeeContributions = key(default_factory=EmployeeContributions,
                                                        description="Pre-tax and Roth deferrals.")
    employer_match: EmployerMatch = key(default_factory=EmployerMatch, description="The employer match.")
    employer_core_contribution: EmployerCoreContribution = key(default_factory=EmployerCoreContribution,
                                                               description="The core (non-elective) "
                                                               "contribution.")
    vesting: Vesting = key(default_factory=Vesting, description="Vesting of employer money.")
    irs_limits: IrsLimits = key(default_factory=IrsLimits, description="Projection of IRS limits.")

    @model_validator(mode="after")
    def _fallbacks_agree(self):
        """A key and the peer's fallback for it may both be given only with the same value."""
        pairs = (
            ("plan_eligibility.waiting_period_days", self.plan_eligibility.waiting_period_days,
             "eligibility.waiting_period_days", self.eligibility.waiting_period_days),
            ("enrollment.match_magnet.enabled", self.enrollment.match_magnet.enabled,
             "enrollment.voluntary_enrollment.deferral_rates.match_optimization",
             self.enrollment.voluntary_enrollment.deferral_rates.match_optimization),
        )
        for key_path, value, fallback_path, fallback in pairs:
            if value is not None and fallback is not None and value != fallback:
                raise KeyError_(fallback_path, f"disagrees with {key_path} ({fallback!r} vs {value!r}); "
                                f"give one of them")
        return self

    def waiting_period_days(self) -> int:
        """plan_eligibility.waiting_period_days, else the peer's eligibility.waiting_period_days, else 0."""
        for value in (self.plan_eligibility.waiting_period_days, self.eligibility.waiting_period_days):
            if value is not None:
                return value
        return 0
