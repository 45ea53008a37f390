"""make fit: fitting a generated five-year history recovers the known rates, in the model's own
terms; bad history input stops with one line naming the file."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import fit_history
import fit_settings
import history
import simconfig
from history_helpers import TENURE_MULTIPLIERS, history as generated_history

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "config" / "simulation_config.yaml"


def fit_to(paths, tmp_path, name="test", k=100.0):
    config = simconfig.load(BASE).model
    result = fit_history.fit(list(paths), config, fit_settings.FitSettings(credibility_k=k))
    overlay = fit_history.write_outputs(result, name, BASE, tmp_path / "scenarios", tmp_path / "fit")
    return result, overlay


def by_target(result) -> dict:
    return {e.target: e for e in result.estimates}


@pytest.mark.slow
def test_fit_recovers_an_18_percent_history_and_its_tenure_order(tmp_path):
    result, overlay = fit_to(generated_history(0.18, 2000), tmp_path)
    estimates = by_target(result)
    rate = estimates["workforce.total_termination_rate"]
    assert abs(rate.observed - 0.18) <= 0.015 and abs(rate.fitted - 0.18) <= 0.015, rate
    assert rate.low < 0.18 < rate.high
    # the tenure bands keep the generator's order (which is not the shipped seed's)
    fitted = {band: estimates[f"config_termination_hazard_tenure_multipliers[{band}]"].fitted
              for band in TENURE_MULTIPLIERS}
    assert sorted(fitted, key=fitted.get, reverse=True) == sorted(TENURE_MULTIPLIERS, key=TENURE_MULTIPLIERS.get,
                                                                   reverse=True), fitted
    # the other known assumptions: the shipped config's values
    assert abs(estimates["workforce.new_hire_termination_rate"].observed - 0.25) <= 0.01
    assert abs(estimates["simulation.target_growth_rate"].observed - 0.03) <= 0.001
    assert abs(estimates["compensation.cola_rate"].observed - 0.015) <= 0.001
    assert abs(estimates["compensation.merit_budget"].observed - 0.020) <= 0.001
    assert abs(estimates["compensation.promotion_compensation.base_increase_pct"].observed - 0.20) <= 0.01

    # the overlay is a valid scenario carrying the fitted values and seed tables, k stated
    text = overlay.read_text()
    assert "k = 100" in text
    loaded = simconfig.load(BASE, overlay).model
    assert loaded.workforce.total_termination_rate == pytest.approx(rate.fitted, abs=1e-5)
    tenure_rows = {r.tenure_band: r.multiplier for r in loaded.seed_tables.termination_hazard_tenure_multipliers}
    assert tenure_rows == pytest.approx({b: round(v, 4) for b, v in fitted.items()})
    seed_file = pd.read_csv(tmp_path / "fit" / "seeds" / "config_termination_hazard_tenure_multipliers.csv")
    assert list(seed_file.columns) == ["tenure_band", "multiplier"] and len(seed_file) == 5

    # the report lists every estimate with its exposure, interval, default and credibility
    report = pd.read_csv(tmp_path / "fit" / "fit_report.csv")
    assert {"observed", "low", "high", "exposure", "default", "z", "fitted"} <= set(report.columns)
    row = report[report["target"] == "workforce.total_termination_rate"].iloc[0]
    assert row["exposure"] > 5000 and row["z"] == pytest.approx(row["exposure"] / (row["exposure"] + 100))
    html = (tmp_path / "fit" / "fit_report.html").read_text()
    assert "k = 100" in html and "experienced termination rate" in html


@pytest.mark.slow
def test_fit_recovers_an_8_percent_history(tmp_path):
    result, _ = fit_to(generated_history(0.08, 1000), tmp_path)
    rate = by_target(result)["workforce.total_termination_rate"]
    assert abs(rate.observed - 0.08) <= 0.01 and abs(rate.fitted - 0.08) <= 0.01, rate


# ---- credibility and settings ---------------------------------------------------------------------

def test_credibility_blends_a_cell_of_k_half_way():
    e = fit_history.estimate("g", "n", "t", 0.30, (0.2, 0.4), 50.0, "employee-years", 0.10, k=50.0)
    assert e.z == pytest.approx(0.5) and e.fitted == pytest.approx(0.20)
    empty = fit_history.estimate("g", "n", "t", None, (0, 0), 0.0, "employee-years", 0.10, k=50.0)
    assert empty.z == 0 and empty.fitted == 0.10


def test_settings_reject_unknown_keys_naming_them(tmp_path):
    path = tmp_path / "fit.yaml"
    path.write_text("fit:\n  credibility_kk: 50\n")
    with pytest.raises(fit_settings.SettingsError, match=r"fit\.yaml: key 'fit\.credibility_kk'"):
        fit_settings.load(path)
    path.write_text("backtest:\n  thresholds:\n    headcont: {warn: 0.1, fail: 0.2}\n")
    with pytest.raises(fit_settings.SettingsError, match="unknown metric 'backtest.thresholds.headcont'"):
        fit_settings.load(path)
    path.write_text("fit:\n  credibility_k: 50\nbacktest:\n  seeds: [1, 2, 3]\n")
    settings = fit_settings.load(path)
    assert settings.fit.credibility_k == 50 and settings.backtest.seeds == [1, 2, 3]
    assert settings.backtest.thresholds["headcount"].fail == 0.03


def test_seed_tables_must_name_every_band():
    with pytest.raises(simconfig.ConfigError, match="seed_tables.termination_hazard_tenure_multipliers"):
        simconfig.validate({"seed_tables": {"termination_hazard_tenure_multipliers": [
            {"tenure_band": "< 2", "multiplier": 1.0}]}})


# ---- bad history input ---------------------------------------------------------------------------

def snapshot(path: Path, ids: list[str], year: int) -> Path:
    pd.DataFrame({"employee_id": ids, "employee_birth_date": "1980-05-01",
                  "employee_hire_date": [f"{year - 1 - i % 5}-03-01" for i in range(len(ids))],
                  "employee_gross_compensation": 60000}).to_csv(path, index=False)
    return path


def run_fit_cli(*files: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "workflow" / "scripts" / "fit_history.py"), "--history",
                           *map(str, files), "--name", "bad", "--scenario-dir", str(tmp_path / "s"),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=REPO)


def test_a_snapshot_with_no_id_in_common_names_the_file(tmp_path):
    first = snapshot(tmp_path / "census_2024.csv", [f"A{i}" for i in range(50)], 2024)
    second = snapshot(tmp_path / "census_2025.csv", [f"B{i}" for i in range(50)], 2025)
    with pytest.raises(history.HistoryError, match=f"{second}: no employee id in common with {first}"):
        history.read_history([first, second])
    result = run_fit_cli(first, second, tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and str(second) in result.stderr and "ERROR:" in result.stderr
    assert not (tmp_path / "s").exists()


def test_snapshots_out_of_order_or_a_year_apart_name_the_file(tmp_path):
    ids = [f"A{i}" for i in range(50)]
    a = snapshot(tmp_path / "census_2025.csv", ids, 2025)
    b = snapshot(tmp_path / "census_2024.csv", ids, 2024)
    with pytest.raises(history.HistoryError, match=f"{b}: dates out of order"):
        history.read_history([a, b])
    c = snapshot(tmp_path / "census_2027.csv", ids, 2027)
    with pytest.raises(history.HistoryError, match=f"{c}: as of Dec 31 2027.*one year apart"):
        history.read_history([a, c])
    # hire dates after the year the file is named for: rejected rows, an error naming the file
    late = snapshot(tmp_path / "census_2023.csv", ids, 2026)
    with pytest.raises(history.HistoryError, match=f"{late}: 20 of 50 rows rejected as of Dec 31 2023 .*hire_date after"):
        history.read_history([late, a])


def test_an_unreadable_or_missing_snapshot_names_the_file(tmp_path):
    good = snapshot(tmp_path / "census_2024.csv", ["A1", "A2"], 2024)
    broken = tmp_path / "census_2025.csv"
    broken.write_bytes(b"\xff\xfe\x00garbage\x00\x01")
    result = run_fit_cli(good, broken, tmp_path=tmp_path)
    assert result.returncode == 2 and str(broken) in result.stderr
    assert result.stderr.strip().count("\n") == 0
    with pytest.raises(history.HistoryError, match="census file not found: .*nowhere_2025.csv"):
        history.read_history([good, tmp_path / "nowhere_2025.csv"])
    with pytest.raises(history.HistoryError, match="two or more snapshots"):
        history.read_history([good])
