"""make backtest on a generated five-year history (known termination rate 18 %): the fitted
overlay runs as a scenario through the real workflow, tracks the held-out year better than the
defaults, its headcount, hires and terminations fall inside the P10-P90 band of the replicates,
and the defaults' wrong termination rate (12 % against the known 18 %) is flagged."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import backtest
import fit_settings
from history_helpers import history as generated_history

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scorecard(tmp_path_factory) -> tuple[pd.DataFrame, Path]:
    out = tmp_path_factory.mktemp("backtest")
    settings = fit_settings.Settings(backtest=fit_settings.BacktestSettings(seeds=[42, 43, 44, 45, 46]))
    card = backtest.backtest(list(generated_history(0.18, 2000)), 2027, "test",
                             REPO / "config" / "simulation_config.yaml", settings, out)
    return card, out


def row(card: pd.DataFrame, run: str, metric: str) -> pd.Series:
    return card[(card["run"] == run) & (card["metric"] == metric)].iloc[0]


def test_actual_headcount_hires_and_terminations_are_inside_the_fitted_band(scorecard):
    card, _ = scorecard
    for metric in ("headcount", "hires", "terminations"):
        r = row(card, "fitted", metric)
        assert r["inside_band"] and r["p10"] <= r["actual"] <= r["p90"], r.to_dict()


def test_the_fitted_overlay_tracks_the_history_better_than_the_defaults(scorecard):
    card, _ = scorecard
    headline = ["hires", "terminations", "promotions", "average_pay", "participation_rate", "average_deferral_rate"]
    fitted = {m: row(card, "fitted", m)["error"] for m in headline}
    defaults = {m: row(card, "defaults", m)["error"] for m in headline}
    assert sum(fitted.values()) < sum(defaults.values()), (fitted, defaults)
    for metric in ("hires", "terminations"):
        assert fitted[metric] < defaults[metric] / 5, (metric, fitted[metric], defaults[metric])
    # the fitted scenario really ran: its predictions differ from the defaults'
    assert row(card, "fitted", "hires")["predicted"] != row(card, "defaults", "hires")["predicted"]


def test_a_wrong_termination_assumption_is_flagged(scorecard):
    card, out = scorecard
    wrong = row(card, "defaults", "terminations")
    assert wrong["error"] > wrong["fail"] and wrong["status"] == "FAIL" and not wrong["inside_band"]
    assert row(card, "fitted", "terminations")["status"] == "PASS"
    written = pd.read_csv(out / "scorecard.csv")
    assert len(written) == len(card) and {"p10", "p90", "inside_band", "warn", "fail", "status"} <= set(written)
    html = (out / "scorecard.html").read_text()
    assert "FAIL" in html and "P10 - P90" in html
    assert (out / "fit" / "fit_report.html").exists()
