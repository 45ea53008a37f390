"""Every modelled scalar key changes the results: each is perturbed in turn on a small real
run (dbt + DuckDB) and some year's events, snapshot or summary must differ from the run with the
shipped config. Keys that only act under another setting are tested with the overlay that
makes them apply (their `test_overlay`). Of a table of named values (rates by age band, by
pay band, ...) one entry is perturbed here: the entries reach the SQL through one map
lookup, and test_config_model.py checks that every entry reaches the dbt vars.

Two worker processes (one per core) share the keys; each keeps dbt's parse in memory."""
from __future__ import annotations

import copy
import datetime
import json
import multiprocessing
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

import simconfig
from run_summary import RUN_FACTS
from simconfig.base import BandTable
from simconfig.model import SimulationConfig
from test_config_model import SCALAR_KEYS, _node, ours, overlays, perturbed_value, with_value

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

# Keys whose effect is on the workflow rather than inside a year, or that accept one value.
NOT_IN_A_YEAR = {
    "simulation.end_year": "the last year the workflow runs (tests/test_resume_and_determinism.py)",
    "deferral_auto_escalation.require_active_enrollment": "accepts true only (test_config_model.py)",
    "employer_core_contribution.integration.enabled": "accepts false only (test_config_model.py)",
    "deferral_match_response.upward_partial_increase_rate": "must equal 1 - upward_maximize_rate",
    "deferral_match_response.downward_partial_decrease_rate": "must equal 1 - downward_reduce_to_max_rate",
}
# Keys that act only on a census the generated one is not (a failing ADP/ACP test, more than a
# fifth of employees paid above the HCE threshold): tests/test_compliance.py shows each effect.
ON_A_COMPLIANCE_CENSUS = {
    "compliance.adp_correction": "test_a_qnec_is_the_smallest_rate_that_passes_and_is_employer_cost",
    "compliance.acp_correction": "test_acp_fails_under_a_stretch_match_and_is_corrected_by_refund_or_qmac",
    "compliance.hce_top_paid_group": "test_the_top_paid_group_election_keeps_hces_to_the_top_fifth",
}
YEARS = 2  # simulated per key: a key that changes nothing in two years has no effect
FOUNDATION_VARS = ("start_year", "end_year", "irs_limit_index")


def keys_to_perturb() -> list[str]:
    """Every scalar key; of a table of named values its second entry (the first is often a band
    the small census has nobody in, such as pay under $50,000)."""
    keys = []
    for path, _ in SCALAR_KEYS:
        table, name = path.rsplit(".", 1)
        if path in NOT_IN_A_YEAR or path in ON_A_COMPLIANCE_CENSUS:
            continue
        model = _model_at(table)
        if issubclass(model, BandTable) and name != list(model.model_fields)[1]:
            continue
        keys.append(path)
    return keys


def _model_at(path: str):
    model = SimulationConfig
    for part in path.split("."):
        model = simconfig.loader._unwrap(model.model_fields[part].annotation)
    return model


# ---- one worker process ---------------------------------------------------------------------------

_STATE: dict = {}


def _init_worker(tmp_path: Path) -> None:
    sys.path[:0] = [str(REPO / "workflow" / "scripts"), str(REPO / "tests")]
    import census
    import generate_census

    root = Path(tempfile.mkdtemp(prefix="worker_", dir=tmp_path))  # pytest keeps the last few tmp_paths
    raw = root / "census_raw.parquet"
    generate_census.write_census(generate_census.generate_census(400, 7, datetime.date(2024, 12, 31)), raw)
    census.prepare_census(raw, root / "census.parquet", root / "rejects.csv", datetime.date(2024, 12, 31), 0.05)
    _STATE.update(root=root, census=root / "census.parquet", foundations={}, baselines={})


def _foundation(dbt_vars: dict) -> Path:
    import foundation
    import sim_io

    key = repr([dbt_vars[name] for name in FOUNDATION_VARS])
    if key not in _STATE["foundations"]:
        built = _STATE["root"] / f"foundation_{len(_STATE['foundations'])}"
        built.mkdir()
        foundation.run_foundation(census_path=_STATE["census"], duckdb_path=built / "simulation.duckdb",
                                  baseline_state_path=built / "baseline.parquet", report_path=built / "foundation.json",
                                  project_dir=REPO / "dbt", target_path=built / "target", dbt_vars=dbt_vars,
                                  log=sim_io.JobLog(None))
        _STATE["foundations"][key] = built
    return _STATE["foundations"][key]


