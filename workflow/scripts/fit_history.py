"""`make fit`: estimate the workforce and participation assumptions from a sponsor's history,
blend small cells toward the defaults by credibility, and write a scenario overlay
(config/scenarios/fitted_<name>.yaml, its seed tables inline), the fitted seed files and a
fit report. Every estimate inverts how the model uses the value, so that the overlay, run
from the first snapshot, reproduces the history's rates:

- workforce.total_termination_rate t: the solver takes floor(E t + P h) experienced leavers
  (E Jan 1 actives hired before last year, P last year's hires), so t = (leavers - P h) / E;
- new_hire_termination_rate h: hires who leave in their hire year / hires (seen only when the
  snapshots list the year's leavers; otherwise the default stays);
- termination hazard multipliers: who leaves is a weighted sample, so -log(1 - p) is
  proportional to the hazard (hazard_glm "cloglog"), retirements (by age, seeded) apart;
- promotion hazard: P(promotion) = base x age x tenure x level (hazard_glm "log");
- merit and COLA: a stayer's raise is merit(level) x scale + COLA, so a regression of the
  raise on the seed's merit rate gives the scale (merit budget) and COLA;
- opt-out and year-over-year enrollment: scale factors of the configured probabilities
  (observed / expected under the defaults).

    python workflow/scripts/fit_history.py --history a.csv b.csv c.csv --name acme
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import fit_settings
import hazard_glm
import history
import simconfig
from simconfig.model import SimulationConfig
from simconfig.sections.seed_tables import TABLES
from simconfig.segments import read_seed

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Estimate:
    group: str
    name: str
    target: str            # the config key or seed cell that carries the fitted value
    observed: float        # the estimate from the history alone
    low: float             # its 95 % interval
    high: float
    exposure: float
    exposure_unit: str
    default: float         # the value it is blended with (the base config or shipped seed)
    z: float               # credibility weight of the observed value
    fitted: float          # z x observed + (1 - z) x default
    note: str = ""


@dataclass(frozen=True)
class FitResult:
    estimates: list[Estimate]
    overlay: dict
    seeds: dict[str, pd.DataFrame]     # dbt seed name -> fitted rows
    years: pd.DataFrame                # what each year of the history shows
    k: float
    files: list[str]


def credibility(exposure: float, k: float) -> float:
    return exposure / (exposure + k) if exposure > 0 else 0.0


def estimate(group: str, name: str, target: str, observed: float, interval: tuple[float, float], exposure: float,
             unit: str, default: float, k: float, note: str = "", z: float | None = None) -> Estimate:
    if observed is None or not math.isfinite(observed):
        return Estimate(group, name, target, float("nan"), float("nan"), float("nan"), exposure, unit, default, 0.0,
                        default, note or "not observed: the default stays")
    z = credibility(exposure, k) if z is None else z
    return Estimate(group, name, target, observed, interval[0], interval[1], exposure, unit, default, z,
                    z * observed + (1 - z) * default, note)


def _seed_frame(name: str) -> pd.DataFrame:
    return pd.DataFrame(read_seed(name))


# ---- termination ------------------------------------------------------------------------------

def retirement_probability(age: pd.Series, config: SimulationConfig) -> pd.Series:
    """The model's yearly retirement probability by age (dbt seed config_retirement_rates)."""
    if not config.workforce.retirement.enabled:
        return pd.Series(0.0, index=age.index)
    rates = {int(r["age"]): float(r["retirement_rate"]) for r in read_seed("config_retirement_rates")}
    last = rates[max(rates)]
    q = age.map(lambda a: 0.0 if a < min(rates) else rates.get(int(a), last)).astype(float)
    maximum = config.workforce.retirement.maximum_age
    if maximum is not None:
        q[age >= maximum] = 1.0
    return q


def multiplier_rows(group: str, target_seed: str, band_column: str, estimates: list[hazard_glm.FactorEstimate],
                    factor: str, defaults: dict[str, float], k: float, unit: str) -> list[Estimate]:
    """Band multipliers scaled so their exposure-weighted mean is the default's (the scale of a
    hazard is carried elsewhere), each blended toward its default by credibility."""
    rows = [e for e in estimates if e.factor == factor]
    scale = sum(e.exposure * defaults[e.level] for e in rows) / max(sum(e.exposure * e.relative for e in rows), 1e-12)
    out = []
    for band, default in defaults.items():
        found = next((e for e in rows if e.level == band), None)
        if found is None:
            out.append(estimate(group, f"{band_column.replace('_', ' ')} {band}", f"{target_seed}[{band}]", None,
                                (0, 0), 0.0, unit, default, k))
            continue
        out.append(estimate(group, f"{band_column.replace('_', ' ')} {band}", f"{target_seed}[{band}]",
                            scale * found.relative, (scale * found.low, scale * found.high), found.exposure, unit,
                            default, k, note=f"{found.events:g} events" + (
                                "; the reference band: the other intervals are relative to it"
                                if found.low == found.high == found.relative else "")))
    return out


