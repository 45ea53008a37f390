"""Account balances on real runs: the roll of every account to the cent, census balances as
the first opening balances, returns by their timing convention, forfeitures and how they are
used, payouts of leavers, and the readiness projection checked by hand for one employee."""
from __future__ import annotations

import pandas as pd
import pytest

import census as census_module
from conftest import new_workdir, results_dir, simulate, snakemake, write_census
from runs import census_dir

pytestmark = pytest.mark.slow

SOURCES = ("pre_tax", "roth", "after_tax", "match", "core", "rollover", "loan")
NO_EXITS = """
workforce:
  total_termination_rate: 0.0
  new_hire_termination_rate: 0.0
  retirement: {enabled: false}
"""


def _overlay(workdir, name: str, text: str) -> str:
    (workdir / "config" / "scenarios" / f"{name}.yaml").write_text(text)
    return name


def _accounts(run) -> pd.DataFrame:
    with run.db() as con:
        return con.execute("select * from fct_account_balances order by simulation_year, employee_id").df()


def _summary(run) -> pd.DataFrame:
    return pd.read_csv(run.run_dir / "summary.csv").set_index("simulation_year")


@pytest.fixture(scope="module")
def balance_run(tmp_path_factory):
    return simulate(new_workdir(tmp_path_factory.mktemp("balances")), size=800, end=2027)


def test_every_account_rolls_forward_to_the_cent(balance_run):
    accounts = _accounts(balance_run)
    for source in (*SOURCES, "total"):
        rolled = (accounts[f"opening_{source}"] + accounts[f"contributions_{source}"] + accounts[f"earnings_{source}"]
                  - accounts[f"forfeitures_{source}"] - accounts[f"distributions_{source}"])
        assert ((accounts[f"closing_{source}"] - rolled).abs() < 0.005).all(), source
    # each year opens where the previous one closed, for every account still held
    for year in balance_run.years[1:]:
        before = accounts[(accounts.simulation_year == year - 1) & (accounts.account_status != "paid_out")]
        after = accounts[accounts.simulation_year == year].set_index("employee_id")
        carried = before[before.employment_status == "active"].employee_id.tolist() + \
            before[before.account_status == "deferred_vested"].employee_id.tolist()
        assert set(carried) <= set(after.index)
        for source in SOURCES:
            opening = after.loc[before.employee_id, f"opening_{source}"].to_numpy()
            assert (abs(opening - before[f"closing_{source}"].to_numpy()) < 0.005).all(), (year, source)
    # money that leaves is accounted for: paid-out accounts close at zero and never come back
    paid = accounts[accounts.account_status == "paid_out"]
    assert len(paid) > 0 and (paid.closing_total.abs() < 0.005).all()
    later = accounts.merge(paid[["employee_id", "simulation_year"]], on="employee_id", suffixes=("", "_paid"))
    assert (later.simulation_year <= later.simulation_year_paid).all()
    # the summary's plan assets are the snapshot's balances, actives and former employees alike
    summary = _summary(balance_run)
    snapshots = balance_run.snapshots(with_former=True)
    by_year = snapshots.groupby("simulation_year").account_balance_eoy.sum()
    assert ((summary.total_plan_assets - by_year).abs() < 0.01).all()
    assert (snapshots.groupby("simulation_year").employment_status.apply(lambda s: (s == "deferred_vested").sum())
            .iloc[1:] > 0).all()


def test_census_balances_are_the_first_opening_balances(balance_run):
    census = pd.read_parquet(census_dir(balance_run.run_dir) / "census.parquet").set_index("employee_id")
    first = _accounts(balance_run).query("simulation_year == 2025").set_index("employee_id")
    census = census.loc[census.index.intersection(first.index)]
    assert len(census) > 700 and census.balance_pre_tax.sum() > 0 and census.loan_balance.sum() > 0
    for source in SOURCES:
        column = "loan_balance" if source == "loan" else f"balance_{source}"
        assert (abs(first.loc[census.index, f"opening_{source}"] - census[column].fillna(0)) < 0.005).all(), source
    # former employees in the census who still hold a balance are deferred vested accounts
    former = census[(census.active == False) & (census.balance_pre_tax > 0)]  # noqa: E712
    assert len(former) > 0 and (first.loc[former.index, "employment_status"] == "deferred_vested").all()


