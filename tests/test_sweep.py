"""make sweep (workflow/scripts/sweep.py): the grid and its refinement, Pareto ranking under constraints,
errors that name the file and key, and a real sweep whose candidates read one workforce per seed and
equal the same designs run alone as scenarios."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

import comparison
import sim_runner
import sweep
from conftest import REPO


def _sweep_file(tmp_path, **content) -> object:
    path = tmp_path / "designs.yaml"
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


def test_grid_is_every_combination_and_levers_nest_into_an_overlay():
    levers = {"employer_match.active_formula": ["simple_match", "stretch_match"],
              "enrollment.auto_enrollment.default_deferral_rate": [0.03, 0.06, 0.08]}
    designs = sweep.grid(levers)
    assert len(designs) == 6
    assert designs[0] == {"employer_match.active_formula": "simple_match",
                          "enrollment.auto_enrollment.default_deferral_rate": 0.03}
    assert designs[-1]["enrollment.auto_enrollment.default_deferral_rate"] == 0.08
    assert sweep.nested(designs[1]) == {"employer_match": {"active_formula": "simple_match"},
                                        "enrollment": {"auto_enrollment": {"default_deferral_rate": 0.06}}}


def test_refinement_takes_midpoints_around_the_best_and_skips_designs_already_run():
    levers = {"formula": ["a", "b"], "rate": [0.02, 0.04, 0.08], "years": [2, 3, 6]}
    best = [{"formula": "b", "rate": 0.04, "years": 3}]
    found = sweep.refinements(best, levers, sweep.grid(levers))
    # rate: (0.02+0.04)/2 and (0.04+0.08)/2; years: no whole number between 2 and 3, 4.5 -> not whole; text lever left
    assert found == [{"formula": "b", "rate": 0.03, "years": 3}, {"formula": "b", "rate": 0.06, "years": 3}]
    assert sweep.refinements(best, levers, sweep.grid(levers) + found) == []
    assert sweep.refinements([{"formula": "a", "rate": 0.02, "years": 2}], {"years": [2, 6]},
                             []) == [{"formula": "a", "rate": 0.02, "years": 4}]


def test_period_values_sum_average_or_take_the_last_year():
    summary = pd.DataFrame({"simulation_year": [2026, 2025], "net_employer_cost": [300.0, 100.0],
                            "participation_rate": [0.9, 0.8], "end_headcount": [110, 100]})
    values = comparison.period_values(summary)
    assert values["net_employer_cost"] == 400.0                      # money: summed
    assert values["participation_rate"] == pytest.approx(0.85)       # rates: averaged
    assert values["end_headcount"] == 110                            # a stock: the last year's
    assert pd.isna(values["employer_match"])                         # not in this summary: blank


def test_pareto_fronts_and_rank_under_constraints():
    frame = pd.DataFrame({
        "candidate": ["c1", "c2", "c3", "c4", "c5"],
        "net_employer_cost": [100.0, 120.0, 110.0, 130.0, 90.0],
        "participation_rate": [0.80, 0.90, 0.80, 0.85, 0.95],
        "compliance_pass": [1.0, 1.0, 1.0, 1.0, 0.0],
    })
    config = sweep.SweepConfig(levers={"x": [1]}, constraints=[{"metric": "compliance_pass", "min": 1}])
    ranked = sweep.rank(frame, config).set_index("candidate")
    # c5 beats everyone but fails the constraint; among the rest c1 and c2 are not beaten,
    # c3 is beaten by c1 (costs more, same participation), c4 by c2
    assert not ranked.loc["c5", "feasible"] and pd.isna(ranked.loc["c5", "pareto_front"])
    assert ranked.loc[["c1", "c2", "c3", "c4"], "pareto_front"].tolist() == [1, 1, 2, 2]
    # feasible first, then by front, then by the first objective (cost, minimised)
    assert ranked.sort_values("rank").index.tolist() == ["c1", "c2", "c3", "c4", "c5"]


def test_bad_sweep_files_name_the_file_and_key(tmp_path):
    with pytest.raises(sweep.SweepError, match=r"designs.yaml: levers: .*colour"):
        sweep.load_sweep(_sweep_file(tmp_path, levers={"colour": []}))
    with pytest.raises(sweep.SweepError, match=r"designs.yaml: objective: Extra inputs"):
        sweep.load_sweep(_sweep_file(tmp_path, levers={"a": [1]}, objective=[]))
    with pytest.raises(sweep.SweepError, match=r"unknown metric 'participation'"):
        sweep.load_sweep(_sweep_file(tmp_path, levers={"a": [1]},
                                     objectives=[{"metric": "participation", "goal": "maximize"}]))
    config = REPO / "config" / "simulation_config.yaml"
    # a key the config does not have: the config's own error, naming the candidate and the key
    with pytest.raises(Exception, match=r"designs.yaml \(c001\).*employer_match.active_formla"):
        sweep.check_designs({"c001": sweep.nested({"employer_match.active_formla": "simple_match"})},
                            tmp_path / "designs.yaml", config)
    # a workforce key: refused, naming the workforce var it changes
    with pytest.raises(sweep.SweepError, match=r"c002 changes the workforce \(total_termination_rate\)"):
        sweep.check_designs({"c002": sweep.nested({"workforce.total_termination_rate": 0.2})},
                            tmp_path / "designs.yaml", config)


@pytest.mark.slow
def test_a_sweep_shares_one_workforce_and_each_candidate_equals_its_design_run_alone(tmp_path):
    path = _sweep_file(
        tmp_path,
        levers={"employer_match.active_formula": ["simple_match", "stretch_match"],
                "employer_core_contribution.contribution_rate": [0.0, 0.02]},
        objectives=[{"metric": "net_employer_cost", "goal": "minimize"},
                    {"metric": "participation_rate", "goal": "maximize"}],
        constraints=[{"metric": "employer_cost_share_of_payroll", "max": 0.2}],
        refine={"best": 1}, start_year=2025, end_year=2025, seeds=[3], census_size=400)
    out = tmp_path / "out"
    table = sweep.run_sweep(path, out, cores=2, log=lambda _: None)
    # 4 grid designs, then around the best one the core rate's midpoint 0.01
    assert len(table) == 5 and table["stage"].tolist().count("refine") == 1
    assert set(table.loc[table.stage == "refine", "employer_core_contribution.contribution_rate"]) == {0.01}
    assert table["rank"].tolist() == [1, 2, 3, 4, 5]
    saved = pd.read_csv(out / "candidates.csv")
    assert saved["candidate"].tolist() == table["candidate"].tolist()
    assert (out / "pareto.png").stat().st_size > 0 and (out / "pareto.svg").stat().st_size > 0
    # the workforce was built once per seed, by the first candidate, and read by every other one
    sources = json.loads((out / "sweep.json").read_text())["workforce_from"]["3"]
    assert sources == {"c001": ["built"], **{c: ["c001"] for c in ("c002", "c003", "c004", "c005")}}
    # the levers reached the results: the core rate raises employer core; a front-1 design is beaten by none
    by = table.set_index("candidate")
    assert by.loc["c002", "employer_core"] > by.loc["c005", "employer_core"] > by.loc["c001", "employer_core"] == 0
    for _, best in table[table.pareto_front == 1].iterrows():
        beaten = ((table.net_employer_cost <= best.net_employer_cost)
                  & (table.participation_rate >= best.participation_rate)
                  & ((table.net_employer_cost < best.net_employer_cost)
                     | (table.participation_rate > best.participation_rate)))
        assert not beaten.any(), best.candidate
    # the period values are the summary's (one year here; over years: test_period_values_...)
    run_dir = out / "results" / path.stem
    summary = pd.read_csv(run_dir / "c004" / "seed_3" / "summary.csv")
    assert by.loc["c004", "net_employer_cost"] == pytest.approx(summary.net_employer_cost.sum(), rel=1e-12)
    assert by.loc["c004", "participation_rate"] == pytest.approx(summary.participation_rate.mean(), rel=1e-12)
    # a candidate's overlay, run on its own as a scenario, gives the same results
    overlay = yaml.safe_load((out / "candidates" / "c004.yaml").read_text())
    alone = tmp_path / "alone"
    sim_runner.prepare_workdir(alone, {"c004": overlay})
    simulation = sim_runner.simulate(alone, start=2025, end=2025, scenarios=["c004"], seeds=[3], size=400)
    pd.testing.assert_frame_equal(pd.read_csv(simulation.seed_dir("c004", 3) / "summary.csv"), summary, rtol=1e-12)
    for name in ("snapshot", "events"):
        a, b = (pd.read_parquet(d / "years" / "2025" / f"{name}.parquet").sort_values(list_key(name))
                .reset_index(drop=True) for d in (simulation.seed_dir("c004", 3), run_dir / "c004" / "seed_3"))
        pd.testing.assert_frame_equal(a, b, rtol=1e-12)


def list_key(name: str) -> list[str]:
    return ["employee_id"] if name == "snapshot" else ["employee_id", "event_sequence"]
