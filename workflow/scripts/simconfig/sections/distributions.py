"""distributions: what leavers do with their vested balance."""
from __future__ import annotations

from pydantic import model_validator

from simconfig.base import KeyError_, Rate, Section, key

# IRC 411(a)(11) as amended by SECURE 2.0 section 304: involuntary cash-out of vested balances
# up to $7,000 for distributions after 2023; above $1,000 a force-out goes to an IRA unless the
# participant elects otherwise (IRC 401(a)(31)(B)).
STATUTORY_FORCE_OUT_LIMIT = 7000.0
AUTOMATIC_ROLLOVER_THRESHOLD = 1000.0


class BalanceTier(Section):
    min_balance: float = key(..., "Lowest vested balance of the tier (dollars).", ge=0)
    cash_out_rate: Rate = key(..., "Yearly probability that a former employee with such a balance takes it in "
                              "cash.")
    rollover_rate: Rate = key(..., "Yearly probability of rolling it over to an IRA or another plan.")


DEFAULT_TIERS = (
    {"min_balance": 0, "cash_out_rate": 0.30, "rollover_rate": 0.30},
    {"min_balance": 25_000, "cash_out_rate": 0.12, "rollover_rate": 0.30},
    {"min_balance": 100_000, "cash_out_rate": 0.05, "rollover_rate": 0.25},
)


class Distributions(Section):
    force_out_limit: float = key(STATUTORY_FORCE_OUT_LIMIT, "Vested balances of former employees below this "
                                 "are paid out automatically at year end (IRC 411(a)(11), $7,000 after "
                                 "SECURE 2.0 section 304); 0: no force-outs.", var="force_out_limit",
                                 ge=0, le=STATUTORY_FORCE_OUT_LIMIT, perturb=3000.0)
    force_out_cash_share: Rate = key(0.4, "Share of force-outs above $1,000 the participant takes in cash; the "
                                     "rest goes to an automatic-rollover IRA (IRC 401(a)(31)(B)). Force-outs "
                                     "of $1,000 or less are paid in cash.", var="force_out_cash_share",
                                     perturb=0.9)
    by_balance: list[BalanceTier] = key(
        default_factory=lambda: [BalanceTier(**t) for t in DEFAULT_TIERS],
        description="Yearly cash-out and rollover probabilities of former employees by vested balance (the tier "
        "whose min_balance the balance reaches); the rest leave the balance in the plan (deferred vested). The "
        "first tier starts at 0.", var="distribution_tiers")

    @model_validator(mode="after")
    def _tiers(self):
        tiers = self.by_balance
        if not tiers or tiers[0].min_balance != 0:
            raise KeyError_("by_balance", "the first tier must start at min_balance 0")
        for index, (lower, upper) in enumerate(zip(tiers, tiers[1:]), start=1):
            if upper.min_balance <= lower.min_balance:
                raise KeyError_(f"by_balance[{index}].min_balance", "tiers must be sorted by min_balance")
        for index, tier in enumerate(tiers):
            if tier.cash_out_rate + tier.rollover_rate > 1 + 1e-12:
                raise KeyError_(f"by_balance[{index}]", "cash_out_rate + rollover_rate must not exceed 1")
        return self

    def dbt_tiers(self) -> list[dict]:
        return [t.model_dump() for t in self.by_balance]
