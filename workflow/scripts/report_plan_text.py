"""The plan design in words, from the scenario's simulation config (the dict of the validated model,
every default filled in): "Match: 100 % of the first 3 % and 50 % of the next 2 % ..."."""
from __future__ import annotations

from simconfig.sections.employer_match import SAFE_HARBOR_MINIMUM
from simconfig.sections.vesting import NAMED_VESTING, SIX_YEAR_GRADED


def pct(share: float | None) -> str:
    """0.035 -> '3.5 %' (a share of pay or a rate, at most two decimals of a percent)."""
    if share is None:
        return "–"
    return f"{round(float(share) * 100, 2):g} %"


def money(amount: float) -> str:
    return f"${float(amount):,.0f}"


def years(count: float) -> str:
    count = float(count)
    return f"{count:g} year" + ("" if count == 1 else "s")


def tiers_text(tiers: list[dict]) -> str:
    """[employee_min, employee_max) tiers of the deferral rate: '100 % of the first 3 % and 50 % of the next 2 %'."""
    parts = []
    for tier in tiers:
        low, high, rate = float(tier["employee_min"]), tier["employee_max"], tier["match_rate"]
        if high is None:
            parts.append(f"{pct(rate)} of deferrals above {pct(low)}" if low > 0 else f"{pct(rate)} of all deferrals")
        elif low == 0:
            parts.append(f"{pct(rate)} of the first {pct(high)}")
        else:
            parts.append(f"{pct(rate)} of the next {pct(float(high) - low)}")
    return _join(parts)


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _tier_match(tiers: list[dict], deferral: float) -> float:
    return sum(float(t["match_rate"]) * max(0.0, min(deferral, 1.0 if t["employee_max"] is None
                                                     else float(t["employee_max"])) - float(t["employee_min"]))
               for t in tiers)


def vesting_text(steps: list[tuple[float, float]]) -> str:
    """(years of service, vested share) steps: 'immediate vesting', '3-year cliff vesting', '6-year graded vesting'."""
    full = min(y for y, share in steps if share >= 1 - 1e-9)
    if full == 0:
        return "immediate vesting"
    partial = [share for y, share in steps if 0 < share < 1 - 1e-9]
    return f"{full:g}-year {'graded' if partial else 'cliff'} vesting"


def _rule_steps(rule: dict) -> list[tuple[float, float]]:
    kind = rule.get("type", "immediate")
    if kind == "immediate":
        return [(0, 1.0)]
    if kind == "cliff":
        return [(0, 0.0), (rule.get("years", 3), 1.0)]
    schedule = rule.get("schedule")
    return [(s["years"], s["vested_pct"]) for s in schedule] if schedule else SIX_YEAR_GRADED


def match_vesting(config: dict) -> str:
    formula = _active_formula(config.get("employer_match", {}))
    if formula.get("immediate_vesting"):
        return vesting_text(NAMED_VESTING["immediate"])
    if formula.get("vesting_schedule"):
        return vesting_text(NAMED_VESTING[formula["vesting_schedule"]])
    return vesting_text(_rule_steps(config.get("vesting", {}).get("match", {})))


def _active_formula(match: dict) -> dict:
    return (match.get("formulas") or {}).get(match.get("active_formula"), {})


def _banded(tiers: list[dict], low: str, high: str, bound, describe) -> str:
    """'25 % of deferrals up to 6 % of pay under 2 years; 50 % ... from 2 years to 5 years; ...';
    bound(number) names a tier boundary ('2 years', 'age 30')."""
    parts = []
    for tier in tiers:
        start, end = tier[low], tier.get(high)
        where = (f"under {bound(end)}" if start == 0 and end is not None else
                 f"from {bound(start)}" if end is None else f"from {bound(start)} to {bound(end)}")
        parts.append(f"{describe(tier)} {where}")
    return "; ".join(parts)


