"""Keys of the peer's schema (PlanAlign Engine's simulation_config.yaml) that this model
does not implement. They are accepted, so a peer config runs unchanged, and listed once
in a notice (an error with strict_config); any other unknown key is an error.

Patterns: `*` is one key, `**` any subtree, `[]` any item of a list."""
from __future__ import annotations

import re
from functools import lru_cache

# section -> (why the keys have no effect here, patterns below the section)
PEER_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "setup": ("the peer's database set-up", ("**",)),
    "optimization": ("the peer's engine tuning", ("**",)),
    "orchestrator": ("the peer's threading and memory management", ("**",)),
    "multi_year": ("the peer's checkpointing and retries", ("**",)),
    "corporate_network": ("the peer's network settings", ("**",)),
    "ops": ("the peer's Dagster job settings", ("**",)),
    "storage": ("the peer's run storage", ("**",)),
    "employee_id_generation": ("the peer's id formats", ("**",)),
    "plan_year": ("the plan year is the calendar year here", ("**",)),
    "compensation": ("not read by the peer's simulation either", (
        "growth_target", "growth_tolerance", "calculation_methodology", "promotion_increase")),
    "new_hire_compensation": ("alternative pay strategies not modelled", (
        "strategy", "custom_distribution.**", "validation.**", "market_adjustments.scenarios.**")),
    "raise_timing": ("the timing profile is the dbt seed config_raise_timing_distribution", (
        "distribution_profile", "validation_tolerance", "deterministic_behavior")),
    "eligibility": ("not modelled", ("new_hire_eligibility_match_census",)),
    "enrollment": ("not modelled (timing is by day, without calendars or plan overrides)", (
        "timing.**", "multi_year.**", "performance.**", "auto_enrollment.plan_overrides.**",
        "auto_enrollment.opt_out_rates.target", "proactive_enrollment.timing_distribution.**",
        "voluntary_enrollment.annual_enrollment_probability", "voluntary_enrollment.demographic_adjustments.**",
        "voluntary_enrollment.timing_distribution.**", "year_over_year_conversion.deferral_rates.conservative")),
    "deferral_baseline": ("census rates are always used as given", ("**",)),
    "deferral_rates": ("census rates are always used as given (capped at 75 %)", ("**",)),
    "employer_match": ("labels", ("formulas.*.tiers[].tier", "formulas.*.tiers[].description")),
    "employer_core_contribution": ("integration is not modelled", (
        "integration.level_mode", "integration.disparity_rate", "graded_schedule[].tier",
        "graded_schedule[].description")),
}


@lru_cache(maxsize=None)
def _pattern() -> re.Pattern:
    alternatives = []
    for section, (_, patterns) in PEER_KEYS.items():
        for pattern in patterns:
            # "a.**" covers a itself (a whole subtree) and every key below it
            regex = re.escape(f"{section}.{pattern}").replace(r"\.\*\*", "(?:\\..+)?").replace(r"\*", r"[^.\[]+")
            alternatives.append(regex)
    return re.compile("^(?:" + "|".join(alternatives) + ")$")


def is_peer_key(path: str) -> bool:
    """A dotted key path (list items as [n]) that the peer's schema has and this model does not."""
    return bool(_pattern().match(re.sub(r"\[\d+\]", "[]", path)))


def reason(path: str) -> str:
    return PEER_KEYS.get(path.split(".")[0].split("[")[0], ("",))[0]


# Whole sections that configure the peer's own engine: summed up in one line of the notice.
OPERATIONAL = ("setup", "optimization", "orchestrator", "multi_year", "corporate_network", "ops", "storage",
               "employee_id_generation", "plan_year")


def notice(unmodelled: dict[str, tuple[str, ...]]) -> str | None:
    """One short notice: per file, the peer keys with no effect here, grouped by section."""
    lines = []
    for source, keys in unmodelled.items():
        groups: dict[str, list[str]] = {}
        for key in keys:
            section, _, rest = re.sub(r"\[\d+\]", "[]", key).partition(".")
            groups.setdefault(section, [])
            if rest and rest not in groups[section]:
                groups[section].append(rest)
        lines.append(f"{source}: {len(keys)} key(s) of the PlanAlign schema have no effect here:")
        engine = [section for section in groups if section in OPERATIONAL]
        if engine:
            count = sum(1 for key in keys if key.split(".")[0] in OPERATIONAL)
            lines.append(f"  {', '.join(engine)}: {count} settings of the peer's own engine")
        for section, rests in groups.items():
            if section not in OPERATIONAL:
                listed = ", ".join(rests) if len(rests) <= 6 else f"{len(rests)} keys"
                lines.append(f"  {section}: {listed} - {reason(section)}")
    return "\n".join(lines) if lines else None