def level_line(estimates: list[hazard_glm.FactorEstimate]) -> tuple[float, float, float, list[tuple[int, float]]]:
    """The seed's level form 1 - d (level - 1): d by exposure-weighted least squares over the
    level factors relative to level 1; (d, floor = smallest factor, exposure of levels 2+, factors)."""
    levels = {int(e.level): e for e in estimates if e.factor == "level"}
    if 1 not in levels or len(levels) < 2:
        return float("nan"), float("nan"), 0.0, []
    base = levels[1].relative
    factors = [(lvl, e.relative / base, e.exposure) for lvl, e in sorted(levels.items())]
    numerator = sum(n * (lvl - 1) * (1 - f) for lvl, f, n in factors)
    denominator = sum(n * (lvl - 1) ** 2 for lvl, f, n in factors)
    d = min(1.0, max(0.0, numerator / denominator))
    floor = min(1.0, max(0.0, min(f for _, f, _ in factors)))
    return d, floor, sum(n for lvl, _, n in factors if lvl > 1), [(lvl, f) for lvl, f, _ in factors]


def termination_estimates(start: pd.DataFrame, hires: pd.DataFrame, sees_leavers: bool, config: SimulationConfig,
                          k: float) -> list[Estimate]:
    workforce = config.workforce
    out = []
    if sees_leavers:
        left = float(hires["left"].sum())
        h = estimate("workforce", "new-hire termination rate", "workforce.new_hire_termination_rate",
                     left / len(hires) if len(hires) else None, hazard_glm.wilson(left, len(hires)), len(hires),
                     "hires", workforce.new_hire_termination_rate, k, note=f"{left:g} of {len(hires)} hires left in "
                     "their hire year")
    else:
        h = estimate("workforce", "new-hire termination rate", "workforce.new_hire_termination_rate", None, (0, 0),
                     0.0, "hires", workforce.new_hire_termination_rate, k,
                     note="the snapshots list no leavers, so hires who left in their hire year are not seen; "
                     "the default stays")
    out.append(h)
    experienced = start[~start["hired_last_year"]]
    prior_hires = start[start["hired_last_year"]]
    leavers = float((~start["stayed"]).sum())
    e = len(experienced)
    t_obs = (leavers - h.fitted * len(prior_hires)) / e if e else None
    half = hazard_glm.Z95 * math.sqrt(max(leavers * (1 - leavers / max(len(start), 1)), 0)) / max(e, 1)
    out.append(estimate("workforce", "experienced termination rate", "workforce.total_termination_rate", t_obs,
                        (t_obs - half, t_obs + half) if t_obs is not None else (0, 0), e, "employee-years",
                        workforce.total_termination_rate, k,
                        note=f"(leavers {leavers:g} - h x {len(prior_hires)} last-year hires) / {e} others; "
                        "retirements included, as in the solver"))

    # who leaves: the hazard shape, with retirement as a known competing probability
    cells = start.assign(q=retirement_probability(start["age"], config), y=(~start["stayed"]).astype(float),
                         level=start["level_id"].astype("Int64").astype(str))
    cells = cells[(cells["q"] < 1) & cells["level_id"].notna()]
    grouped = cells.groupby(["age", "age_band", "tenure_band", "level"], observed=True).agg(
        n=("y", "size"), y=("y", "sum"), q=("q", "first")).reset_index()
    _, factors = hazard_glm.fit(grouped, ["age_band", "tenure_band", "level"], "cloglog")
    ages = {r["age_band"]: float(r["multiplier"]) for r in read_seed("config_termination_hazard_age_multipliers")}
    tenures = {r["tenure_band"]: float(r["multiplier"])
               for r in read_seed("config_termination_hazard_tenure_multipliers")}
    out += multiplier_rows("termination hazard", "config_termination_hazard_age_multipliers", "age_band", factors,
                           "age_band", ages, k, "employee-years")
    out += multiplier_rows("termination hazard", "config_termination_hazard_tenure_multipliers", "tenure_band",
                           factors, "tenure_band", tenures, k, "employee-years")
    base = read_seed("config_termination_hazard_base")[0]
    d, floor, exposure, level_factors = level_line(factors)
    for lvl, f in level_factors:
        found = next(x for x in factors if x.factor == "level" and int(x.level) == lvl)
        ref = next(x for x in factors if x.factor == "level" and int(x.level) == 1).relative
        out.append(Estimate("termination hazard", f"level {lvl} factor (relative to level 1)", "(level line below)",
                            f, found.low / ref, found.high / ref, found.exposure, "employee-years",
                            max(float(base["min_level_multiplier"]), 1 - float(base["level_discount_factor"]) * (lvl - 1)),
                            0.0, float("nan"), f"{found.events:g} events; feeds the level line"))
    out.append(estimate("termination hazard", "level discount per level", "config_termination_hazard_base"
                        ".level_discount_factor", d, (d, d), exposure, "employee-years",
                        float(base["level_discount_factor"]), k, note="least squares over the level factors"))
    out.append(estimate("termination hazard", "level multiplier floor", "config_termination_hazard_base"
                        ".min_level_multiplier", floor, (floor, floor), exposure, "employee-years",
                        float(base["min_level_multiplier"]), k, note="the smallest level factor"))
    return out