def test_a_census_without_balances_starts_at_zero_and_says_so(tmp_path):
    workdir = new_workdir(tmp_path)
    path = write_census(workdir / "census.csv", ["Employee ID", "Date of Birth", "Hire Date", "Annual Salary"])
    run = simulate(workdir, start=2025, end=2025, extra={"census": str(path)}, reports=True)
    summary = _summary(run)
    assert summary.loc[2025, "plan_assets_boy"] == 0 and summary.loc[2025, "total_plan_assets"] > 0
    report = (run.run_dir / "report" / "report.html").read_text()
    assert "no account balances" in report


def test_zero_return_and_five_percent_follow_the_timing_convention(tmp_path):
    workdir = new_workdir(tmp_path)
    zero = _overlay(workdir, "zero_return", NO_EXITS + "investment_returns: {annual_rate: 0.0}\n")
    five = _overlay(workdir, "five_percent", NO_EXITS + "investment_returns: {annual_rate: 0.05}\n")
    snakemake(workdir, config={"census_size": 400, "start_year": 2025, "end_year": 2026,
                               "scenarios": f"[{zero},{five}]", "reports": False})
    runs = {name: results_dir(workdir) / name / "seed_42" for name in (zero, five)}
    import duckdb
    frames = {name: duckdb.connect(str(path / "simulation.duckdb"), read_only=True)
              .execute("select * from fct_account_balances").df() for name, path in runs.items()}
    flat = frames[zero]
    employees = flat[flat.employment_status != "deferred_vested"]  # the census's former employees may be paid
    assert (employees.employment_status == "active").all() and employees.distributions_total.sum() == 0
    assert ((employees.closing_total - (employees.opening_total + employees.contributions_total)).abs() < 0.005).all()
    assert (flat.earnings_total == 0).all() and (flat.forfeitures_total == 0).all()
    grown = frames[five]
    # a full year of contributions earns half a year's return (they come in through the year)
    full_year = grown[grown.contribution_weight == 0.5]
    assert len(full_year) > 300
    for source in ("pre_tax", "roth", "match", "core"):
        exact = 0.05 * (full_year[f"opening_{source}"] + 0.5 * full_year[f"contributions_{source}"])
        assert ((full_year[f"earnings_{source}"] - exact).abs() <= 0.005 + 1e-9).all(), source  # to the cent
    # hires contribute for part of the year: their weight is the share of the year left at the midpoint
    hires = grown[(grown.contribution_weight < 0.5) & (grown.employment_status == "active")]
    assert len(hires) > 0 and (hires.contribution_weight > 0).all()
    summary = pd.read_csv(runs[five] / "summary.csv").set_index("simulation_year")
    assert summary.loc[2025, "investment_earnings"] == pytest.approx(
        0.05 * (summary.loc[2025, "plan_assets_boy"] + 0.5 * summary.loc[2025, "account_contributions"]), rel=0.01)


