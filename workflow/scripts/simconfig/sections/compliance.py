"""compliance: the nondiscrimination tests run every simulated year and how a failed test is corrected."""
from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from simconfig.base import KeyError_, Section, key


class Compliance(Section):
    testing_method: Literal["current_year", "prior_year"] = key(
        "current_year", "The NHCE average the ADP and ACP limits are taken from: this year's (current_year) or "
        "last year's (prior_year, IRC 401(k)(3)(A)); under prior_year the first simulated year uses the "
        "first-plan-year rule of 3 % (401(k)(3)(E), 401(m)(3)).", var="compliance_testing_method")
    adp_correction: Literal["refund", "qnec"] = key(
        "refund", "refund: excess deferrals of HCEs are paid back by dollar leveling, recharacterised as "
        "catch-up first where the HCE is 50 or older (Treas. Reg. 1.401(k)-2(b)); qnec: a qualified "
        "nonelective contribution to the eligible NHCEs, the smallest uniform share of pay that passes, "
        "charged to employer cost.", var="adp_correction")
    acp_correction: Literal["refund", "qmac"] = key(
        "refund", "refund: excess matching contributions of HCEs are distributed by dollar leveling (Treas. "
        "Reg. 1.401(m)-2(b)); qmac: a qualified matching contribution to the eligible NHCEs, the smallest "
        "uniform share of pay that passes, charged to employer cost.", var="acp_correction")
    hce_top_paid_group: bool = key(
        False, "Top-paid group election (IRC 414(q)(1)(B)(ii)): an employee paid above the HCE threshold is "
        "an HCE only when also in the top 20 % of employees by last year's pay; 5 % owners always are.",
        var="hce_top_paid_group")

    @model_validator(mode="after")
    def _qualified_contributions_need_current_year(self):
        """Under prior-year testing a QNEC or QMAC that counts must go to last year's NHCEs (Treas. Reg.
        1.401(k)-2(a)(6)(vi)), a year the simulation has closed: the model corrects with refunds there."""
        for name, value in (("adp_correction", self.adp_correction), ("acp_correction", self.acp_correction)):
            if value != "refund" and self.testing_method == "prior_year":
                raise KeyError_(name, f"{value} needs testing_method current_year: under prior-year testing it "
                                "would be owed to last year's NHCEs, a year already simulated; use refund")
        return self
