"""retirement_readiness: the projected replacement ratio of each active employee."""
from __future__ import annotations

from simconfig.base import Rate, Section, key


class RetirementReadiness(Section):
    normal_retirement_age: int = key(67, "Age at which the balance is projected and annuitised.",
                                     var="readiness_retirement_age", ge=50, le=80)
    expected_return: float = key(0.06, "Yearly return assumed for the projection to retirement.",
                                 var="readiness_expected_return", ge=-0.2, le=0.3)
    pay_growth: float = key(0.03, "Yearly pay growth assumed to retirement.", var="readiness_pay_growth",
                            ge=-0.1, le=0.2)
    annuity_factor: float = key(15.0, "Dollars of balance per dollar of yearly income at retirement "
                                "(a life annuity's price).", var="readiness_annuity_factor", ge=1, le=40)
    target_replacement_ratio: Rate = key(0.70, "Replacement ratio counted as on track (with Social Security "
                                         "when include_social_security).", var="readiness_target")
    include_social_security: bool = key(True, "Add the Social Security benefit estimated with the SSA's "
                                        "primary-insurance-amount formula (dbt seed config_social_security).",
                                        var="readiness_include_social_security")
    social_security_wage_growth: float = key(0.035, "Yearly growth of the SSA bend points and wage base after the "
                                             "last published year.", var="social_security_wage_growth",
                                             ge=0, le=0.2, perturb=0.15,
                                             applies_when="include_social_security and a simulated year after "
                                             "the last published year",
                                             test_overlay={"simulation.start_year": 2028})