# ---- promotions and pay ---------------------------------------------------------------------------

def promotion_estimates(start: pd.DataFrame, config: SimulationConfig, k: float) -> list[Estimate]:
    top = max(history.levels())
    eligible = start[start["stayed"] & (start["tenure"] >= 1) & (start["level_id"] < top)].copy()
    eligible["level"] = eligible["level_id"].astype("Int64").astype(str)
    eligible["y"] = eligible["promoted"].astype(float)
    grouped = eligible.groupby(["age_band", "tenure_band", "level"], observed=True).agg(
        n=("y", "size"), y=("y", "sum")).reset_index()
    promotions = float(eligible["y"].sum())
    out = [Estimate("promotion hazard", "promotion rate of eligible stayers", "(observed)",
                    promotions / max(len(eligible), 1), *hazard_glm.wilson(promotions, len(eligible)), len(eligible),
                    "employee-years", float("nan"), 1.0, float("nan"),
                    "stayers with a year of service below the top level; a level up counts as a promotion")]
    if promotions == 0:
        return out
    _, factors = hazard_glm.fit(grouped, ["age_band", "tenure_band", "level"], "log")
    ages = {r["age_band"]: float(r["multiplier"]) for r in read_seed("config_promotion_hazard_age_multipliers")}
    tenures = {r["tenure_band"]: float(r["multiplier"])
               for r in read_seed("config_promotion_hazard_tenure_multipliers")}
    age_rows = multiplier_rows("promotion hazard", "config_promotion_hazard_age_multipliers", "age_band", factors,
                               "age_band", ages, k, "employee-years")
    tenure_rows = multiplier_rows("promotion hazard", "config_promotion_hazard_tenure_multipliers", "tenure_band",
                                  factors, "tenure_band", tenures, k, "employee-years")
    base = read_seed("config_promotion_hazard_base")[0]
    d, _, exposure, _ = level_line(factors)
    dampener = estimate("promotion hazard", "level dampener per level", "config_promotion_hazard_base"
                        ".level_dampener_factor", d, (d, d), exposure, "employee-years",
                        float(base["level_dampener_factor"]), k, note="least squares over the level factors")
    # base: the rate that, with the fitted multipliers, gives the observed number of promotions
    age_fit = {r.target.split("[")[1][:-1]: r.fitted for r in age_rows}
    tenure_fit = {r.target.split("[")[1][:-1]: r.fitted for r in tenure_rows}
    shape = (eligible["age_band"].map(age_fit) * eligible["tenure_band"].map(tenure_fit)
             * (1 - dampener.fitted * (eligible["level_id"] - 1)).clip(lower=0)).sum()
    multiplier = config.compensation.promotion_rate_multiplier
    base_obs = promotions / (shape * multiplier) if shape > 0 else None
    low, high = hazard_glm.wilson(promotions, len(eligible))
    ratio = (base_obs or 0) / max(promotions / len(eligible), 1e-12)
    out += age_rows + tenure_rows + [dampener, estimate(
        "promotion hazard", "base promotion rate", "config_promotion_hazard_base.base_rate", base_obs,
        (low * ratio, high * ratio), len(eligible), "employee-years", float(base["base_rate"]), k,
        note="calibrated: with the fitted multipliers it gives the observed promotions")]
    return out


