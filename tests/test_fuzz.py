"""Property-based fuzzing of the config and the census (hypothesis).

Property: a bad value gets a clear error naming the key (config) or the file, row and column
(census), and a value that is accepted gives valid input to the model: dbt vars that build,
a clean census that meets the contract the SQL relies on. Never another exception.

The fast profile (a few hundred seeded cases) runs in `make test`; `make fuzz` runs the long
one (FUZZ_EXAMPLES, default 5,000 per test). Counts per kind are printed at the end (-s).
"""
from __future__ import annotations

import collections
import copy
import csv
import datetime as dt
import io
import math
import os
import re
import tempfile
from pathlib import Path

import duckdb
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import census
import simconfig
from simconfig import loader

pytestmark = pytest.mark.slow  # about a minute: in make test, not in make test-fast

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "250"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
AS_OF = dt.date(2024, 12, 31)
COUNTS: collections.Counter = collections.Counter()

# ---------------------------------------------------------------- values

NASTY_TEXT = st.sampled_from(["", " ", "'", "x'y", '"', "a;b", "; drop table x; --", "line\nbreak", "\r\n",
                              "\t", "ünïcødé", "日本", "\u00a0", "\ufeff", "NaN", "nan", "inf", "-inf", "null",
                              "None", "true", "0x10", "1e309", "-0", "<script>alert(1)</script>", "%", "$"])
