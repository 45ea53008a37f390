"""Seeded synthetic census: realistic pay, age, tenure and 401(k) deferral mix.

Same (size, seed, as_of) -> identical frame; only numpy.random.default_rng(seed) is used.
The output passes census.validate with no rejects.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import census

LEVEL_SHARES = (0.40, 0.28, 0.18, 0.10, 0.04)  # levels 1..5
# Contiguous pay bands (match dbt/seeds/config_job_levels.csv): the model derives level from pay.
LEVEL_BANDS = ((50_000, 80_000), (80_000, 120_000), (120_000, 160_000),
               (160_000, 275_000), (275_000, 500_000))
LEVEL_MEAN_AGE = (32.0, 38.0, 43.0, 47.0, 51.0)
AGE_SD, MIN_AGE, MAX_AGE = 8.0, 21.0, 67.0
MIN_HIRE_AGE = 18.0
MEAN_TENURE_YEARS = 6.0
MEAN_ENROLLMENT_DELAY_DAYS = 60.0
TERMINATED_SHARE = 0.04          # terminated during the as-of year
# (rate, share); None = uniform 1-20% tail. ~85% participate.
DEFERRAL_MIX = ((0.0, 0.15), (0.06, 0.25), (0.03, 0.12), (0.05, 0.09), (0.08, 0.09),
                (0.10, 0.09), (0.15, 0.09), (None, 0.12))
PART_TIME_SHARE, PART_TIME_HOURS, FULL_TIME_HOURS = 0.05, 20.0, 40.0
OPT_OUT_SHARE = 0.03
OVERRIDE_FALSE_SHARE = 0.01
DAYS_PER_YEAR = 365.25
# Compliance facts of the synthetic employer: a founder owning 10 %, officers the best-paid 1 %.
OWNER_PCT = 10.0
OFFICER_SHARE = 0.01
# Balances: years of saving at today's rate and pay, grown at this yearly return.
BALANCE_RETURN = 0.05
MATCH_RATE, MATCH_CAP = 0.5, 0.06          # the match that built the employer balance
DEFERRAL_LIMIT = 23_500.0                   # the 2025 402(g) limit, on each year's deferrals
ROTH_USER_SHARE, ROTH_PART = 0.15, 0.4     # share of savers with Roth money, and its part of their deferrals
ROLLOVER_SHARE, ROLLOVER_MEDIAN = 0.10, 30_000.0
LOAN_SHARE, LOAN_MEDIAN = 0.12, 8_000.0


def _years_before(day: dt.date, years: int) -> dt.date:
    """Same calendar day `years` earlier (Feb 29 -> Feb 28)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def generate_census(size: int, seed: int, as_of: dt.date) -> pd.DataFrame:
    """A census of `size` employees as of `as_of`, with REQUIRED + OPTIONAL columns."""
    if size < 1:
        raise ValueError(f"census size must be at least 1, got {size}")
    rng = np.random.default_rng(seed)
    n = size
    as_of_day = np.datetime64(as_of, "D")

    # Every draw happens here, in a fixed order, so results depend only on (size, seed).
    level = rng.choice(5, size=n, p=LEVEL_SHARES)                # 0-based
    pay_z = rng.standard_normal(n)
    age_z = rng.standard_normal(n)
    tenure_years = rng.exponential(MEAN_TENURE_YEARS, n)
    terminated = rng.random(n) < TERMINATED_SHARE
    term_u = rng.random(n)
    deferral_kind = rng.choice(len(DEFERRAL_MIX), size=n, p=[s for _, s in DEFERRAL_MIX])
    tail_rate = np.round(rng.uniform(1.0, 20.0, n) * 2) / 200      # 1-20% in half-percent steps
    enroll_delay = np.floor(rng.exponential(MEAN_ENROLLMENT_DELAY_DAYS, n)).astype("int64")
    part_time = rng.random(n) < PART_TIME_SHARE
    opt_out = rng.random(n) < OPT_OUT_SHARE
    override_false = rng.random(n) < OVERRIDE_FALSE_SHARE
    # balance draws come after all others, so the columns above do not depend on them
    balance_noise = rng.lognormal(0.0, 0.35, n)
    roth_user = rng.random(n) < ROTH_USER_SHARE
    rollover_amount = np.where(rng.random(n) < ROLLOVER_SHARE, ROLLOVER_MEDIAN * rng.lognormal(0.0, 0.8, n), 0.0)
    loan_u, loan_size = rng.random(n), rng.lognormal(0.0, 0.6, n)

    # Pay: lognormal around the band's geometric mid, +-2 sd spanning the band, clipped inside it.
    lo = np.array([b[0] for b in LEVEL_BANDS], dtype=float)[level]
    hi = np.array([b[1] for b in LEVEL_BANDS], dtype=float)[level]
    sigma = np.log(hi / lo) / 4
    pay = np.round(np.clip(np.exp(np.log(np.sqrt(lo * hi)) + sigma * pay_z), lo, hi - 1))

    # Age (older at higher levels), spread over the year via continuous years.
    age_years = np.array(LEVEL_MEAN_AGE)[level] + AGE_SD * age_z
    # Bounds in days chosen so the calendar age on the as-of date is MIN_AGE..MAX_AGE.
    min_days = int(np.ceil(MIN_AGE * DAYS_PER_YEAR)) + 1
    max_days = int(np.floor((MAX_AGE + 1) * DAYS_PER_YEAR)) - 2
    age_days = np.clip(np.round(age_years * DAYS_PER_YEAR), min_days, max_days).astype("int64")
    birth = as_of_day - age_days

    # Deterministic edge cases in the first rows (if the census is that large).
    edge_birth: dict[int, dt.date] = {1: _years_before(as_of, 64), 2: _years_before(as_of, 65)}
    for i, day in edge_birth.items():
        if i < n:
            birth[i] = np.datetime64(day, "D")
    for i, (lvl, amount) in {3: (0, 50_000.0), 4: (4, 600_000.0), 5: (4, 400_000.0)}.items():
        if i < n:
            level[i], pay[i] = lvl, amount
    edge = np.arange(n) < 6
    terminated &= ~edge                                  # edge cases stay active
    part_time &= ~edge                                   # and full time
    # A part-timer is paid the full-time rate of the band times the share of a 40-hour week.
    pay = np.where(part_time, np.round(pay * PART_TIME_HOURS / FULL_TIME_HOURS), pay)

    # Tenure: exponential, bounded so nobody was hired before age 18.
    max_tenure_days = (as_of_day - birth).astype("int64") - int(np.ceil(MIN_HIRE_AGE * DAYS_PER_YEAR))
    tenure_days = np.minimum(np.floor(tenure_years * DAYS_PER_YEAR).astype("int64"), max_tenure_days)
    if n > 0:
        tenure_days[0] = 0                               # hired exactly on the as-of date
    hire = as_of_day - tenure_days

    # Terminations during the as-of year, on/after hire and on/before as-of.
    year_start = np.datetime64(dt.date(as_of.year, 1, 1), "D")
    term_start = np.maximum(hire, year_start)
    span = (as_of_day - term_start).astype("int64") + 1
    term = np.where(terminated, term_start + np.floor(term_u * span).astype("int64"),
                    np.datetime64("NaT", "D"))

    # Deferral rates and enrollment (participants only; before termination if terminated).
    fixed_rates = np.array([r if r is not None else np.nan for r, _ in DEFERRAL_MIX])[deferral_kind]
    rate = np.where(np.isnan(fixed_rates), tail_rate, fixed_rates)
    participates = rate > 0
    enroll_end = np.where(terminated, term, as_of_day)
    enroll = np.where(participates, np.minimum(hire + enroll_delay, enroll_end), np.datetime64("NaT", "D"))

    # Balances of years of saving at today's rate and pay (the years since enrolling), grown at
    # BALANCE_RETURN: sum over t < years of (1 + r)^t = ((1 + r)^years - 1) / r.
    saving_years = np.where(participates, np.maximum((enroll_end - np.where(participates, enroll, enroll_end))
                                                     .astype("int64") / DAYS_PER_YEAR, 0.0), 0.0)
    growth = ((1 + BALANCE_RETURN) ** saving_years - 1) / BALANCE_RETURN * balance_noise
    deferred = np.minimum(rate * pay, DEFERRAL_LIMIT) * growth
    roth = np.where(roth_user, deferred * ROTH_PART, 0.0)
    match = MATCH_RATE * np.minimum(rate, MATCH_CAP) * pay * growth
    loan = np.where(participates & (loan_u < LOAN_SHARE),
                    np.minimum(LOAN_MEDIAN * loan_size, 0.5 * (deferred - roth)), 0.0)

    # rank of pay among actives (0 = best paid; former employees rank after every active)
    pay_rank = np.empty(n, dtype="int64")
    pay_rank[np.lexsort((-pay, terminated))] = np.arange(n)

    width = max(6, len(str(n)))
    ids = "EMP_" + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)
    return pd.DataFrame({
        "employee_id": ids.astype("str"),
        "employee_birth_date": birth.astype(object),     # datetime64[D] -> datetime.date
        "employee_hire_date": hire.astype(object),
        "employee_gross_compensation": pay,
        "employee_termination_date": term.astype(object),
        "active": pd.array(~terminated, dtype="boolean"),
        "level_id": pd.array([pd.NA] * n, dtype="Int64"),  # left empty: the model derives level from pay
        "employee_deferral_rate": rate,
        "employee_enrollment_date": enroll.astype(object),
        "scheduled_hours_per_week": np.where(part_time, PART_TIME_HOURS, FULL_TIME_HOURS),
        "auto_escalation_opt_out": pd.array(opt_out, dtype="boolean"),
        "eligibility_override": pd.array(np.where(override_false, False, None), dtype="boolean"),
        "balance_pre_tax": np.round(deferred - roth, 2),
        "balance_roth": np.round(roth, 2),
        "balance_after_tax": np.zeros(n),
        "balance_match": np.round(match, 2),
        "balance_core": np.zeros(n),
        "balance_rollover": np.round(rollover_amount, 2),
        "loan_balance": np.round(loan, 2),
        "vesting_service_years": np.full(n, np.nan),  # vesting service = years since hire
        # compliance facts, with no draws (the other columns stay as they were): last year's pay
        # left empty (the annual rate stands in), the best-paid active employee a 10 % owner, the
        # best-paid 1 % of actives officers, nobody a nonresident alien
        "prior_year_compensation": np.full(n, np.nan),
        "ownership_pct": np.where(pay_rank == 0, OWNER_PCT, 0.0),
        "is_officer": pd.array(pay_rank < max(1, round(OFFICER_SHARE * int((~terminated).sum()))), dtype="boolean"),
        "is_nonresident_alien": pd.array(np.zeros(n, dtype=bool), dtype="boolean"),
    })


def write_census(df: pd.DataFrame, path: str | Path) -> None:
    """Write to .parquet (typed, via DuckDB) or .csv / .csv.gz; creates parent directories."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".parquet"):
        census.write_parquet(df, path)
    elif name.endswith((".csv", ".csv.gz")):
        path.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(path, index=False)
    else:
        raise ValueError(f"{path}: write the census as .parquet, .csv or .csv.gz")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a seeded synthetic census.")
    parser.add_argument("--size", type=int, required=True, help="number of employees")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--as-of", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    parser.add_argument("--out", required=True, help=".parquet, .csv or .csv.gz")
    args = parser.parse_args(argv)
    try:
        write_census(generate_census(args.size, args.seed, args.as_of), args.out)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.size} employees as of {args.as_of} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