def match_text(config: dict) -> str:
    """The employer match in words, without its vesting."""
    match = config.get("employer_match", {})
    if not match.get("enabled", True):
        return "no employer match"
    status = match.get("employer_match_status", "deferral_based")
    if status in ("graded_by_service", "points_based"):
        tiers = match.get("tenure_match_tiers" if status == "graded_by_service" else "points_match_tiers") or []
        low, high, bound = (("min_years", "max_years", years) if status == "graded_by_service"
                            else ("min_points", "max_points", lambda n: f"{n:g} points"))
        return ("by years of service" if status == "graded_by_service" else "by points (age + service)") + ": " \
            + _banded(tiers, low, high, bound,
            lambda t: f"{pct(t['match_rate'])} of deferrals up to {pct(t['max_deferral_pct'])} of pay")
    formula = _active_formula(match)
    kind = formula.get("type")
    cap = formula.get("max_match_percentage")
    if kind == "simple":
        limit = "all deferrals" if cap is None else f"deferrals up to {pct(cap)} of pay"
        return f"{pct(formula['match_rate'])} of {limit}"
    tiers = formula.get("tiers") or []
    text = tiers_text(tiers)
    if cap is not None and _tier_match(tiers, 1.0) > float(cap) + 1e-12:  # a cap that binds
        text += f", at most {pct(cap)} of pay"
    if kind == "dollar_capped":
        text += f", at most {money(formula['max_match_amount'])} a year"
    if kind in SAFE_HARBOR_MINIMUM:
        minimum = [{"employee_min": lo, "employee_max": hi, "match_rate": rate}
                   for rate, lo, hi in SAFE_HARBOR_MINIMUM[kind]]
        basic = all(abs(_tier_match(tiers, d / 200) - _tier_match(minimum, d / 200)) < 1e-9 for d in range(1, 41))
        name = ("QACA safe harbor" if kind == "qaca" else "safe harbor") + (" (basic)" if basic else " (enhanced)")
        text = f"{name}, {text}"
    return text


def core_text(config: dict) -> str | None:
    """The core (nonelective) contribution in words, without its vesting; None when there is none."""
    core = config.get("employer_core_contribution", {})
    status = core.get("status", "flat")
    if not core.get("enabled", True) or status == "none":
        return None
    if status == "flat":
        text = f"{pct(core.get('contribution_rate', 0.01))} of pay"
    elif status == "graded_by_service":
        text = "by years of service: " + ", ".join(
            f"{pct(t['contribution_rate'])} of pay from {years(t['service_years_min'])}"
            for t in core.get("graded_schedule") or [])
    elif status == "age_banded":
        text = "by age: " + _banded(core.get("age_schedule") or [], "min_age", "max_age", lambda n: f"age {n:g}",
                                    lambda t: f"{pct(t['contribution_rate'])} of pay")
    else:
        text = "by points (age + service): " + _banded(core.get("points_schedule") or [], "min_points",
                                                       "max_points", lambda n: f"{n:g} points",
                                                       lambda t: f"{pct(t['contribution_rate'])} of pay")
    return ("safe-harbor nonelective, " if core.get("safe_harbor") else "") + text


def core_vesting(config: dict) -> str:
    return vesting_text(_rule_steps(config.get("vesting", {}).get("core", {"type": "graded"})))


def enrollment_text(config: dict) -> str:
    auto = config.get("enrollment", {}).get("auto_enrollment", {})
    if not auto.get("enabled", False):
        return "no auto-enrollment"
    who = "for all eligible employees" if auto.get("scope") == "all_eligible_employees" else "for new hires"
    if auto.get("hire_date_cutoff"):
        who += f" hired on or after {auto['hire_date_cutoff']}"
    return f"auto-enrollment at {pct(auto.get('default_deferral_rate', 0.06))} {who}"


def escalation_text(config: dict) -> str:
    escalation = config.get("deferral_auto_escalation", {})
    if not escalation.get("enabled", False):
        return "no automatic escalation"
    text = f"escalation {pct(escalation.get('increment_amount', 0.01))} a year to {pct(escalation.get('maximum_rate'))}"
    if escalation.get("hire_date_cutoff"):
        text += f" for those hired on or after {escalation['hire_date_cutoff']}"
    return text


def plan_design_sentence(config: dict) -> str:
    """One sentence: match (vesting); core (vesting); auto-enrollment; escalation."""
    match = match_text(config)
    parts = ["No employer match" if match == "no employer match" else f"Match: {match} ({match_vesting(config)})"]
    core = core_text(config)
    parts.append("no core contribution" if core is None else f"core: {core} ({core_vesting(config)})")
    parts += [enrollment_text(config), escalation_text(config)]
    return "; ".join(parts) + "."
