"""Read a census file (CSV, Parquet or Excel), validate every row, and write the clean rows.

A row that fails any check is rejected with all its reasons (never silently dropped);
the rejects go to a CSV the user can fix, the clean rows to a typed Parquet file.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import sim_io

REQUIRED_COLUMNS = (
    "employee_id",
    "employee_birth_date",
    "employee_hire_date",
    "employee_gross_compensation",
)
OPTIONAL_COLUMNS = (
    "employee_termination_date",
    "active",
    "level_id",
    "employee_deferral_rate",
    "employee_enrollment_date",
    "scheduled_hours_per_week",
    "auto_escalation_opt_out",
    "eligibility_override",
    *(f"balance_{source}" for source in ("pre_tax", "roth", "after_tax", "match", "core", "rollover")),
    "loan_balance",
    "vesting_service_years",
    # compliance testing (IRC 414(q), 416(i), 410(b)(3)(C)); family attribution is left to the census
    "prior_year_compensation",
    "ownership_pct",
    "is_officer",
    "is_nonresident_alien",
)
# Account balances by source on the census date (dollars, zero when the column is absent).
BALANCE_COLUMNS = tuple(c for c in OPTIONAL_COLUMNS if c.startswith("balance_")) + ("loan_balance",)
MAX_VESTING_SERVICE_YEARS = 80.0

# Column order and SQL type of the clean census (what stg_census reads).
CLEAN_SQL_TYPES: dict[str, str] = {
    "employee_id": "VARCHAR",
    "employee_birth_date": "DATE",
    "employee_hire_date": "DATE",
    "employee_termination_date": "DATE",
    "employee_gross_compensation": "DOUBLE",
    "active": "BOOLEAN",
    "level_id": "INTEGER",
    "employee_deferral_rate": "DOUBLE",
    "employee_enrollment_date": "DATE",
    "scheduled_hours_per_week": "DOUBLE",
    "auto_escalation_opt_out": "BOOLEAN",
    "eligibility_override": "BOOLEAN",
    **{c: "DOUBLE" for c in BALANCE_COLUMNS},
    "vesting_service_years": "DOUBLE",
    "prior_year_compensation": "DOUBLE",
    "ownership_pct": "DOUBLE",
    "is_officer": "BOOLEAN",
    "is_nonresident_alien": "BOOLEAN",
}

# Common spellings of each census field in HR exports, matched after normalising case,
# spaces and punctuation ("Hire Date", "hire_date", "HIRE-DATE" are one spelling).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "employee_id": ("employee id", "emp id", "employee number", "employee no", "employee num", "ee id", "eeid",
                    "worker id", "associate id", "personnel number", "id"),
    "employee_birth_date": ("birth date", "date of birth", "dob", "birthdate", "birthday"),
    "employee_hire_date": ("hire date", "date of hire", "doh", "original hire date", "start date", "hired"),
    "employee_termination_date": ("termination date", "term date", "date of termination", "separation date",
                                  "termed date"),
    "employee_gross_compensation": ("annual salary", "salary", "annual pay", "base salary", "annual base salary",
                                    "compensation", "gross compensation", "annual compensation", "annual rate",
                                    "pay rate", "base pay"),
    "active": ("is active", "active status", "active flag"),
    "level_id": ("level", "job level", "grade", "pay grade", "level id"),
    "employee_deferral_rate": ("deferral rate", "deferral percent", "deferral pct", "deferral", "contribution rate",
                               "401k rate", "401k deferral", "deferral percentage"),
    "employee_enrollment_date": ("enrollment date", "date enrolled", "plan enrollment date"),
    "scheduled_hours_per_week": ("hours per week", "weekly hours", "scheduled hours", "standard hours",
                                 "hours week"),
    "auto_escalation_opt_out": ("escalation opt out", "auto escalation opt out", "auto increase opt out"),
    "eligibility_override": ("plan eligible", "eligible", "eligibility"),
    "balance_pre_tax": ("pre tax balance", "pretax balance", "before tax balance", "deferral balance",
                        "elective deferral balance"),
    "balance_roth": ("roth balance", "roth deferral balance"),
    "balance_after_tax": ("after tax balance", "aftertax balance"),
    "balance_match": ("match balance", "employer match balance", "matching balance"),
    "balance_core": ("core balance", "nonelective balance", "non elective balance", "profit sharing balance"),
    "balance_rollover": ("rollover balance", "rollover in balance"),
    "loan_balance": ("outstanding loan balance", "loan outstanding", "loan principal"),
    "vesting_service_years": ("vesting service", "vesting years", "years of vesting service", "vesting service years"),
    "prior_year_compensation": ("prior year compensation", "prior year pay", "last year compensation",
                                "prior year gross compensation", "lookback compensation"),
    "ownership_pct": ("ownership", "ownership percent", "ownership percentage", "percent owned", "owner pct"),
    "is_officer": ("officer", "officer flag"),
    "is_nonresident_alien": ("nonresident alien", "non resident alien", "nra"),
}

MIN_AGE, MAX_AGE = 14, 100
FIRST_YEAR, LAST_YEAR = 1850, 2200  # of any census date: wider than any working life, inside the date types
MAX_HOURS_PER_WEEK = 80.0
_BOOL_COLUMNS = ("active", "auto_escalation_opt_out", "eligibility_override", "is_officer", "is_nonresident_alien")
_BOOL_WORDS = {
    "true": True, "t": True, "yes": True, "y": True, "1": True,
    "false": False, "f": False, "no": False, "n": False, "0": False,
}
_TRUE_WORDS = [word for word, value in _BOOL_WORDS.items() if value]
_FALSE_WORDS = [word for word, value in _BOOL_WORDS.items() if not value]
# "$1,234,567.89": commas only in strict thousands groups, so "1,5" is never read as 15.
_THOUSANDS = r"\d{1,3}(?:,\d{3})+(?:\.\d*)?"
# a plain unsigned decimal numeral, which pandas and Arrow read as the same double (both round
# correctly; a sign is left to pandas, which reads "-0" as 0.0 where Arrow gives -0.0)
_PLAIN_NUMBER = r"^[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?$"


def job_levels() -> list[int]:
    """The model's job levels: the census may give one of them."""
    from simconfig.segments import read_seed

    return sorted(int(row["level_id"]) for row in read_seed("config_job_levels"))


