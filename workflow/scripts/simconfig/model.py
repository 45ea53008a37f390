"""The simulation config as one model: a section per top-level key (config/simulation_config.yaml)."""
from __future__ import annotations

from pydantic import model_validator

from simconfig.base import KeyError_, Section, key
from simconfig.sections.compensation import Compensation
from simconfig.sections.compliance import Compliance
from simconfig.sections.deferral_auto_escalation import DeferralAutoEscalation
from simconfig.sections.deferral_match_response import DeferralMatchResponse
from simconfig.sections.distributions import Distributions
from simconfig.sections.eligibility import Eligibility, PlanEligibility
from simconfig.sections.employee_contributions import EmployeeContributions
from simconfig.sections.employer_core_contribution import EmployerCoreContribution
from simconfig.sections.employer_match import EmployerMatch
from simconfig.sections.enrollment import Enrollment
from simconfig.sections.forfeitures import Forfeitures
from simconfig.sections.investment_returns import InvestmentReturns
from simconfig.sections.irs_limits import IrsLimits
from simconfig.sections.new_hire_compensation import NewHireCompensation
from simconfig.sections.raise_timing import RaiseTiming
from simconfig.sections.retirement_readiness import RetirementReadiness
from simconfig.sections.seed_tables import SeedTables
from simconfig.sections.simulation import Simulation
from simconfig.sections.vesting import Vesting, years_to_full_vesting
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
    deferral_match_response: DeferralMatchResponse = key(default_factory=DeferralMatchResponse,
                                                         description="Deferral changes in response to the match.")
    employee_contributions: EmployeeContributions = key(default_factory=EmployeeContributions,
                                                        description="Pre-tax and Roth deferrals.")
    employer_match: EmployerMatch = key(default_factory=EmployerMatch, description="The employer match.")
    employer_core_contribution: EmployerCoreContribution = key(default_factory=EmployerCoreContribution,
                                                               description="The core (non-elective) "
                                                               "contribution.")
    vesting: Vesting = key(default_factory=Vesting, description="Vesting of employer money.")
    irs_limits: IrsLimits = key(default_factory=IrsLimits, description="Projection of IRS limits.")
    investment_returns: InvestmentReturns = key(default_factory=InvestmentReturns,
                                                description="Returns on account balances.")
    distributions: Distributions = key(default_factory=Distributions, description="Payouts to former employees.")
    forfeitures: Forfeitures = key(default_factory=Forfeitures, description="Use of forfeited employer money.")
    compliance: Compliance = key(default_factory=Compliance, description="Nondiscrimination testing and "
                                 "its corrections.")
    retirement_readiness: RetirementReadiness = key(default_factory=RetirementReadiness,
                                                    description="Projected replacement ratios.")
    seed_tables: SeedTables = key(default_factory=SeedTables, description="A scenario's own rows for the "
                                  "assumption seeds (written by make fit).")

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

    @model_validator(mode="after")
    def _safe_harbor_rules(self):
        """Vesting and automatic-enrollment conditions of safe-harbor designs (IRC 401(k)(12), (13))."""
        match = self.employer_match
        formula = match.formula()
        uses_formula = match.enabled and match.employer_match_status == "deferral_based"
        match_vesting = formula.vesting() or self.vesting.match.dbt_steps()
        core = self.employer_core_contribution
        qaca = uses_formula and formula.type == "qaca"
        where = f"employer_match.formulas.{match.active_formula}"
        if uses_formula and formula.type == "safe_harbor" and years_to_full_vesting(match_vesting) > 0:
            raise KeyError_(f"{where}.immediate_vesting", "a safe-harbor match vests at once (IRC 401(k)(12)(E)): "
                            "set immediate_vesting true or vesting.match.type immediate")
        if qaca and years_to_full_vesting(match_vesting) > 2:
            raise KeyError_(f"{where}.vesting_schedule", "a QACA match vests fully within 2 years of service "
                            "(IRC 401(k)(13)(D)(iii))")
        if core.enabled and core.safe_harbor:
            allowed = 2 if qaca else 0
            if years_to_full_vesting(self.vesting.core.dbt_steps()) > allowed:
                raise KeyError_("vesting.core", f"a safe-harbor nonelective contribution vests "
                                f"{'within 2 years (QACA)' if qaca else 'at once'} (IRC 401(k)(12)(E), (13)(D)(iii))")
        if qaca:
            self._check_qaca_enrollment()
        return self

    def _check_qaca_enrollment(self) -> None:
        """A QACA auto-enrolls at 3 % to 10 % and escalates to at least 4 %, 5 % and 6 % in the third,
        fourth and fifth plan years of participation, never above 15 % (IRC 401(k)(13)(C)(iii))."""
        auto = self.enrollment.auto_enrollment
        if not auto.enabled:
            raise KeyError_("enrollment.auto_enrollment.enabled", "a QACA match needs automatic enrollment")
        if not 0.03 - 1e-12 <= auto.default_deferral_rate <= 0.10 + 1e-12:
            raise KeyError_("enrollment.auto_enrollment.default_deferral_rate", "a QACA default is 3 % to 10 % of pay "
                            f"(got {auto.default_deferral_rate:g})")
        escalation = self.deferral_auto_escalation
        minimums = (0.03, 0.03, 0.04, 0.05, 0.06, 0.06)
        for years_in, minimum in enumerate(minimums):
            steps = max(0, years_in - escalation.first_escalation_delay_years + 1) if escalation.enabled else 0
            rate = max(auto.default_deferral_rate,
                       min(escalation.maximum_rate, auto.default_deferral_rate + steps * escalation.increment_amount))
            if rate < minimum - 1e-12:
                raise KeyError_("deferral_auto_escalation", f"a QACA default must reach {minimum:.0%} in plan year "
                                f"{years_in + 1} of participation; this escalation gives {rate:.1%}")
        if escalation.enabled and escalation.maximum_rate > 0.15 + 1e-12:
            raise KeyError_("deferral_auto_escalation.maximum_rate", "a QACA default may not exceed 15 % of pay")

    def waiting_period_days(self) -> int:
        """plan_eligibility.waiting_period_days, else the peer's eligibility.waiting_period_days, else 0."""
        for value in (self.plan_eligibility.waiting_period_days, self.eligibility.waiting_period_days):
            if value is not None:
                return value
        return 0