def test_forfeitures_start_in_year_one_and_are_used_as_configured(tmp_path):
    workdir = new_workdir(tmp_path)
    later = _overlay(workdir, "next_year", "forfeitures: {timing: next_year}\n")
    expenses = _overlay(workdir, "expenses", "forfeitures: {use: pay_plan_expenses}\n")
    snakemake(workdir, config={"census_size": 800, "start_year": 2025, "end_year": 2026,
                               "scenarios": f"[baseline,{later},{expenses}]", "reports": False})
    summaries = {name: pd.read_csv(results_dir(workdir) / name / "seed_42" / "summary.csv").set_index("simulation_year")
                 for name in ("baseline", later, expenses)}
    same = summaries["baseline"]
    # census match balances under the 3-year cliff: the year's leavers forfeit from year one
    assert (same.forfeitures > 0).all()
    for name, summary in summaries.items():  # the workforce and so the forfeitures do not depend on the use
        assert (summary.forfeitures == same.forfeitures).all(), name
    contributions = same.employer_match + same.employer_core
    assert ((same.net_employer_cost - (contributions - same.forfeitures)).abs() < 0.01).all()
    assert (same.forfeiture_account_closing.abs() < 0.01).all()
    deferred = summaries[later]
    assert deferred.loc[2025, "net_employer_cost"] == pytest.approx(deferred.loc[2025, "employer_contributions"])
    assert deferred.loc[2025, "forfeiture_account_closing"] == pytest.approx(deferred.loc[2025, "forfeitures"])
    assert deferred.loc[2026, "forfeitures_used_for_contributions"] == pytest.approx(deferred.loc[2025, "forfeitures"])
    paid = summaries[expenses]
    assert (paid.net_employer_cost == paid.employer_contributions).all()
    assert ((paid.forfeitures_used_for_expenses - paid.forfeitures).abs() < 0.01).all()


def test_leavers_are_paid_out_or_stay_deferred_vested(balance_run):
    accounts = _accounts(balance_run)
    leavers = accounts[accounts.employment_status == "terminated"]
    vested = sum(leavers[f"opening_{s}"] + leavers[f"contributions_{s}"] + leavers[f"earnings_{s}"]
                 - leavers[f"forfeitures_{s}"] for s in SOURCES if s != "loan")
    forced = leavers[(vested > 0) & (vested < 7000)]
    assert len(forced) > 0 and forced.distribution_type.str.startswith("force_out").all()
    assert (forced[vested[forced.index] <= 1000].distribution_type == "force_out_cash").all()
    large = leavers[vested >= 7000]
    assert set(large.distribution_type.fillna("stays")) >= {"stays", "cash_out", "rollover"}
    stays = large[large.distribution_type.isna()]
    assert (stays.account_status == "deferred_vested").all() and (stays.closing_loan == 0).all()
    # leakage is the cash paid and the loans offset, never a rollover
    rollovers = accounts[accounts.distribution_type.isin(["rollover", "force_out_rollover"])]
    assert ((rollovers.leakage - rollovers.distributions_loan).abs() < 0.005).all()
    events = balance_run.events()
    payouts = events[events.event_type == "distribution"]
    assert len(payouts) == (accounts.distributions_total > 0).sum()
    assert abs(payouts.amount.sum() - accounts.distributions_total.sum()) < 0.01


def test_census_balance_columns_are_validated(tmp_path):
    path = tmp_path / "census.csv"
    path.write_text("employee_id,employee_birth_date,employee_hire_date,employee_gross_compensation,"
                    "Pre-Tax Balance,Loan Balance,vesting_service_years\n"
                    "E1,1980-01-01,2010-01-01,60000,\"$12,345.67\",0,5\n"
                    "E2,1980-01-01,2010-01-01,60000,-5,0,\n"
                    "E3,1980-01-01,2010-01-01,60000,lots,0,\n"
                    "E4,1980-01-01,2010-01-01,60000,100,0,90\n")
    import datetime
    clean, rejects, report = census_module.validate(census_module.read_raw(path), datetime.date(2024, 12, 31))
    assert clean.balance_pre_tax.tolist() == [12345.67] and report.balance_columns == ("balance_pre_tax",
                                                                                        "loan_balance")
    reasons = dict(zip(rejects.employee_id, rejects.reason))
    assert reasons["E2"] == "negative balance_pre_tax '-5'"
    assert reasons["E3"] == "balance_pre_tax is not a number 'lots'"
    assert reasons["E4"] == "vesting_service_years '90' is outside 0-80"