def pay_estimates(start: pd.DataFrame, config: SimulationConfig, k: float) -> list[Estimate]:
    merit = history.seed_merit_rates()
    comp = config.compensation
    raised = start[start["stayed"] & ~start["promoted"] & (start["tenure"] >= 1)
                   & (start["level_after"] == start["level_id"]) & (start["employee_gross_compensation"] > 0)].copy()
    raised["raise"] = raised["pay_after"] / raised["employee_gross_compensation"] - 1
    raised["merit_seed"] = raised["level_id"].map(merit)
    out = []
    if len(raised) < 2 or raised["merit_seed"].nunique() < 2:
        return out
    x = np.column_stack([raised["merit_seed"].to_numpy(float), np.ones(len(raised))])
    y = raised["raise"].to_numpy(float)
    (scale, cola), *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ np.array([scale, cola])
    sigma2 = residual @ residual / max(len(y) - 2, 1)
    cov = sigma2 * np.linalg.inv(x.T @ x)
    pay = raised["employee_gross_compensation"]
    weighted_seed = float((raised["merit_seed"] * pay).sum() / pay.sum())
    budget = scale * weighted_seed
    se_b, se_c = math.sqrt(cov[0, 0]) * weighted_seed, math.sqrt(cov[1, 1])
    n = len(raised)
    z = hazard_glm.Z95
    out.append(Estimate("pay", "raise of stayers (median, P10-P90 as interval)", "(observed)",
                        float(raised["raise"].median()), float(raised["raise"].quantile(0.1)),
                        float(raised["raise"].quantile(0.9)), n, "stayers", float("nan"), 1.0, float("nan"),
                        "not promoted, a year of service or more"))
    out.append(estimate("pay", "COLA", "compensation.cola_rate", float(cola), (cola - z * se_c, cola + z * se_c), n,
                        "stayers", comp.cola_rate, k, note="intercept of raise on the seed merit rate by level"))
    out.append(estimate("pay", "merit budget", "compensation.merit_budget", float(budget),
                        (budget - z * se_b, budget + z * se_b), n, "stayers",
                        comp.merit_budget if comp.merit_budget is not None else weighted_seed, k,
                        note="slope x pay-weighted seed merit rate"))
    promoted = start[start["promoted"] & (start["level_after"] == start["level_id"] + 1)].copy()
    if len(promoted) >= 2:
        after_merit = 1 + scale * promoted["level_after"].map(merit) + cola
        pct = promoted["pay_after"] / promoted["employee_gross_compensation"] / after_merit - 1
        promotion = comp.promotion_compensation
        centre, spread = float(pct.mean()), float(pct.std(ddof=1) * math.sqrt(3))
        m = len(promoted)
        out.append(estimate("pay", "promotion raise (centre)", "compensation.promotion_compensation.base_increase_pct",
                            centre, (centre - z * pct.std(ddof=1) / math.sqrt(m), centre + z * pct.std(ddof=1) /
                                     math.sqrt(m)), m, "promotions", promotion.base_increase_pct, k,
                            note="pay change of the promoted, merit and COLA taken out"))
        out.append(estimate("pay", "promotion raise (+/- range, uniform)",
                            "compensation.promotion_compensation.distribution_range", min(spread, centre),
                            (spread, spread), m, "promotions", promotion.distribution_range, k,
                            note="sqrt(3) x standard deviation"))
    return out


# ---- hires --------------------------------------------------------------------------------------

def follows_current_mix(start: pd.DataFrame, hires: pd.DataFrame) -> bool:
    """Whether each year's hires follow that year's workforce level mix (the model's default) at least
    as well as one fixed mix does (chi-square distance, summed over the years)."""
    pooled = hires["level_id"].value_counts(normalize=True)
    current_distance = fixed_distance = 0.0
    for year, group in hires.groupby("year"):
        counts = group["level_id"].value_counts()
        mix = start[start["year"] == year]["level_id"].value_counts(normalize=True)
        for lvl in set(counts.index) | set(mix.index) | set(pooled.index):
            n, observed = len(group), float(counts.get(lvl, 0))
            for share, total in ((mix.get(lvl, 0.0), "current"), (pooled.get(lvl, 0.0), "fixed")):
                distance = (observed - n * share) ** 2 / max(n * share, 0.5)
                if total == "current":
                    current_distance += distance
                else:
                    fixed_distance += distance
    return current_distance <= fixed_distance


def hire_estimates(start: pd.DataFrame, hires: pd.DataFrame, k: float) -> list[Estimate]:
    out = []
    levels = history.levels()
    with_level = hires[hires["level_id"].notna()]
    n = len(with_level)
    current = start["level_id"].value_counts(normalize=True)
    follows = follows_current_mix(start, with_level)
    for lvl in levels:
        count = float((with_level["level_id"] == lvl).sum())
        out.append(estimate("hires", f"hire share at level {lvl}", f"new_hire_compensation.level_mix[{lvl}]",
                            count / n if n else None, hazard_glm.wilson(count, n), n, "hires",
                            float(current.get(lvl, 0.0)), k, z=0.0 if follows else None,
                            note="hires follow each year's workforce mix (the model's default, kept)" if follows
                            else "default: the workforce's level mix"))
    ages = hires["age"].dropna().astype(int)
    default = {int(r["hire_age"]): float(r["age_weight"]) for r in read_seed("config_new_hire_age_distribution")}
    total = sum(default.values())
    observed = ages.value_counts()
    for age in sorted(set(default) | set(observed.index)):
        count = float(observed.get(age, 0))
        out.append(estimate("hires", f"hire age {age}", f"config_new_hire_age_distribution[{age}]",
                            count / len(ages) if len(ages) else None, hazard_glm.wilson(count, len(ages)), len(ages),
                            "hires", default.get(age, 0.0) / total, k))
    return out