NUMBERS = st.one_of(st.integers(min_value=-10**15, max_value=10**15),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, -1, 1, 0.5, 1.5, 100, 10**9, -1e-9, 2**63, float("nan"), float("inf")]))
VALUES = st.one_of(NASTY_TEXT, st.text(max_size=12), NUMBERS, st.none(), st.booleans(),
                   st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


def kind(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan/inf"
    return type(value).__name__


# ---------------------------------------------------------------- config

SHIPPED = yaml.safe_load((REPO / "config" / "simulation_config.yaml").read_text())


def concrete(path: str) -> list[str] | None:
    """A modelled key path with `*` and `[]` resolved against the shipped config, or None."""
    parts, node = [], SHIPPED
    for piece in re.split(r"\.(?![^\[]*\])", path):
        name, is_list = piece.removesuffix("[]"), piece.endswith("[]")
        if name == "*":
            if not isinstance(node, dict) or not node:
                return None
            name = sorted(node)[0]
        parts.append(name)
        node = node.get(name) if isinstance(node, dict) else None
        if is_list:
            if not isinstance(node, list) or not node:
                return None
            parts.append(0)
            node = node[0]
    return parts


KEY_PATHS = sorted({tuple(p) for p in map(concrete, loader._all_key_paths()) if p}, key=str)


def with_value(parts: tuple, value) -> dict:
    """The shipped config with one key set (sections the shipped file leaves out are created)."""
    raw = copy.deepcopy(SHIPPED)
    node = raw
    for part in parts[:-1]:
        if isinstance(part, str) and not isinstance(node.get(part), (dict, list)):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value
    return raw


def dotted(parts: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")


def test_the_fuzzed_key_paths_cover_the_model():
    assert len(KEY_PATHS) >= 200


@FUZZ
@given(parts=st.sampled_from(KEY_PATHS), value=VALUES)
def test_any_value_of_any_config_key_is_accepted_or_named(parts, value):
    raw = with_value(parts, value)
    try:
        loaded = simconfig.validate(raw, source="fuzz.yaml")
    except simconfig.ConfigError as error:
        message = str(error)
        assert all(line.startswith("fuzz.yaml: ") for line in message.splitlines()), message
        named = re.findall(r"key '([^']*)'", message)
        # the key itself, a key inside it, or (for a rule across keys) the section that holds it
        assert any(n.startswith(dotted(parts)) or dotted(parts).startswith(n) or n.split(".")[0] == parts[0]
                   for n in named), message
        assert "Traceback" not in message and "\n\n" not in message
        COUNTS[f"config {kind(value)}: rejected"] += 1
        return
    built = simconfig.dbt_vars(loaded.model)  # an accepted value builds the dbt vars, all finite
    for leaf in _leaves(built):
        assert not (isinstance(leaf, float) and not math.isfinite(leaf)), (dotted(parts), value)
    COUNTS[f"config {kind(value)}: accepted"] += 1


def _leaves(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _leaves(value)
    elif isinstance(node, list):
        for value in node:
            yield from _leaves(value)
    else:
        yield node


# ---------------------------------------------------------------- census

COLUMNS = list(census.REQUIRED_COLUMNS + census.OPTIONAL_COLUMNS)
GOOD_ROW = {"employee_id": "E1", "employee_birth_date": "1980-03-15", "employee_hire_date": "2015-06-01",
            "employee_termination_date": "", "active": "true", "level_id": "2", "employee_deferral_rate": "0.06",
            "employee_gross_compensation": "65000", "employee_enrollment_date": "2016-01-01",
            "scheduled_hours_per_week": "40", "auto_escalation_opt_out": "false", "eligibility_override": "",
            "balance_pre_tax": "12500.50", "balance_roth": "", "balance_after_tax": "0", "balance_match": "$3,100",
            "balance_core": "", "balance_rollover": "", "loan_balance": "0", "vesting_service_years": "9",
            "prior_year_compensation": "63000", "ownership_pct": "0", "is_officer": "no", "is_nonresident_alien": ""}
DATES = st.one_of(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(str),
                  st.sampled_from(["02/29/2023", "02/29/2024", "2023-02-29", "2024-02-29", "0000-01-01",
                                   "1899-12-30", "45657", "45657.0", "60", "2958466", "12/31/1899", "13/01/2020",
                                   "2020-1-1", "2020-01-01T10:00:00", "2020-01-01 00:00:00"]))
CELL = st.one_of(NASTY_TEXT, DATES, NUMBERS.map(str), st.text(max_size=10),
                 st.sampled_from(["$1,234.50", "1,5", "7.5%", "-0.0", "1e3", " 42 ", "$-5"]))


def write_rows(path: Path, header: list[str], rows: list[list[str]], *, bom: bool = False, crlf: bool = False) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n" if crlf else "\n").writerows([header, *rows])
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))


def check_census(path: Path, tmp: Path, rows: int | None) -> str:
    """Validate; the property holds either way (rows: the data rows written, None where the file's
    shape leaves that open). Returns 'file refused', 'rows rejected' or 'clean'."""
    try:
        report = census.validate_census(path, tmp / "clean.parquet", tmp / "rejects.csv", AS_OF)
    except census.CensusError as error:
        assert str(path) in str(error), str(error)  # the message names the file
        assert "\n" not in str(error).replace(str(path), ""), str(error)  # in one line
        return "file refused"
    assert rows is None or report.rows_read == rows
    assert report.rows_accepted + report.rows_rejected == report.rows_read
    with (tmp / "rejects.csv").open(newline="") as handle:
        rejects = list(csv.DictReader(handle))
    assert len(rejects) == report.rows_rejected
    for reject in rejects:
        assert reject["row"].isdigit() and 1 <= int(reject["row"]) <= report.rows_read  # the row
        assert any(column in reject["reason"] for column in COLUMNS), reject        # the column
    # the contract the SQL relies on, checked on the clean file: each count must be zero
    violations = duckdb.sql(f"""
        select
            count(*) filter (where employee_id is null) as missing_id,
            count(*) - count(distinct employee_id) as duplicate_id,
            count(*) filter (where not (employee_gross_compensation > 0 and isfinite(employee_gross_compensation)))
                as bad_pay,
            count(*) filter (where employee_birth_date is null or employee_hire_date is null) as missing_date,
            count(*) filter (where employee_hire_date > date '{AS_OF}') as hired_later,
            count(*) filter (where date_diff('year', employee_birth_date, date '{AS_OF}')
                             not between {census.MIN_AGE - 1} and {census.MAX_AGE + 1}) as bad_age,
            count(*) filter (where employee_deferral_rate not between 0 and 1) as bad_rate,
            count(*) filter (where scheduled_hours_per_week not between 0 and {census.MAX_HOURS_PER_WEEK})
                as bad_hours,
            count(*) filter (where least({", ".join(census.BALANCE_COLUMNS)}) < 0
                             or not isfinite({" + ".join(f"coalesce({c}, 0)" for c in census.BALANCE_COLUMNS)}))
                as bad_balance,
            count(*) filter (where vesting_service_years not between 0 and {census.MAX_VESTING_SERVICE_YEARS})
                as bad_vesting_service,
            count(*) filter (where not (prior_year_compensation >= 0 and isfinite(prior_year_compensation)))
                as bad_prior_year_pay,
            count(*) filter (where ownership_pct not between 0 and 100) as bad_ownership,
            count(*) as accepted
        from read_parquet('{tmp / 'clean.parquet'}')""").df().iloc[0].to_dict()
    assert violations.pop("accepted") == report.rows_accepted
    assert not any(violations.values()), violations
    return "rows rejected" if report.rows_rejected else "clean"


@FUZZ
@given(column=st.sampled_from(COLUMNS), value=CELL, rows=st.integers(min_value=1, max_value=4))
def test_any_value_in_any_census_column_is_accepted_or_rejected_with_its_reason(column, value, rows):
    table = [[GOOD_ROW[c] if c != "employee_id" else f"E{i}" for c in COLUMNS] for i in range(rows)]
    table[0][COLUMNS.index(column)] = value
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "census.csv"
        write_rows(path, COLUMNS, table)
        COUNTS[f"census cell {column}: {check_census(path, Path(tmp), rows)}"] += 1


FILE_SHAPES = st.sampled_from(["bom", "crlf", "bom+crlf", "newline in quoted id", "duplicated header",
                               "header only", "empty file", "not a csv", "binary", "missing column",
                               "extra column", "ragged row", "semicolon separated", "utf-16"])


@FUZZ
@given(shape=FILE_SHAPES, junk=st.binary(min_size=1, max_size=64), rows=st.integers(min_value=1, max_value=3))
def test_any_file_shape_is_read_or_refused_with_the_file_named(shape, junk, rows):
    table = [[GOOD_ROW[c] if c != "employee_id" else f"E{i}" for c in COLUMNS] for i in range(rows)]
    header = list(COLUMNS)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "census.csv"
        expected_rows = rows
        if shape in ("bom", "crlf", "bom+crlf"):
            write_rows(path, header, table, bom="bom" in shape, crlf="crlf" in shape)
        elif shape == "newline in quoted id":
            table[0][0] = "E\n0"
            write_rows(path, header, table)
        elif shape == "duplicated header":
            write_rows(path, [*header, header[0]], [[*r, r[0]] for r in table])
        elif shape == "header only":
            write_rows(path, header, [])
            expected_rows = 0
        elif shape == "empty file":
            path.write_bytes(b"")
            expected_rows = 0
        elif shape in ("not a csv", "binary"):
            path.write_bytes(junk if shape == "binary" else b"%PDF-1.4\n" + junk)
            expected_rows = None
        elif shape == "missing column":
            write_rows(path, header[1:], [r[1:] for r in table])
        elif shape == "extra column":
            write_rows(path, [*header, "notes; 'x'"], [[*r, "a, \"b\""] for r in table])
        elif shape == "ragged row":
            write_rows(path, header, [*table[:-1], table[-1][:3]])
            expected_rows = None
        elif shape == "semicolon separated":
            path.write_text(";".join(header) + "\n" + "\n".join(";".join(r) for r in table) + "\n")
            expected_rows = None
        elif shape == "utf-16":
            buffer = io.StringIO()
            csv.writer(buffer).writerows([header, *table])
            path.write_bytes(buffer.getvalue().encode("utf-16"))
            expected_rows = None
        outcome = check_census(path, Path(tmp), expected_rows)
        COUNTS[f"census file {shape}: {outcome}"] += 1


def test_zz_report_the_counts(capsys):
    """Printed with -s (make fuzz): how many cases of each kind ran; none crashed."""
    with capsys.disabled():
        total = sum(COUNTS.values())
        print(f"\nfuzz cases: {total}")
        for name, count in sorted(COUNTS.items()):
            print(f"  {count:5d}  {name}")