class CensusError(ValueError):
    """The census cannot be used; the message says which file/column/rows and what to fix."""


@dataclass(frozen=True)
class CensusReport:
    source: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rows_not_active_at_as_of: int  # accepted, but terminated/inactive on the as-of date
    reject_reasons: dict[str, int]
    column_sources: dict[str, str] = field(default_factory=dict)  # field -> the file's header it was read from
    # accepted rows excluded from the plan (eligibility_override false) that give a deferral
    # rate: the model lets them defer nothing (exclusion wins), so the rate is not used
    rows_excluded_with_deferral_rate: int = 0
    ignored_columns: tuple[str, ...] = field(default=())  # columns the model does not read
    balance_columns: tuple[str, ...] = field(default=())  # balance columns the census gives (else balances start at 0)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["reject_reasons"] = dict(self.reject_reasons)
        d["ignored_columns"] = list(self.ignored_columns)
        d["balance_columns"] = list(self.balance_columns)
        d["column_sources"] = dict(self.column_sources)
        return d


# ---------------------------------------------------------------- reading


def read_raw(path: str | Path) -> pd.DataFrame:
    """Every column as text (missing = NA), column names stripped (as the file spells them)."""
    path = Path(path)
    if not path.is_file():
        raise CensusError(f"census file not found: {path}")
    name = path.name.lower()
    try:
        if name.endswith((".csv", ".csv.gz")):
            df = _read_text("select * from read_csv(?, all_varchar=true, header=true)", path)
        elif name.endswith(".parquet"):
            # Dates may be DATE/TIMESTAMP or text: cast everything so both parse the same way.
            df = _read_text("select columns(*)::varchar from read_parquet(?)", path)
        elif name.endswith((".xlsx", ".xls")):
            df = _read_excel(path)
        else:
            raise CensusError(
                f"{path}: unsupported census format; use .csv, .csv.gz, .parquet, .xlsx or .xls"
            )
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CensusError(f"{path}: could not read the census ({first}); it must be a CSV file in UTF-8 with one "
                          "header row, a comma, semicolon, tab or | between fields and \" around fields that "
                          "contain them") from exc
    df.columns = [str(c).strip() for c in df.columns]
    return df.astype("str")