def hire_pay_estimates(hires: pd.DataFrame, config: SimulationConfig, k: float, last_year: int) -> list[Estimate]:
    """Hires' pay against what the model pays them (a position in the level's band, times the market
    adjustments), year by year: the trend of the ratio is the pay-band index, its level projected to
    the year after the last snapshot the market adjustment (the model indexes the bands from the
    first simulated year, so the overlay is for a projection from the last snapshot)."""
    bands = {int(r["level_id"]): (float(r["min_compensation"]), float(r["max_compensation"]))
             for r in read_seed("config_job_levels")}
    nhc = config.new_hire_compensation
    percentile, market = nhc.percentile_strategy, nhc.market_adjustments
    seen = hires[hires["level_id"].isin(list(bands)) & (hires["employee_gross_compensation"] > 0)].copy()
    if seen.empty:
        return []
    level = seen["level_id"].astype(int)
    position = level.map(lambda lvl: percentile.level_overrides.get(lvl, percentile.default_percentile))
    adjustment = (market.base_adjustment * level.map(lambda lvl: market.level_adjustments.get(lvl, 1.0))
                  if market.enabled else 1.0)
    expected = level.map(lambda lvl: bands[lvl][0]) + level.map(lambda lvl: bands[lvl][1] - bands[lvl][0]) * position
    hours = seen["scheduled_hours_per_week"].fillna(40.0).clip(lower=1)
    seen["ratio"] = seen["employee_gross_compensation"] * 40.0 / hours / (expected * adjustment)
    yearly = seen.groupby("year")["ratio"].agg(["mean", "size"])
    index_default = config.compensation.pay_band_index
    index_default = config.compensation.cola_rate if index_default is None else index_default
    out = []
    if len(yearly) >= 2:
        slope = np.polyfit(yearly.index.to_numpy(float), np.log(yearly["mean"].to_numpy(float)), 1,
                           w=np.sqrt(yearly["size"].to_numpy(float)))[0]
        index_obs = float(np.expm1(slope))
        out.append(estimate("hires", "pay-band index (yearly growth of hire pay)", "compensation.pay_band_index",
                            index_obs, (index_obs, index_obs), float(yearly["size"].sum()), "hires", index_default, k,
                            note="trend of hire pay against the bands, year by year"))
        index = out[-1].fitted
    else:
        index = index_default
    projected = float((yearly["mean"] * (1 + index) ** (last_year + 1 - yearly.index.to_numpy())
                       * yearly["size"]).sum() / yearly["size"].sum())
    spread = float(seen["ratio"].std(ddof=1) / math.sqrt(len(seen))) if len(seen) > 1 else 0.0
    base = market.base_adjustment if market.enabled else 1.0
    out.append(estimate("hires", f"market adjustment of hire pay (for {last_year + 1} on)",
                        "new_hire_compensation.market_adjustments.base_adjustment", base * projected,
                        (base * (projected - 1.96 * spread), base * (projected + 1.96 * spread)), float(len(seen)),
                        "hires", base, k, note="hire pay / the band position the model pays, indexed to the year "
                        "after the last snapshot"))
    return out


def growth_estimate(snapshots: list[history.Snapshot], config: SimulationConfig, k: float) -> Estimate:
    counts = [len(s.actives) for s in snapshots]
    yearly = [b / a - 1 for a, b in zip(counts, counts[1:])]
    g = (counts[-1] / counts[0]) ** (1 / len(yearly)) - 1
    return estimate("workforce", "growth of year-end actives", "simulation.target_growth_rate", g,
                    (min(yearly), max(yearly)), float(sum(counts[:-1])), "employee-years",
                    config.simulation.target_growth_rate, k, note="geometric mean; interval: the yearly range")


# ---- participation and deferrals ----------------------------------------------------------------

def _segments(values: pd.Series, segment: str) -> pd.Series:
    rows = [r for r in read_seed("config_enrollment_segments") if r["segment"] == segment]
    edges = [float(r["min_value"]) for r in rows] + [float(rows[-1]["max_value"])]
    return pd.Series(pd.cut(values, bins=edges, right=False, labels=[r["band_label"] for r in rows]).astype(object),
                     index=values.index)