def _year_digests(dbt_vars: dict, run: Path):
    """Digests of each year's events, snapshot and summary figures of a run from the shipped
    census in the directory `run`, one list a year, yielded as each year is built: a caller that
    has seen a difference stops there."""
    import dbt_runner
    import sim_io
    import simulate_year

    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(_foundation(dbt_vars), run, ignore=shutil.ignore_patterns("target"))
    state, summary = run / "baseline.parquet", None
    with duckdb.connect() as con:
        for offset in range(YEARS):
            year = dbt_vars["start_year"] + offset
            out = run / str(year)
            try:
                simulate_year.run_year(year=year, prev_state_path=state, duckdb_path=run / "simulation.duckdb",
                                       events_path=out / "events.parquet", snapshot_path=out / "snapshot.parquet",
                                       state_path=out / "state.parquet", summary_path=out / "summary.json",
                                       project_dir=REPO / "dbt", target_path=run / "target", dbt_vars=dbt_vars,
                                       log=sim_io.JobLog(None), quality_gates=False, prev_summary_path=summary)
            finally:  # as a workflow job does: the next build opens its own file afresh
                dbt_runner.release_database()
            digests = [con.execute(
                "select md5(string_agg(r::varchar, '|' order by r::varchar)) from read_parquet(?) r",
                [str(out / f"{name}.parquet")]).fetchall()[0][0] for name in ("events", "snapshot")]
            summary = out / "summary.json"
            figures = {k: v for k, v in sim_io.read_json(summary).items() if k not in RUN_FACTS}
            digests.append(json.dumps(figures, sort_keys=True, default=str))
            state = out / "state.parquet"
            yield digests


def _baseline_year(base_vars: dict, year: int) -> list[str]:
    """The digests of one year of the run without the perturbation, built only as far as a key
    needs it (each baseline keeps its own directory, so its run continues where it stopped)."""
    key = repr(sorted(base_vars.items()))
    if key not in _STATE["baselines"]:
        run = _STATE["root"] / f"baseline_{len(_STATE['baselines'])}"
        _STATE["baselines"][key] = ([], _year_digests(base_vars, run))
    built, years = _STATE["baselines"][key]
    while len(built) <= year:
        built.append(next(years))
    return built[year]


def changes_some_output(path: str) -> tuple[str, bool]:
    info = dict(SCALAR_KEYS)[path]
    parent = path.rsplit(".", 1)[0]
    raw = copy.deepcopy(ours())
    for other, value in overlays(path).items():
        raw = with_value(raw, other, value)
    model = simconfig.validate(raw).model
    current = model
    for part in path.split("."):
        current = getattr(current, part)
    target = path
    if isinstance(info.validation_alias, str) and info.validation_alias in _node(raw, parent):
        target = f"{parent}.{info.validation_alias}"  # the file spells it with the peer's alias
    reference = simconfig.validate(ours()).model  # the shipped plan is in force; perturbations are designs
    base_vars = simconfig.dbt_vars(model, reference=reference)
    perturbed = with_value(raw, target, perturbed_value(path, info, current))
    changed_vars = simconfig.dbt_vars(simconfig.validate(perturbed).model, reference=reference)
    # most keys act in the first year; escalation and later enrollment in the second
    for year, digests in enumerate(_year_digests(changed_vars, _STATE["root"] / "run")):
        if digests != _baseline_year(base_vars, year):
            return path, True
    return path, False


def test_every_scalar_key_changes_some_output(tmp_path):
    keys = keys_to_perturb()
    assert len(keys) > 60
    with multiprocessing.get_context("spawn").Pool(2, initializer=_init_worker, initargs=(tmp_path,)) as pool:
        results = dict(pool.imap_unordered(changes_some_output, keys))
    without_effect = sorted(path for path, changed in results.items() if not changed)
    assert without_effect == [], f"keys that changed no output: {without_effect}"


def test_compliance_keys_have_their_effect_tests():
    import test_compliance

    scalar = {path for path, _ in SCALAR_KEYS}
    for path, test_name in ON_A_COMPLIANCE_CENSUS.items():
        assert path in scalar, path
        assert callable(getattr(test_compliance, test_name, None)), (path, test_name)
