"""investment_returns: what account balances earn each year."""
from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from simconfig.base import KeyError_, Rate, Section, key


class MarketReturn(Section):
    distribution: Literal["normal", "lognormal"] = key(
        "lognormal", "Distribution of the yearly market return: normal, or lognormal (1 + return lognormal, "
        "never below -100 %) with the given mean and standard deviation.", var="market_return_distribution")
    mean: float = key(0.07, "Mean yearly market return.", var="market_return_mean", ge=-0.5, le=0.5)
    standard_deviation: float = key(0.15, "Standard deviation of the yearly market return.",
                                    var="market_return_standard_deviation", ge=0, le=1, perturb=0.3)


class GlidePathPoint(Section):
    age: int = key(..., "Age.", ge=0, le=120)
    equity_share: Rate = key(..., "Share of the account in the market (equity) portfolio at this age.")


DEFAULT_GLIDE_PATH = ({"age": 40, "equity_share": 0.9}, {"age": 65, "equity_share": 0.5})


class Allocation(Section):
    type: Literal["none", "target_date"] = key(
        "none", "none: every account earns the market return; target_date: an account earns "
        "equity_share x market return + (1 - equity_share) x fixed_income_return, the equity share "
        "by age along glide_path.", var="allocation_type")
    fixed_income_return: float = key(0.035, "Yearly return of the non-equity part (target_date).",
                                     var="fixed_income_return", ge=-0.2, le=0.3,
                                     applies_when="allocation type is target_date",
                                     test_overlay={".type": "target_date"})
    glide_path: list[GlidePathPoint] = key(
        default_factory=lambda: [GlidePathPoint(**p) for p in DEFAULT_GLIDE_PATH],
        description="Equity share by age, sorted by age: linear between points, flat before the first "
        "and after the last (default 90 % to age 40, down to 50 % at 65).", var="glide_path",
        applies_when="allocation type is target_date")

    @model_validator(mode="after")
    def _sorted(self):
        if not self.glide_path:
            raise KeyError_("glide_path", "must list at least one point")
        ages = [p.age for p in self.glide_path]
        if any(b <= a for a, b in zip(ages, ages[1:])):
            raise KeyError_("glide_path", f"ages must increase (got {ages})")
        return self

    def dbt_glide_path(self) -> list[dict]:
        return [{"age": p.age, "equity_share": p.equity_share} for p in self.glide_path]


class InvestmentReturns(Section):
    mode: Literal["deterministic", "stochastic"] = key(
        "deterministic", "deterministic: the market returns annual_rate every year; stochastic: one market "
        "return per (seed, year) drawn from `market`, common to every account.", var="return_mode")
    annual_rate: float = key(0.06, "Yearly market return in deterministic mode.", var="annual_return_rate",
                             ge=-0.5, le=0.5)
    market: MarketReturn = key(default_factory=MarketReturn, description="The distribution of stochastic "
                               "returns.", applies_when="mode is stochastic",
                               test_overlay={"investment_returns.mode": "stochastic"})
    allocation: Allocation = key(default_factory=Allocation, description="How an account is invested.")
    contribution_timing: Literal["spread", "year_end"] = key(
        "spread", "spread: contributions come in evenly over the days of the year the employee worked "
        "(each pay period), each earning from its date, so a full year's contributions earn half a year's "
        "return; year_end: contributions earn nothing in the year they are made.",
        var="contribution_timing")