def participation_estimates(start: pd.DataFrame, hires: pd.DataFrame, config: SimulationConfig,
                            k: float) -> list[Estimate]:
    out = []
    enrollment = config.enrollment
    auto = enrollment.auto_enrollment
    minimum_age, wait = config.plan_eligibility.minimum_age, config.waiting_period_days()
    in_plan = hires["eligibility_override"].ne(False).fillna(True).astype(bool)
    # hires past eligibility, the auto-enrollment window and the opt-out grace period by Dec 31
    settled = hires["employee_hire_date"] + pd.to_timedelta(wait + auto.window_days + auto.opt_out_grace_period,
                                                            unit="D")
    observed = hires[~hires["left"] & in_plan & (hires["age"] >= minimum_age + 1)
                     & (settled <= pd.to_datetime(hires["year"].astype(str) + "-12-31"))]
    if auto.enabled and len(observed):
        age_seg = _segments(observed["age"], "age")
        income_seg = _segments(observed["employee_gross_compensation"], "income")
        p_opt = (age_seg.map(auto.opt_out_rates.by_age.model_dump())
                 * income_seg.map(auto.opt_out_rates.by_income.model_dump())).clip(0, 1)
        proactive = enrollment.proactive_enrollment
        p_pro = (enrollment.voluntary_enrollment_rate * age_seg.map(proactive.probability_by_demographics.model_dump())
                 ).clip(0, 1) if proactive.enabled else 0.0
        expected = float(((1 - p_pro) * p_opt).sum())
        out_count = float((observed["employee_deferral_rate"].fillna(0) <= 0).sum())
        n = len(observed)
        low, high = hazard_glm.wilson(out_count, n)
        scale = out_count / expected if expected > 0 else None
        out.append(estimate("participation", "opt-out of auto-enrolled hires (scale of the configured rates)",
                            "enrollment.auto_enrollment.opt_out_rates.by_age (x scale)", scale,
                            (low * n / expected, high * n / expected) if expected > 0 else (0, 0), n, "hires", 1.0, k,
                            note=f"{out_count:g} of {n} not enrolled at year end; expected {expected:.1f} "
                            "under the configured rates"))
        enrolled = observed[observed["employee_deferral_rate"].fillna(0) > 0]["employee_deferral_rate"].round(4)
        if len(enrolled):
            mode = float(enrolled.mode().iloc[0])
            share = float((enrolled == mode).mean())
            out.append(estimate("participation", "auto-enrollment default rate (most common rate of enrolled hires)",
                                "enrollment.auto_enrollment.default_deferral_rate", mode if share >= 0.4 else None,
                                (mode, mode), len(enrolled), "hires", auto.default_deferral_rate, k,
                                note=f"{share:.0%} of enrolled hires at {mode:.2%}"
                                + ("" if share >= 0.4 else "; too few to call it the default")))
    # year-over-year: eligible non-participants at Dec 31 of Y-1 who stay and join during Y
    yoy = enrollment.year_over_year_conversion
    eligible_before = (start["age"] - 1 >= minimum_age) & (
        start["employee_hire_date"] + pd.to_timedelta(wait, unit="D")
        <= pd.to_datetime((start["year"] - 1).astype(str) + "-12-31"))
    # last year's hires whose auto-enrollment was still to come on Dec 31 of Y-1 join by it, not by choice
    auto_pending = auto.enabled & start["hired_last_year"] & (
        start["employee_hire_date"] + pd.to_timedelta(wait + auto.window_days + auto.opt_out_grace_period, unit="D")
        > pd.to_datetime((start["year"] - 1).astype(str) + "-12-31"))
    pool = start[start["stayed"] & ~start["enrolled_before"] & eligible_before & ~auto_pending
                 & start["eligibility_override"].ne(False).fillna(True).astype(bool)]
    if yoy.enabled and len(pool):
        p = (enrollment.voluntary_enrollment_rate
             * _segments(pool["age"], "age").map(yoy.base_rates_by_age.model_dump())
             * _segments(pool["employee_gross_compensation"], "income").map(yoy.income_multipliers.model_dump())
             * _segments(pool["tenure"], "tenure").map(yoy.tenure_multipliers.model_dump())).clip(0, 1)
        joined = float((pool["deferral_after"] > 0).sum())
        expected = float(p.sum())
        n = len(pool)
        low, high = hazard_glm.wilson(joined, n)
        out.append(estimate("participation", "year-over-year enrollment (scale of the configured rates)",
                            "enrollment.year_over_year_conversion.base_rates_by_age (x scale)",
                            joined / expected if expected > 0 else None,
                            (low * n / expected, high * n / expected) if expected > 0 else (0, 0), n,
                            "employee-years", 1.0, k,
                            note=f"{joined:g} of {n} eligible non-participants joined; expected {expected:.1f}"))
    stopped = start[start["stayed"] & start["enrolled_before"]]
    if len(stopped):
        count = float((stopped["deferral_after"] <= 0).sum())
        out.append(Estimate("participation", "participants who stopped deferring", "(observed; not modelled)",
                            count / len(stopped), *hazard_glm.wilson(count, len(stopped)), len(stopped),
                            "employee-years", float("nan"), 1.0, float("nan"),
                            "the model has no opt-out of existing participants"))
    return out


def snapshot_profile(snapshots: list[history.Snapshot], config: SimulationConfig) -> pd.DataFrame:
    """Per snapshot: actives, participation of plan-eligible actives, average deferral, deferral mix."""
    rows = []
    for s in snapshots:
        a = s.actives
        age = history.age_in(s.year, a["employee_birth_date"])
        eligible = a[(age >= config.plan_eligibility.minimum_age) & a["eligibility_override"].ne(False).fillna(True)
                     .astype(bool)]
        rate = eligible["employee_deferral_rate"].fillna(0)
        participants = rate[rate > 0]
        rows.append({"year": s.year, "file": str(s.path), "actives": len(a), "rejected_rows": s.rejected,
                     "listed_leavers": len(s.leavers_in(s.year)),
                     "average_pay": float(a["employee_gross_compensation"].mean()),
                     "participation_rate": float((rate > 0).mean()) if len(rate) else float("nan"),
                     "average_deferral_rate": float(participants.mean()) if len(participants) else float("nan"),
                     **{f"deferral_{label}": float(((participants >= lo) & (participants < hi)).mean())
                        if len(participants) else float("nan")
                        for label, lo, hi in (("0-3%", 0, 0.03), ("3-6%", 0.03, 0.06), ("6-10%", 0.06, 0.10),
                                              ("10%+", 0.10, 9))}})
    return pd.DataFrame(rows)


