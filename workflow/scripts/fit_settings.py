"""Settings of `make fit` and `make backtest` (config/fit.yaml, optional): credibility, input
checks, the backtest's seeds and the scorecard's thresholds. Unknown keys are errors that
name the file and the key."""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "config" / "fit.yaml"
METRICS = ("headcount", "hires", "terminations", "promotions", "average_pay", "participation_rate",
           "average_deferral_rate", "age_mix")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class FitSettings(_Strict):
    credibility_k: float = Field(100.0, gt=0, description="Credibility constant in exposure units (employee-years, "
                                 "or hires): Z = exposure / (exposure + k); a cell of k employee-years is "
                                 "half fitted, half default. 100 is about the Buhlmann k = p(1-p) / s^2 of a "
                                 "yearly rate p near 12 % that differs between employers by s near 3 points.")
    max_reject_share: float = Field(0.05, ge=0, le=1, description="A snapshot with more rejected rows than this "
                                    "share is an error.")
    min_id_overlap: float = Field(0.5, gt=0, le=1, description="Share of a snapshot's actives that must appear in "
                                  "the next snapshot (ids matched); less is an error (not the same employer, or "
                                  "re-coded ids).")


class Threshold(_Strict):
    warn: float = Field(..., ge=0, description="Relative error (|predicted - actual| / actual) above which the "
                        "metric is flagged WARN; for age_mix the largest difference of band shares.")
    fail: float = Field(..., ge=0, description="Error above which the metric FAILs.")


def _thresholds() -> dict[str, Threshold]:
    return {"headcount": Threshold(warn=0.01, fail=0.03), "hires": Threshold(warn=0.10, fail=0.20),
            "terminations": Threshold(warn=0.10, fail=0.20), "promotions": Threshold(warn=0.15, fail=0.30),
            "average_pay": Threshold(warn=0.01, fail=0.03), "participation_rate": Threshold(warn=0.03, fail=0.08),
            "average_deferral_rate": Threshold(warn=0.05, fail=0.10), "age_mix": Threshold(warn=0.02, fail=0.05)}


class BacktestSettings(_Strict):
    seeds: list[int] = Field([42, 43, 44, 45, 46], min_length=2, description="Seeds of the holdout simulation; "
                             "the P10-P90 band is taken over them.")
    thresholds: dict[str, Threshold] = Field(default_factory=_thresholds, description="Warn/fail thresholds by "
                                             f"metric ({', '.join(METRICS)}); metrics left out keep the default.")


class Settings(_Strict):
    fit: FitSettings = Field(default_factory=FitSettings)
    backtest: BacktestSettings = Field(default_factory=BacktestSettings)


class SettingsError(ValueError):
    """config/fit.yaml is not valid; the message names the file and the key."""


def load(path: Path | None = None) -> Settings:
    """The settings in `path` (default config/fit.yaml; a missing default file means all defaults)."""
    source = path or DEFAULT_FILE
    if not source.exists():
        if path is not None:
            raise SettingsError(f"{source}: settings file not found")
        return Settings()
    try:
        raw = yaml.safe_load(source.read_text()) or {}
    except yaml.YAMLError as error:
        raise SettingsError(f"{source}: not valid YAML ({' '.join(str(error).split())})") from None
    thresholds = (raw.get("backtest") or {}).get("thresholds") if isinstance(raw, dict) else None
    if isinstance(thresholds, dict):
        unknown = sorted(set(thresholds) - set(METRICS))
        if unknown:
            raise SettingsError(f"{source}: unknown metric 'backtest.thresholds.{unknown[0]}'; the metrics are: "
                                f"{', '.join(METRICS)}")
        raw["backtest"]["thresholds"] = {**_thresholds(), **{k: Threshold.model_validate(v) if isinstance(v, dict)
                                                              else v for k, v in thresholds.items()}}
    try:
        return Settings.model_validate(raw)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        message = "is not a key here" if first["type"] == "extra_forbidden" else first["msg"].lower()
        raise SettingsError(f"{source}: key '{where}': {message}") from None
