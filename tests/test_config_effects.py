"""Every modelled scalar key changes the results: each is perturbed in turn on a small real
run (dbt + DuckDB, in this process) and some year's events or snapshot must differ from the
run with the shipped config. Keys that only act under another setting are tested with the
overlay that makes them apply (their `test_overlay`)."""
from __future__ import annotations

import copy
import datetime
import shutil
from pathlib import Path

import duckdb
import pytest

import census
import foundation
import generate_census
import simconfig
import simulate_year
import sim_io
from test_config_model import SCALAR_KEYS, _node, ours, perturbed_value, with_value
from conftest import REPO

pytestmark = pytest.mark.slow

# Keys whose effect is on the workflow rather than inside a year (tested by the workflow tests).
WORKFLOW_KEYS = {
    "simulation.end_year": "the last year the workflow runs (tests/test_resume_and_determinism.py)",
    "deferral_auto_escalation.require_active_enrollment": "accepts true only (test_config_model.py)",
    "employer_core_contribution.integration.enabled": "accepts false only (test_config_model.py)",
}
FOUNDATION_VARS = ("start_year", "end_year", "irs_limit_index")


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp("effects")
    raw_census = root / "census_raw.parquet"
    generate_census.write_census(generate_census.generate_census(400, 7, datetime.date(2024, 12, 31)), raw_census)
    clean = root / "census.parquet"
    census.prepare_census(raw_census, clean, root / "rejects.csv", datetime.date(2024, 12, 31), 0.05)
    return root, clean


def _digest(con, path) -> str:
    return con.execute(f"select md5(string_agg(r::varchar, '|' order by r::varchar)) "
                       f"from read_parquet('{path}') r").fetchall()[0][0]


FOUNDATIONS: dict[str, Path] = {}


def foundation_for(root, census_path, dbt_vars: dict) -> Path:
    """A built foundation for these vars (only a few vars reach the foundation models)."""
    key = repr([dbt_vars[name] for name in FOUNDATION_VARS])
    if key not in FOUNDATIONS:
        built = root / f"foundation_{len(FOUNDATIONS)}"
        built.mkdir()
        foundation.run_foundation(census_path=census_path, duckdb_path=built / "simulation.duckdb",
                                  baseline_state_path=built / "baseline.parquet", report_path=built / "foundation.json",
                                  project_dir=REPO / "dbt", target_path=built / "target", dbt_vars=dbt_vars,
                                  log=sim_io.JobLog(None))
        FOUNDATIONS[key] = built
    return FOUNDATIONS[key]


def run_digests(root, census_path, name: str, dbt_vars: dict, years: int) -> list[str]:
    run = root / name
    shutil.rmtree(run, ignore_errors=True)
    built = foundation_for(root, census_path, dbt_vars)
    shutil.copytree(built, run, ignore=shutil.ignore_patterns("target"))
    log = sim_io.JobLog(None)
    db = run / "simulation.duckdb"
    state, digests = run / "baseline.parquet", []
    with duckdb.connect() as con:
        for offset in range(years):
            year = dbt_vars["start_year"] + offset
            out = run / str(year)
            simulate_year.run_year(year=year, prev_state_path=state, duckdb_path=db,
                                   events_path=out / "events.parquet", snapshot_path=out / "snapshot.parquet",
                                   state_path=out / "state.parquet", summary_path=out / "summary.json",
                                   project_dir=REPO / "dbt", target_path=run / "target", dbt_vars=dbt_vars,
                                   log=log, quality_gates=False)
            digests += [_digest(con, out / "events.parquet"), _digest(con, out / "snapshot.parquet")]
            state = out / "state.parquet"
    return digests


def test_every_scalar_key_changes_some_output(bench):
    root, census_path = bench
    baselines: dict[str, list[str]] = {}
    without_effect = []
    for path, info in SCALAR_KEYS:
        if path in WORKFLOW_KEYS:
            continue
        extra = info.json_schema_extra or {}
        parent = path.rsplit(".", 1)[0]
        raw = copy.deepcopy(ours())
        for other, value in (extra.get("test_overlay") or {}).items():
            raw = with_value(raw, parent + other if other.startswith(".") else other, value)
        model = simconfig.validate(raw).model
        current = model
        for part in path.split("."):
            current = getattr(current, part)
        target = path
        if isinstance(info.validation_alias, str) and info.validation_alias in _node(raw, parent):
            target = f"{parent}.{info.validation_alias}"
        perturbed = with_value(raw, target, perturbed_value(path, info, current))
        changed = simconfig.dbt_vars(simconfig.validate(perturbed).model)
        base_vars = simconfig.dbt_vars(model)
        key = repr(sorted(base_vars.items()))
        for years in (1, 2):  # most keys act in the first year; escalation and later enrollment in the second
            base_key = f"{key}/{years}"
            if base_key not in baselines:
                baselines[base_key] = run_digests(root, census_path, "base", base_vars, years)
            if run_digests(root, census_path, "perturbed", changed, years) != baselines[base_key]:
                break
        else:
            without_effect.append(path)
    assert without_effect == [], f"keys that changed no output: {without_effect}"
