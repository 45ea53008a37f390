"""Multiplicative hazards estimated from exposure: a binomial model over grouped cells, by
Fisher scoring (numpy only), one categorical factor per hazard table (age band, tenure band,
level). Two links, each the inverse of how the SQL uses the hazard:

- "log": P(event) = exp(eta), the promotion probability base x age x tenure x level.
- "cloglog": P(event) = 1 - (1 - q) exp(-exp(eta)): a weighted sample without replacement
  (Efraimidis-Spirakis keys) takes those whose key clears a common threshold t, with
  probability 1 - t^w, so -log(1 - p) is proportional to the weight w; q is a known competing
  probability (retirement), which the model draws before the hazard sample."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
RIDGE = 1e-4  # keeps a factor level with no events finite (its multiplier goes near 0, then credibility)


@dataclass(frozen=True)
class FactorEstimate:
    factor: str
    level: str
    relative: float        # multiplier relative to the factor's reference level
    low: float             # 95 % interval of `relative`
    high: float
    exposure: float
    events: float


def _design(cells: pd.DataFrame, factors: list[str]) -> tuple[np.ndarray, list[tuple[str, str]], dict[str, str]]:
    """Intercept plus one dummy per non-reference level; the reference is the level of most exposure."""
    columns, names, references = [np.ones(len(cells))], [], {}
    for factor in factors:
        exposure = cells.groupby(factor, observed=True)["n"].sum()
        reference = str(exposure.idxmax())
        references[factor] = reference
        for level in exposure.index:
            if str(level) != reference:
                columns.append((cells[factor].astype(str) == str(level)).to_numpy(dtype=float))
                names.append((factor, str(level)))
    return np.column_stack(columns), names, references


def _link(kind: str, eta: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P(event), dP/deta)."""
    if kind == "log":
        p = np.exp(np.minimum(eta, 0.0))
        return np.clip(p, 1e-12, 1 - 1e-9), p
    mu = np.exp(np.clip(eta, -30, 5))
    survive = (1 - q) * np.exp(-mu)
    return np.clip(1 - survive, 1e-12, 1 - 1e-9), survive * mu


def fit(cells: pd.DataFrame, factors: list[str], kind: str, iterations: int = 60) -> tuple[float, list[FactorEstimate]]:
    """cells: one row per cell with the factor columns, n (exposure), y (events) and, for
    "cloglog", q. Returns the intercept (eta of the reference cell) and each level's estimate."""
    cells = cells[cells["n"] > 0].reset_index(drop=True)
    x, names, references = _design(cells, factors)
    n, y = cells["n"].to_numpy(dtype=float), cells["y"].to_numpy(dtype=float)
    q = cells["q"].to_numpy(dtype=float) if "q" in cells else np.zeros(len(cells))
    rate = max(y.sum() / n.sum(), 1e-6)
    beta = np.zeros(x.shape[1])
    beta[0] = np.log(rate) if kind == "log" else np.log(-np.log(1 - min(rate, 0.99)))
    penalty = RIDGE * np.eye(x.shape[1])
    penalty[0, 0] = 0.0
    for _ in range(iterations):
        eta = x @ beta
        p, slope = _link(kind, eta, q)
        weight = n * slope ** 2 / (p * (1 - p))
        score = x.T @ (n * slope * (y / n - p) / (p * (1 - p))) - penalty @ beta
        information = x.T @ (x * weight[:, None]) + penalty
        step = np.linalg.solve(information, score)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-9:
            break
    covariance = np.linalg.inv(information)
    estimates = []
    for factor in factors:
        for level, group in cells.groupby(factor, observed=True):
            level = str(level)
            if level == references[factor]:
                value, se = 0.0, 0.0
            else:
                index = 1 + names.index((factor, level))
                value, se = beta[index], float(np.sqrt(covariance[index, index]))
            estimates.append(FactorEstimate(factor, level, float(np.exp(value)), float(np.exp(value - Z95 * se)),
                                            float(np.exp(value + Z95 * se)), float(group["n"].sum()),
                                            float(group["y"].sum())))
    return float(beta[0]), estimates


def wilson(events: float, exposure: float) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion."""
    if exposure <= 0:
        return float("nan"), float("nan")
    p = events / exposure
    centre = (p + Z95 ** 2 / (2 * exposure)) / (1 + Z95 ** 2 / exposure)
    half = Z95 * np.sqrt(p * (1 - p) / exposure + Z95 ** 2 / (4 * exposure ** 2)) / (1 + Z95 ** 2 / exposure)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))