# ---- the overlay ---------------------------------------------------------------------------------

def _fitted(estimates: list[Estimate], target: str) -> float | None:
    found = next((e for e in estimates if e.target == target), None)
    return None if found is None or not math.isfinite(found.fitted) else found.fitted


def _shares(values: dict, digits: int = 6) -> dict:
    """Rounded shares that sum to exactly 1 (the config checks the sum)."""
    total = sum(values.values())
    rounded = {key: round(v / total, digits) for key, v in values.items()}
    largest = max(rounded, key=rounded.get)
    rounded[largest] = round(rounded[largest] + 1 - sum(rounded.values()), digits)
    return rounded


def seed_tables(estimates: list[Estimate]) -> dict[str, pd.DataFrame]:
    """The fitted dbt seeds (same columns as dbt/seeds/<name>.csv)."""
    tables = {}
    for seed, column in (("config_termination_hazard_age_multipliers", "age_band"),
                         ("config_termination_hazard_tenure_multipliers", "tenure_band"),
                         ("config_promotion_hazard_age_multipliers", "age_band"),
                         ("config_promotion_hazard_tenure_multipliers", "tenure_band")):
        rows = [(e.target.split("[")[1][:-1], round(e.fitted, 4)) for e in estimates if e.target.startswith(seed + "[")]
        if rows:
            tables[seed] = pd.DataFrame(rows, columns=[column, "multiplier"])
    base = read_seed("config_termination_hazard_base")[0]
    tables["config_termination_hazard_base"] = pd.DataFrame([{
        "base_rate": float(base["base_rate"]),
        "level_discount_factor": round(_fitted(estimates, "config_termination_hazard_base.level_discount_factor")
                                       or float(base["level_discount_factor"]), 4),
        "min_level_multiplier": round(_fitted(estimates, "config_termination_hazard_base.min_level_multiplier")
                                      or float(base["min_level_multiplier"]), 4)}])
    promotion = read_seed("config_promotion_hazard_base")[0]
    if _fitted(estimates, "config_promotion_hazard_base.base_rate") is not None:
        tables["config_promotion_hazard_base"] = pd.DataFrame([{
            "base_rate": round(_fitted(estimates, "config_promotion_hazard_base.base_rate"), 5),
            "level_dampener_factor": round(_fitted(estimates, "config_promotion_hazard_base.level_dampener_factor")
                                           or float(promotion["level_dampener_factor"]), 4)}])
    ages = {int(e.target.split("[")[1][:-1]): e.fitted for e in estimates
            if e.target.startswith("config_new_hire_age_distribution[") and e.fitted > 0}
    if ages:
        tables["config_new_hire_age_distribution"] = pd.DataFrame(
            sorted((age, weight) for age, weight in _shares(ages).items() if weight > 0),
            columns=["hire_age", "age_weight"])
    return tables


def build_overlay(estimates: list[Estimate], seeds: dict[str, pd.DataFrame], config: SimulationConfig) -> dict:
    overlay: dict = {}

    def put(path: str, value) -> None:
        if value is None:
            return
        node = overlay
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value

    for target in ("simulation.target_growth_rate", "workforce.total_termination_rate",
                   "workforce.new_hire_termination_rate", "compensation.cola_rate", "compensation.merit_budget",
                   "compensation.promotion_compensation.base_increase_pct",
                   "compensation.promotion_compensation.distribution_range",
                   "enrollment.auto_enrollment.default_deferral_rate", "compensation.pay_band_index",
                   "new_hire_compensation.market_adjustments.base_adjustment"):
        value = _fitted(estimates, target)
        put(target, None if value is None else round(max(0.0, value), 5))
    mix = {int(e.target.split("[")[1][:-1]): max(e.fitted, 0.0) for e in estimates
           if e.target.startswith("new_hire_compensation.level_mix[") and e.z > 0}
    if mix and sum(mix.values()) > 0:
        put("new_hire_compensation.level_mix", _shares(mix))
    auto = config.enrollment.auto_enrollment
    scale = _fitted(estimates, "enrollment.auto_enrollment.opt_out_rates.by_age (x scale)")
    if scale is not None:
        rates = auto.opt_out_rates.by_age.model_dump()
        put("enrollment.auto_enrollment.opt_out_rates.by_age", {b: round(min(1.0, r * scale), 5) for b, r in rates.items()})
    scale = _fitted(estimates, "enrollment.year_over_year_conversion.base_rates_by_age (x scale)")
    if scale is not None:
        rates = config.enrollment.year_over_year_conversion.base_rates_by_age.model_dump()
        put("enrollment.year_over_year_conversion.base_rates_by_age",
            {b: round(min(1.0, r * scale), 5) for b, r in rates.items()})
    by_seed = {seed: field for field, (seed, _, _) in TABLES.items()}
    put("seed_tables", {by_seed[name]: [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                                        for row in frame.to_dict("records")]
                        for name, frame in seeds.items()})
    return overlay