def _read_text(query: str, path: Path) -> pd.DataFrame:
    """The query's text columns as pandas strings, by way of Arrow: no Python object per value
    (a million-row census reads in ~1.5 s instead of ~6 s)."""
    with duckdb.connect() as con:
        table = con.sql(query, params=[str(path)]).to_arrow_table()
    return table.to_pandas(types_mapper=lambda t: pd.StringDtype(na_value=np.nan)
                           if pa.types.is_string(t) or pa.types.is_large_string(t) else None)


def _normalised(header: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in header.lower()).split())


def resolve_columns(headers: list[str], mapping: dict[str, str] | None, source: str) -> dict[str, str]:
    """field -> the file's header for it: the explicit mapping first, then the field's own name,
    then a common spelling (HEADER_ALIASES). Raises CensusError for a mapped header the file
    lacks, or two headers that both could be one field."""
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS))
    if unknown:
        raise CensusError(f"census_columns: {', '.join(unknown)} is not a census field; the fields are "
                          f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}")
    by_form: dict[str, list[str]] = {}
    for header in headers:
        by_form.setdefault(_normalised(header), []).append(header)
    sources: dict[str, str] = {}
    for field_name, header in mapping.items():
        if header not in headers:
            raise CensusError(f"{source}: census_columns maps {field_name} to '{header}', which is not a header of "
                              f"the file (headers: {', '.join(headers)})")
        sources[field_name] = header
    taken = set(sources.values())
    for field_name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
        if field_name in sources:
            continue
        for form in (_normalised(field_name), *(_normalised(alias) for alias in HEADER_ALIASES.get(field_name, ()))):
            candidates = [h for h in by_form.get(form, []) if h not in taken]
            if len(candidates) > 1:
                raise CensusError(f"{source}: headers {', '.join(repr(c) for c in candidates)} could all be "
                                  f"{field_name}; map one with census_columns")
            if candidates:
                sources[field_name] = candidates[0]
                taken.add(candidates[0])
                break
    return sources


def _read_excel(path: Path) -> pd.DataFrame:
    engine = "xlrd" if path.name.lower().endswith(".xls") else "openpyxl"
    if importlib.util.find_spec(engine) is None:
        raise CensusError(f"{path}: reading Excel needs {engine}: pip install {engine}")
    # dtype=str keeps ids like 000123 intact; dates come out as 'YYYY-MM-DD 00:00:00'.
    return pd.read_excel(path, dtype=str, engine=engine)


# ---------------------------------------------------------------- parsing helpers


def _text(s: pd.Series) -> pd.Series:
    """Stripped text, with empty strings as missing."""
    s = s.astype("str").str.strip()
    return s.mask(s == "")


def _parse_dates(s: pd.Series) -> pd.Series:
    """ISO YYYY-MM-DD (a trailing time part is ignored), US MM/DD/YYYY, or an Excel serial day
    number (5 digits, 1927-2119, as a CSV exported from Excel may hold); else NaT."""
    parsed = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    retry = s.notna() & parsed.isna()
    if retry.any():  # the slower forms only for the rows that need them
        rest = s[retry]
        iso = pd.to_datetime(rest.str.replace(r"[ T].*$", "", regex=True), format="%Y-%m-%d", errors="coerce")
        us = pd.to_datetime(rest, format="%m/%d/%Y", errors="coerce")
        serial = pd.to_numeric(rest.where(rest.str.fullmatch(r"\d{5}(\.0+)?").fillna(False).astype(bool)),
                               errors="coerce")
        serial = serial.where((serial >= 10_000) & (serial <= 80_000))
        excel = pd.to_datetime(serial, unit="D", origin="1899-12-30", errors="coerce")
        parsed = parsed.copy()
        parsed[retry] = iso.fillna(us).fillna(excel)
    return parsed


def _to_float(s: pd.Series) -> pd.Series:
    """pd.to_numeric(s, errors="coerce") as floats; Arrow's parser, ~4x faster, when every value is a
    plain decimal numeral (as a census mostly is)."""
    text = pa.array(s, type=pa.string(), from_pandas=True)
    if pc.all(pc.match_substring_regex(text, _PLAIN_NUMBER)).as_py() is not False:
        return pd.Series(pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False), index=s.index)
    return pd.to_numeric(s, errors="coerce").astype("float64")


