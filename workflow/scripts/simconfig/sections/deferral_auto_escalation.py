"""deferral_auto_escalation: the yearly automatic increase of participants' deferral rates."""
from __future__ import annotations

from pydantic import field_validator

from simconfig.base import IsoDate, MonthDay, Rate, Section, key


class DeferralAutoEscalation(Section):
    enabled: bool = key(True, "Raise enrolled participants' deferral rate every year.", var="escalation_enabled")
    effective_day: MonthDay = key("01-01", "MM-DD of each year's increase.", var="escalation_effective_date",
                                  perturb="10-01")
    increment_amount: Rate = key(0.01, "Increase per year (0.01 = one percentage point).",
                                 var="escalation_increment")
    maximum_rate: Rate = key(0.10, "Escalation stops at this rate (higher elections are kept).",
                             var="escalation_maximum_rate", perturb=0.07)
    hire_date_cutoff: IsoDate | None = key(None, "Only employees hired on/after this date escalate; null: all.",
                                           var="escalation_hire_date_cutoff", perturb="2015-01-01")
    require_active_enrollment: bool = key(True, "Only enrolled participants escalate (the only behaviour "
                                          "modelled: false is rejected).")
    first_escalation_delay_years: int = key(1, "Plan years after enrollment before the first increase.",
                                            var="escalation_first_delay_years", ge=0, le=50, perturb=3)

    @field_validator("require_active_enrollment")
    @classmethod
    def _enrolled_only(cls, value: bool) -> bool:
        if not value:
            raise ValueError("false (escalating employees who are not enrolled) is not modelled; "
                             "remove the key or set it to true")
        return value