# ---- the whole fit -------------------------------------------------------------------------------

def fit(paths: list[Path], config: SimulationConfig, settings: fit_settings.FitSettings) -> FitResult:
    snapshots = history.read_history(paths, max_reject_share=settings.max_reject_share,
                                     min_id_overlap=settings.min_id_overlap)
    pairs = [history.year_observations(a, b) for a, b in zip(snapshots, snapshots[1:])]
    start = pd.concat([p[0] for p in pairs], ignore_index=True)
    hires = pd.concat([p[1] for p in pairs], ignore_index=True)
    k = settings.credibility_k
    estimates = [growth_estimate(snapshots, config, k)]
    estimates += termination_estimates(start, hires, history.lists_leavers(snapshots), config, k)
    estimates += promotion_estimates(start, config, k)
    estimates += pay_estimates(start, config, k)
    estimates += hire_estimates(start, hires, k)
    estimates += hire_pay_estimates(hires, config, k, snapshots[-1].year)
    estimates += participation_estimates(start, hires, config, k)
    seeds = seed_tables(estimates)
    years = snapshot_profile(snapshots, config).merge(pd.DataFrame([{
        "year": int(s["year"].iloc[0]), "start_actives": len(s), "leavers": int((~s["stayed"]).sum()),
        "hires_seen": len(h), "hires_left_same_year": int(h["left"].sum()), "promotions": int(s["promoted"].sum())}
        for s, h in pairs]), on="year", how="left")
    return FitResult(estimates, build_overlay(estimates, seeds, config), seeds, years, k, [str(p) for p in paths])


def write_outputs(result: FitResult, name: str, base_config: Path, scenario_dir: Path, out_dir: Path) -> Path:
    """The overlay (validated against the base config), the seed files and the report; returns the overlay."""
    import fit_report

    overlay_path = scenario_dir / f"fitted_{name}.yaml"
    header = (f"# Fitted by `make fit` to {len(result.files)} snapshots: {' '.join(result.files)}\n"
              f"# Credibility Z = exposure / (exposure + k), k = {result.k:g}; every estimate, its exposure,\n"
              f"# interval and default: {out_dir / 'fit_report.html'} (and .csv). The seed tables below are\n"
              f"# also in {out_dir / 'seeds'}.\n")
    text = header + yaml.safe_dump(result.overlay, sort_keys=False, width=110)
    simconfig.loader.validate_files([(str(base_config), simconfig.loader.load_yaml(base_config)),
                                     (str(overlay_path), yaml.safe_load(text))])
    scenario_dir.mkdir(parents=True, exist_ok=True)
    overlay_path.write_text(text)
    (out_dir / "seeds").mkdir(parents=True, exist_ok=True)
    for seed, frame in result.seeds.items():
        frame.to_csv(out_dir / "seeds" / f"{seed}.csv", index=False)
    pd.DataFrame([asdict(e) for e in result.estimates]).to_csv(out_dir / "fit_report.csv", index=False)
    result.years.to_csv(out_dir / "history_years.csv", index=False)
    (out_dir / "fit_report.html").write_text(fit_report.fit_html(result, name, overlay_path))
    return overlay_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--history", nargs="+", type=Path, required=True, help="year-end snapshots, oldest first")
    parser.add_argument("--name", required=True, help="the overlay is config/scenarios/fitted_<name>.yaml")
    parser.add_argument("--config", type=Path, default=REPO / "config" / "simulation_config.yaml",
                        help="base simulation config (the defaults estimates are blended with)")
    parser.add_argument("--settings", type=Path, help="fit settings (default config/fit.yaml)")
    parser.add_argument("--credibility-k", type=float, help="overrides fit.credibility_k")
    parser.add_argument("--scenario-dir", type=Path, default=REPO / "config" / "scenarios")
    parser.add_argument("--out", type=Path, help="report folder (default results/fit/<name>)")
    args = parser.parse_args(argv)
    try:
        settings = fit_settings.load(args.settings).fit
        if args.credibility_k is not None:
            settings = fit_settings.FitSettings(**{**settings.model_dump(), "credibility_k": args.credibility_k})
        config = simconfig.load(args.config).model
        result = fit(args.history, config, settings)
        out = args.out or REPO / "results" / "fit" / args.name
        overlay = write_outputs(result, args.name, args.config, args.scenario_dir, out)
    except (history.HistoryError, fit_settings.SettingsError, simconfig.ConfigError, ValueError) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    t = next(e for e in result.estimates if e.target == "workforce.total_termination_rate")
    print(f"fit: {len(result.files)} snapshots, experienced termination rate {t.observed:.2%} "
          f"(fitted {t.fitted:.2%}, k = {result.k:g}); overlay {overlay}; report {out / 'fit_report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