def _parse_numbers(s: pd.Series) -> pd.Series:
    """Floats; '$' and strict thousands commas allowed; non-numbers and inf become NaN."""
    x = _to_float(s)
    retry = s.notna() & x.isna()
    if retry.any():  # '$50,000' style only for the rows plain parsing missed
        rest = s[retry].str.replace(r"^\$", "", regex=True)
        grouped = rest.str.fullmatch(_THOUSANDS).fillna(False).astype(bool)
        rest = rest.where(~grouped, rest.str.replace(",", "", regex=False))
        x = x.copy()
        x[retry] = _to_float(rest)
    return x.where(np.isfinite(x))


def _as_dates(ts: pd.Series) -> pd.Series:
    """datetime64 -> python dates (None for missing), what the clean frame holds."""
    return ts.dt.date.astype(object).where(ts.notna(), None)


def _age_on(birth: pd.Series, as_of: dt.date) -> pd.Series:
    before_birthday = (birth.dt.month > as_of.month) | (
        (birth.dt.month == as_of.month) & (birth.dt.day > as_of.day)
    )
    return as_of.year - birth.dt.year - before_birthday.astype(int)


# ---------------------------------------------------------------- validation


def validate(
    raw: pd.DataFrame, as_of: dt.date, source: str = "census", column_map: dict[str, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, CensusReport]:
    """Check every row; return (clean, rejects, report). Raises CensusError for missing columns."""
    raw = raw.reset_index(drop=True)
    raw.columns = [str(c).strip() for c in raw.columns]
    if raw.columns.duplicated().any():
        dupes = sorted(set(raw.columns[raw.columns.duplicated()]))
        raise CensusError(f"{source}: column(s) {dupes} appear more than once; keep one of each")
    sources = resolve_columns(list(raw.columns), column_map, source)
    raw = raw.rename(columns={header: field_name for field_name, header in sources.items()})
    raw.columns = [c if c in sources else c.lower() for c in raw.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        names = ", ".join(f"'{c}'" for c in missing)
        noun, verb = ("column", "is") if len(missing) == 1 else ("columns", "are")
        raise CensusError(
            f"{source}: required {noun} {names} {verb} missing (found: {', '.join(raw.columns)})"
        )
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    ignored = tuple(c for c in raw.columns if c not in known)

    empty = pd.Series(np.nan, index=raw.index, dtype="str")  # optional column not in the file
    text = {c: (_text(raw[c]) if c in raw.columns else empty) for c in known}
    present = {c: text[c].notna() for c in known}
    as_of_ts = pd.Timestamp(as_of)
    problems: list[tuple[str, pd.Series]] = []  # (label, messages indexed by failing rows)

    def flag(mask: pd.Series, label: str, message: Callable[[pd.Series], pd.Series] | None = None) -> None:
        """Record a failed check. `label` is counted in the report; `message(mask)` builds the
        per-row text, only for the failing rows (building it for every row is slow)."""
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            msg = message(mask) if message is not None else pd.Series(label, index=raw.index[mask])
            problems.append((label, msg.astype(str)))

    def q(col: str, mask: pd.Series) -> pd.Series:
        return "'" + text[col][mask].fillna("") + "'"

    # employee_id, and duplicates (first occurrence kept)
    ids = text["employee_id"]
    flag(~present["employee_id"], "missing employee_id")
    dup = present["employee_id"] & ids.duplicated(keep="first")
    if dup.any():
        first = ids[present["employee_id"]].drop_duplicates(keep="first")
        first_row = pd.Series(first.index + 1, index=first.values)
        flag(dup, "duplicate employee_id",
             lambda m: "duplicate employee_id " + q("employee_id", m)
             + " (first seen in row " + ids[m].map(first_row).astype(int).astype(str) + ")")

    # dates
    dates: dict[str, pd.Series] = {}
    for col in ("employee_birth_date", "employee_hire_date",
                "employee_termination_date", "employee_enrollment_date"):
        dates[col] = _parse_dates(text[col])
        if col in REQUIRED_COLUMNS:
            flag(~present[col], f"missing {col}")
        flag(present[col] & dates[col].isna(), f"unparseable {col}",
             lambda m, col=col: f"unparseable {col} " + q(col, m))
        year = dates[col].dt.year
        flag((year < FIRST_YEAR) | (year > LAST_YEAR), f"{col} outside {FIRST_YEAR}-{LAST_YEAR}",
             lambda m, col=col: f"{col} " + q(col, m) + f" is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    birth, hire, term = (dates[c] for c in ("employee_birth_date", "employee_hire_date", "employee_termination_date"))
    flag(hire > as_of_ts, "employee_hire_date after the as-of date",
         lambda m: "employee_hire_date " + q("employee_hire_date", m) + f" is after the as-of date {as_of}")
    flag(term < hire, "employee_termination_date before employee_hire_date",
         lambda m: "employee_termination_date " + q("employee_termination_date", m)
         + " is before employee_hire_date " + q("employee_hire_date", m))
    flag(hire < birth, "employee_hire_date before employee_birth_date",
         lambda m: "employee_hire_date " + q("employee_hire_date", m)
         + " is before employee_birth_date " + q("employee_birth_date", m))
    age = _age_on(birth, as_of)
    flag((age < MIN_AGE) | (age > MAX_AGE), f"age outside {MIN_AGE}-{MAX_AGE}",
         lambda m: "employee_birth_date " + q("employee_birth_date", m) + " gives age "
         + age[m].astype(int).astype(str) + f" on {as_of}, outside {MIN_AGE}-{MAX_AGE}")

    # compensation
    comp = _parse_numbers(text["employee_gross_compensation"])
    flag(~present["employee_gross_compensation"], "missing employee_gross_compensation")
    flag(present["employee_gross_compensation"] & comp.isna(), "employee_gross_compensation not a number",
         lambda m: "employee_gross_compensation is not a number " + q("employee_gross_compensation", m))
    flag(comp <= 0, "non-positive employee_gross_compensation",
         lambda m: "non-positive employee_gross_compensation " + text["employee_gross_compensation"][m])

    # level_id: one of the model's job levels (dbt/seeds/config_job_levels.csv)
    level = _parse_numbers(text["level_id"])
    levels = job_levels()
    flag(present["level_id"] & ~level.isin(levels), "invalid level_id",
         lambda m: "level_id " + q("level_id", m) + f" is not one of the job levels {min(levels)}-{max(levels)}")

    # deferral rate: '7.5' and '7.5%' are percents, '0.075' a fraction
    rate_text = text["employee_deferral_rate"]
    has_pct = present["employee_deferral_rate"] & rate_text.str.endswith("%").fillna(False).astype(bool)
    if has_pct.any():
        rate_text = rate_text.where(~has_pct, rate_text.str.removesuffix("%").str.strip())
    rate = _parse_numbers(rate_text)
    flag(present["employee_deferral_rate"] & rate.isna(), "employee_deferral_rate not a number",
         lambda m: "employee_deferral_rate is not a number " + q("employee_deferral_rate", m))
    flag((rate < 0) | (rate > 100), "employee_deferral_rate outside 0-100",
         lambda m: "employee_deferral_rate " + q("employee_deferral_rate", m) + " is outside 0-100")
    rate = rate.where(~(has_pct | (rate > 1)), rate / 100)

    # hours per week in (0, 80]
    hours = _parse_numbers(text["scheduled_hours_per_week"])
    limits = f"(0, {MAX_HOURS_PER_WEEK:g}]"
    flag(present["scheduled_hours_per_week"] & hours.isna(), "scheduled_hours_per_week not a number",
         lambda m: "scheduled_hours_per_week is not a number " + q("scheduled_hours_per_week", m))
    flag((hours <= 0) | (hours > MAX_HOURS_PER_WEEK), f"scheduled_hours_per_week outside {limits}",
         lambda m: "scheduled_hours_per_week " + q("scheduled_hours_per_week", m) + f" is outside {limits}")

    # balances: dollars, not negative; vesting service in years
    amounts: dict[str, pd.Series] = {}
    for col in BALANCE_COLUMNS:
        amounts[col] = _parse_numbers(text[col])
        flag(present[col] & amounts[col].isna(), f"{col} not a number",
             lambda m, col=col: f"{col} is not a number " + q(col, m))
        flag(amounts[col] < 0, f"negative {col}", lambda m, col=col: f"negative {col} " + q(col, m))
    vesting = _parse_numbers(text["vesting_service_years"])
    vesting_limits = f"0-{MAX_VESTING_SERVICE_YEARS:g}"
    flag(present["vesting_service_years"] & vesting.isna(), "vesting_service_years not a number",
         lambda m: "vesting_service_years is not a number " + q("vesting_service_years", m))
    flag((vesting < 0) | (vesting > MAX_VESTING_SERVICE_YEARS), f"vesting_service_years outside {vesting_limits}",
         lambda m: "vesting_service_years " + q("vesting_service_years", m) + f" is outside {vesting_limits}")

    # compliance inputs: last year's pay in dollars, ownership in percent (0-100, "%" allowed)
    prior_pay = _parse_numbers(text["prior_year_compensation"])
    flag(present["prior_year_compensation"] & prior_pay.isna(), "prior_year_compensation not a number",
         lambda m: "prior_year_compensation is not a number " + q("prior_year_compensation", m))
    flag(prior_pay < 0, "negative prior_year_compensation",
         lambda m: "negative prior_year_compensation " + q("prior_year_compensation", m))
    ownership = _parse_numbers(text["ownership_pct"].str.removesuffix("%").str.strip())
    flag(present["ownership_pct"] & ownership.isna(), "ownership_pct not a number",
         lambda m: "ownership_pct is not a number " + q("ownership_pct", m))
    flag((ownership < 0) | (ownership > 100), "ownership_pct outside 0-100",
         lambda m: "ownership_pct " + q("ownership_pct", m) + " is outside 0-100 (a percentage)")

    # booleans
    bools: dict[str, pd.Series] = {}
    for col in _BOOL_COLUMNS:
        word = text[col].str.lower()  # vectorised: Series.map calls Python once per row
        bools[col] = pd.Series(pd.NA, index=raw.index, dtype="boolean").mask(
            word.isin(_TRUE_WORDS), True).mask(word.isin(_FALSE_WORDS), False)
        flag(present[col] & bools[col].isna(), f"invalid {col}",
             lambda m, col=col: f"{col} " + q(col, m) + " is not true/false/yes/no/1/0")

    # ---- assemble: one "; "-joined reason per rejected row, in check order
    if problems:
        reasons = pd.concat([msg for _, msg in problems]).groupby(level=0, sort=True).agg("; ".join)
        reject_reasons = {label: len(msg) for label, msg in problems}
    else:
        reasons = pd.Series([], dtype="str", index=pd.Index([], dtype="int64"))
        reject_reasons = {}
    ok = pd.Series(~raw.index.isin(reasons.index), index=raw.index)

    clean = pd.DataFrame({
        "employee_id": ids[ok].astype("str"),
        "employee_birth_date": _as_dates(birth[ok]),
        "employee_hire_date": _as_dates(hire[ok]),
        "employee_termination_date": _as_dates(term[ok]),
        "employee_gross_compensation": comp[ok],
        "active": bools["active"][ok],
        "level_id": level[ok].round().astype("Int64"),
        "employee_deferral_rate": rate[ok],
        "employee_enrollment_date": _as_dates(dates["employee_enrollment_date"][ok]),
        "scheduled_hours_per_week": hours[ok],
        "auto_escalation_opt_out": bools["auto_escalation_opt_out"][ok],
        "eligibility_override": bools["eligibility_override"][ok],
        **{col: amounts[col][ok] for col in BALANCE_COLUMNS},
        "vesting_service_years": vesting[ok],
        "prior_year_compensation": prior_pay[ok],
        "ownership_pct": ownership[ok],
        "is_officer": bools["is_officer"][ok],
        "is_nonresident_alien": bools["is_nonresident_alien"][ok],
    }).reset_index(drop=True)

    not_active = bools["active"][ok].eq(False).fillna(False) | (term[ok] <= as_of_ts)
    report = CensusReport(
        source=source,
        rows_read=len(raw),
        rows_accepted=int(ok.sum()),
        rows_rejected=len(reasons),
        rows_not_active_at_as_of=int(not_active.sum()),
        reject_reasons=reject_reasons,
        column_sources=sources,
        rows_excluded_with_deferral_rate=int((bools["eligibility_override"][ok].eq(False).fillna(False)
                                              & rate[ok].gt(0).fillna(False)).sum()),
        ignored_columns=ignored,
        balance_columns=tuple(c for c in BALANCE_COLUMNS if c in raw.columns),
    )
    return clean, _rejects_frame(raw, reasons), report


def _rejects_frame(raw: pd.DataFrame, reasons: pd.Series) -> pd.DataFrame:
    """row (1-based), raw employee_id, reason, then the other original columns as read."""
    originals = raw.loc[reasons.index]
    out = pd.DataFrame({
        "row": (reasons.index + 1).astype("int64"),
        "employee_id": originals["employee_id"].to_numpy(),
        "reason": reasons.to_numpy(),
    })
    for col in raw.columns:
        if col == "employee_id":
            continue
        name = f"raw_{col}" if col in ("row", "reason") else col  # avoid clashing with our columns
        out[name] = originals[col].to_numpy()
    return out


# ---------------------------------------------------------------- writing


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    """Write the census columns with fixed Parquet types, using DuckDB (no pyarrow needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # an optional column the frame does not have is written empty (null)
    values = {c: f'"{c}"' if c in df.columns else "null" for c in CLEAN_SQL_TYPES}
    select = ", ".join(f'cast({values[c]} as {t}) as "{c}"' for c, t in CLEAN_SQL_TYPES.items())
    with duckdb.connect() as con:
        con.register("census_frame", df)
        con.execute(f"copy (select {select} from census_frame) to {sim_io.sql_literal(path)} (format parquet)")


def validate_census(path: str | Path, clean_path: str | Path, rejects_path: str | Path, as_of: dt.date,
                    column_map: dict[str, str] | None = None) -> CensusReport:
    """Read and validate; write the clean Parquet and the rejects CSV (however many were rejected)."""
    clean, rejects, report = validate(read_raw(path), as_of, source=str(path), column_map=column_map)
    write_parquet(clean, clean_path)
    rejects_path = Path(rejects_path)
    rejects_path.parent.mkdir(parents=True, exist_ok=True)
    rejects.to_csv(rejects_path, index=False)
    return report


def check_rejects(report: CensusReport, max_reject_share: float, rejects_path: str | Path) -> None:
    """Stop when too many rows were rejected, or none is usable; the message names the rejects file."""
    path = report.source
    if report.rows_read and report.rows_rejected / report.rows_read > max_reject_share:
        share = report.rows_rejected / report.rows_read
        raise CensusError(
            f"{path}: {report.rows_rejected} of {report.rows_read} census rows ({share:.1%}) were rejected, "
            f"above the run setting census_max_reject_share ({max_reject_share:.1%}); the rows and their "
            f"reasons are in {rejects_path}"
        )
    if report.rows_accepted == 0:
        raise CensusError(f"{path}: the census has no usable rows; see {rejects_path}")


def prepare_census(path: str | Path, clean_path: str | Path, rejects_path: str | Path, as_of: dt.date,
                   max_reject_share: float, column_map: dict[str, str] | None = None) -> CensusReport:
    """Validate, write clean Parquet + rejects CSV, then stop if too many rows were rejected."""
    if not 0 <= max_reject_share <= 1:
        raise CensusError(f"census_max_reject_share must be between 0 and 1, got {max_reject_share}")
    report = validate_census(path, clean_path, rejects_path, as_of, column_map)
    check_rejects(report, max_reject_share, rejects_path)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate a census and write clean Parquet + rejects CSV.")
    parser.add_argument("--census", required=True)
    parser.add_argument("--clean", required=True)
    parser.add_argument("--rejects", required=True)
    parser.add_argument("--as-of", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--max-reject-share", type=float, default=0.05)
    parser.add_argument("--report", help="also write the report as JSON here")
    args = parser.parse_args(argv)
    try:
        report = prepare_census(args.census, args.clean, args.rejects, args.as_of, args.max_reject_share)
    except CensusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(report.to_dict(), indent=2)
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
