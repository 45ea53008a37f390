"""Census reading/validation (census.py) and the synthetic census generator (generate_census.py)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import census
import generate_census

AS_OF = dt.date(2024, 12, 31)
HEADER = "employee_id,employee_birth_date,employee_hire_date,employee_gross_compensation"


def write_csv(tmp_path: Path, lines: list[str], name: str = "census.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def prepare(tmp_path: Path, path: Path, max_share: float = 1.0) -> census.CensusReport:
    return census.prepare_census(path, tmp_path / "out" / "census.parquet",
                                 tmp_path / "out" / "rejects.csv", AS_OF, max_share)


def read_clean(tmp_path: Path) -> pd.DataFrame:
    with duckdb.connect() as con:
        return con.execute("select * from read_parquet(?)", [str(tmp_path / "out" / "census.parquet")]).df()


def read_rejects(tmp_path: Path) -> pd.DataFrame:
    return pd.read_csv(tmp_path / "out" / "rejects.csv", dtype=str)


# ---------------------------------------------------------------- census.py


def test_bad_rows_go_to_rejects_with_reasons_and_the_rest_are_accepted(tmp_path):
    path = write_csv(tmp_path, [
        HEADER,
        "E1,1980-01-01,2010-05-05,50000",
        "E2,1985-02-03,2015-06-01,-5",          # negative salary
        "E1,1981-01-01,2011-05-05,60000",       # duplicate id
        "E3,1990-07-08,2020-13-45,70000",       # unparseable hire date
        "E4,03/15/1975,2001-04-01 00:00:00,90000",  # US birth date, timestamp hire date: fine
    ])
    report = prepare(tmp_path, path)

    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (5, 2, 3)
    assert report.reject_reasons == {
        "duplicate employee_id": 1,
        "unparseable employee_hire_date": 1,
        "non-positive employee_gross_compensation": 1,
    }
    rejects = read_rejects(tmp_path).set_index("row")
    assert list(rejects.columns[:2]) == ["employee_id", "reason"]
    assert rejects.loc["2", "reason"] == "non-positive employee_gross_compensation -5"
    assert "duplicate employee_id 'E1'" in rejects.loc["3", "reason"]
    assert "row 1" in rejects.loc["3", "reason"]
    assert rejects.loc["4", "reason"] == "unparseable employee_hire_date '2020-13-45'"
    assert rejects.loc["4", "employee_hire_date"] == "2020-13-45"  # original value kept for fixing

    clean = read_clean(tmp_path)
    assert clean["employee_id"].tolist() == ["E1", "E4"]
    assert clean.loc[0, "employee_gross_compensation"] == 50000.0  # the first E1 is kept
    assert clean.loc[1, "employee_birth_date"] == pd.Timestamp("1975-03-15")
    assert clean.loc[1, "employee_hire_date"] == pd.Timestamp("2001-04-01")


def test_all_reasons_of_a_row_are_listed(tmp_path):
    path = write_csv(tmp_path, [HEADER + ",active", "E1,not-a-date,2010-01-01,abc,maybe"])
    _, rejects, _ = census.validate(census.read_raw(path), AS_OF)
    assert rejects.loc[0, "reason"].split("; ") == [
        "unparseable employee_birth_date 'not-a-date'",
        "employee_gross_compensation is not a number 'abc'",
        "active 'maybe' is not true/false/yes/no/1/0",
    ]


def test_missing_required_column_names_the_column_and_file(tmp_path):
    path = write_csv(tmp_path, ["employee_id,employee_birth_date,employee_gross_compensation",
                                "E1,1980-01-01,50000"])
    with pytest.raises(census.CensusError, match="employee_hire_date") as err:
        prepare(tmp_path, path)
    assert "census.csv" in str(err.value)


def test_a_census_validated_in_its_own_process_gives_the_same_files_and_errors(tmp_path):
    """jobs.prepare_census hands a census of OWN_PROCESS_CENSUS_ROWS or more to a process of
    its own: the files, the report and the error that names the column come back unchanged."""
    import job_workers

    path = tmp_path / "raw.parquet"
    generate_census.write_census(generate_census.generate_census(300, 3, AS_OF), path)
    reports = []
    for where, run in (("here", lambda f, **kw: f(**kw)), ("apart", job_workers.run_in_own_process)):
        reports.append(run(census.validate_census, path=path, clean_path=tmp_path / f"{where}.parquet",
                           rejects_path=tmp_path / f"{where}.csv", as_of=AS_OF))
    assert reports[0] == reports[1] and reports[0].rows_accepted > 0
    here, apart = (duckdb.sql(f"select * from read_parquet('{tmp_path / n}.parquet') order by all").df()
                   for n in ("here", "apart"))
    pd.testing.assert_frame_equal(here, apart)

    missing = write_csv(tmp_path, ["employee_id,employee_birth_date,employee_gross_compensation", "E1,1980-01-01,50000"])
    with pytest.raises(census.CensusError, match="employee_hire_date"):
        job_workers.run_in_own_process(census.validate_census, path=missing, clean_path=tmp_path / "m.parquet",
                                       rejects_path=tmp_path / "m.csv", as_of=AS_OF)


def test_a_later_run_of_the_same_census_copies_the_kept_validation(tmp_path, monkeypatch):
    """census_checks.py: a later run of the same census file, as-of date and column map copies
    the earlier run's clean census, rejects and report byte for byte without validating again;
    another as-of date or another byte of the census is validated anew."""
    from types import SimpleNamespace

    import jobs

    raw = write_csv(tmp_path, [HEADER, "E1,1980-01-01,2015-03-01,50000", "E2,1980-01-01,2015-03-01,-5"])
    names = ("census.parquet", "census_rejects.csv", "census_report.json")

    def run(name: str, as_of: str = "2024-12-31") -> Path:
        out = tmp_path / name
        output = SimpleNamespace(**{key: str(out / file) for key, file in zip(("census", "rejects", "report"), names)})
        params = SimpleNamespace(as_of=as_of, census_columns="{}", checks_dir=str(tmp_path / "checks"))
        jobs.prepare_census(SimpleNamespace(census=str(raw)), output, params, [str(tmp_path / f"{name}.log")])
        return out

    first = run("first")
    validated = []
    validate = census.validate_census
    monkeypatch.setattr(census, "validate_census", lambda **kw: validated.append(kw["as_of"]) or validate(**kw))
    second = run("second")
    assert validated == []
    assert "an earlier run's validation of the same file" in (tmp_path / "second.log").read_text()
    for name in names:
        assert (second / name).read_bytes() == (first / name).read_bytes(), name
    assert "E2" in (second / "census_rejects.csv").read_text()  # the kept rejects, with their reasons

    run("third", as_of="2025-12-31")
    assert validated == [dt.date(2025, 12, 31)]
    raw.write_text(raw.read_text() + "E3,1981-01-01,2016-03-01,60000\n")
    fourth = run("fourth")
    assert validated == [dt.date(2025, 12, 31), AS_OF]
    assert json.loads((fourth / "census_report.json").read_text())["rows_read"] == 3


def test_missing_file_is_named(tmp_path):
    with pytest.raises(census.CensusError, match="nope.csv"):
        census.read_raw(tmp_path / "nope.csv")


def test_column_names_are_normalised_and_optional_columns_added(tmp_path):
    path = write_csv(tmp_path, [" Employee_ID ,EMPLOYEE_BIRTH_DATE,Employee_Hire_Date,employee_gross_compensation",
                                'E1,1980-01-01,2010-01-01,"$55,000"'])
    clean, _, report = census.validate(census.read_raw(path), AS_OF)
    assert report.rows_accepted == 1
    assert list(clean.columns) == list(census.CLEAN_SQL_TYPES)
    assert clean.loc[0, "employee_gross_compensation"] == 55000.0
    assert clean[["level_id", "employee_deferral_rate", "active"]].isna().all().all()


def test_percent_deferral_is_normalised(tmp_path):
    path = write_csv(tmp_path, [HEADER + ",employee_deferral_rate",
                                "E1,1980-01-01,2010-01-01,50000,7.5",
                                "E2,1980-01-01,2010-01-01,50000,0.06",
                                "E3,1980-01-01,2010-01-01,50000,1",
                                "E4,1980-01-01,2010-01-01,50000,",
                                "E5,1980-01-01,2010-01-01,50000,101"])
    clean, rejects, _ = census.validate(census.read_raw(path), AS_OF)
    rates = clean.set_index("employee_id")["employee_deferral_rate"]
    assert rates["E1"] == pytest.approx(0.075)
    assert rates["E2"] == pytest.approx(0.06)
    assert rates["E3"] == pytest.approx(1.0)  # in [0, 1]: already a fraction
    assert pd.isna(rates["E4"])
    assert rejects["employee_id"].tolist() == ["E5"]


def test_hire_after_as_of_is_rejected(tmp_path):
    path = write_csv(tmp_path, [HEADER, "E1,1980-01-01,2025-01-01,50000", "E2,1980-01-01,2024-12-31,50000"])
    clean, rejects, _ = census.validate(census.read_raw(path), AS_OF)
    assert clean["employee_id"].tolist() == ["E2"]
    assert "after the as-of date" in rejects.loc[0, "reason"]


@pytest.mark.parametrize("birth, ok", [
    ("2011-01-01", False),  # 13
    ("2010-12-31", True),   # 14 on the as-of date
    ("1924-12-31", True),   # 100
    ("1923-12-30", False),  # 101
])
def test_age_outside_14_to_100_is_rejected(tmp_path, birth, ok):
    path = write_csv(tmp_path, [HEADER, f"E1,{birth},2024-06-01,50000"])
    _, rejects, report = census.validate(census.read_raw(path), AS_OF)
    assert report.rows_accepted == int(ok)
    if not ok:
        assert "outside 14-100" in rejects.loc[0, "reason"]


def test_field_rules(tmp_path):
    header = HEADER + ",level_id,scheduled_hours_per_week,auto_escalation_opt_out,employee_termination_date"
    path = write_csv(tmp_path, [
        header,
        "E1,1980-01-01,2010-01-01,50000,2,40,Y,",
        "E2,1980-01-01,2010-01-01,50000,2.5,40,,",
        "E3,1980-01-01,2010-01-01,50000,0,40,,",
        "E4,1980-01-01,2010-01-01,50000,,0,,",
        "E5,1980-01-01,2010-01-01,50000,,81,,",
        "E6,1980-01-01,2010-01-01,50000,,,sometimes,",
        "E7,1980-01-01,2010-01-01,50000,,,,2009-12-31",
        ",1980-01-01,2010-01-01,50000,,,,",
    ])
    clean, rejects, report = census.validate(census.read_raw(path), AS_OF)
    assert clean["employee_id"].tolist() == ["E1"]
    assert clean.loc[0, "level_id"] == 2 and bool(clean.loc[0, "auto_escalation_opt_out"])
    reasons = dict(zip(rejects["row"], rejects["reason"]))
    assert "level_id '2.5'" in reasons[2] and "level_id '0'" in reasons[3]
    assert "scheduled_hours_per_week '0'" in reasons[4] and "scheduled_hours_per_week '81'" in reasons[5]
    assert "auto_escalation_opt_out 'sometimes'" in reasons[6]
    assert "before employee_hire_date" in reasons[7]
    assert reasons[8] == "missing employee_id"
    assert report.rows_rejected == 7


def test_terminated_rows_are_accepted_and_counted(tmp_path):
    path = write_csv(tmp_path, [
        HEADER + ",employee_termination_date,active",
        "E1,1980-01-01,2010-01-01,50000,2024-06-30,false",
        "E2,1980-01-01,2010-01-01,50000,2024-12-31,",       # terminated on the as-of date
        "E3,1980-01-01,2010-01-01,50000,,no",
        "E4,1980-01-01,2010-01-01,50000,2025-03-01,true",   # leaves after the as-of date: still active
        "E5,1980-01-01,2010-01-01,50000,,TRUE",
    ])
    report = prepare(tmp_path, path, max_share=0.0)
    assert (report.rows_accepted, report.rows_rejected, report.rows_not_active_at_as_of) == (5, 0, 3)
    assert report.to_dict()["rows_not_active_at_as_of"] == 3


def test_threshold_exceeded_stops_with_the_rejects_file_named(tmp_path):
    path = write_csv(tmp_path, [HEADER, "E1,1980-01-01,2010-01-01,50000", "E2,1980-01-01,2010-01-01,0",
                                "E3,1980-01-01,2010-01-01,50000", "E4,1980-01-01,2010-01-01,50000"])
    rejects_path = tmp_path / "out" / "rejects.csv"
    with pytest.raises(census.CensusError, match="census_max_reject_share") as err:
        prepare(tmp_path, path, max_share=0.2)
    assert "1 of 4" in str(err.value) and "25.0%" in str(err.value)
    assert str(rejects_path) in str(err.value)
    assert read_rejects(tmp_path)["employee_id"].tolist() == ["E2"]
    assert prepare(tmp_path, path, max_share=0.25).rows_rejected == 1  # at the limit is fine


def test_empty_census_is_an_error_and_rejects_file_has_a_header(tmp_path):
    path = write_csv(tmp_path, [HEADER])
    with pytest.raises(census.CensusError, match="no usable rows"):
        prepare(tmp_path, path)
    assert list(read_rejects(tmp_path).columns[:3]) == ["row", "employee_id", "reason"]


@pytest.mark.parametrize("date_type", ["DATE", "VARCHAR"])
def test_parquet_census_with_date_or_text_columns(tmp_path, date_type):
    path = tmp_path / "census.parquet"
    with duckdb.connect() as con:
        con.execute(f"""
            copy (select * from (values
                ('E1', '1980-01-01'::{date_type}, '2010-05-05'::{date_type}, 50000.0, null::{date_type}, true),
                ('E2', '1985-02-03'::{date_type}, '2026-01-01'::{date_type}, 60000.0, null::{date_type}, true),
                ('E3', '1970-02-03'::{date_type}, '2000-01-01'::{date_type}, 70000.0, '2024-03-01'::{date_type}, false)
            ) t(employee_id, employee_birth_date, employee_hire_date, employee_gross_compensation,
                employee_termination_date, active)) to '{path}' (format parquet)""")
    report = prepare(tmp_path, path)
    assert (report.rows_accepted, report.rows_rejected, report.rows_not_active_at_as_of) == (2, 1, 1)
    clean = read_clean(tmp_path)
    assert clean.loc[0, "employee_birth_date"] == pd.Timestamp("1980-01-01")
    with duckdb.connect() as con:
        types = dict(con.execute("select column_name, column_type from (describe select * from read_parquet(?))",
                                 [str(tmp_path / "out" / "census.parquet")]).fetchall())
    assert types == census.CLEAN_SQL_TYPES


def test_excel_without_openpyxl_says_what_to_install(tmp_path, monkeypatch):
    path = tmp_path / "census.xlsx"
    path.write_bytes(b"not really excel")
    monkeypatch.setattr(census.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(census.CensusError, match="pip install openpyxl"):
        census.read_raw(path)


# ---------------------------------------------------------------- generate_census.py


@pytest.fixture(scope="module")
def generated() -> pd.DataFrame:
    return generate_census.generate_census(20_000, 7, AS_OF)


def test_generator_is_reproducible_and_seeded():
    a = generate_census.generate_census(500, 1, AS_OF)
    b = generate_census.generate_census(500, 1, AS_OF)
    c = generate_census.generate_census(500, 2, AS_OF)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert len(generate_census.generate_census(3, 1, AS_OF)) == 3


def test_generator_shape_and_content(generated):
    assert len(generated) == 20_000
    assert list(generated.columns) == list(census.REQUIRED_COLUMNS + census.OPTIONAL_COLUMNS)
    assert generated["employee_id"].iloc[0] == "EMP_000001" and generated["employee_id"].is_unique
    assert generated["level_id"].isna().all()

    actives = generated[generated["active"]]
    participation = (actives["employee_deferral_rate"] > 0).mean()
    assert 0.80 <= participation <= 0.90
    assert 0.02 <= 1 - generated["active"].mean() <= 0.06

    # Level mix, read from pay bands the way the model derives levels: full-time-equivalent pay.
    full_time_pay = generated["employee_gross_compensation"] * 40 / generated["scheduled_hours_per_week"]
    bands = pd.cut(full_time_pay, [0, 80_000, 120_000, 160_000, 275_000, float("inf")],
                   right=False, labels=[1, 2, 3, 4, 5])
    shares = bands.value_counts(normalize=True).sort_index()
    assert shares.tolist() == pytest.approx([0.40, 0.28, 0.18, 0.10, 0.04], abs=0.02)

    first = generated.iloc[:6]
    assert first.loc[0, "employee_hire_date"] == AS_OF
    assert first.loc[1, "employee_birth_date"] == dt.date(1960, 12, 31)  # 64
    assert first.loc[2, "employee_birth_date"] == dt.date(1959, 12, 31)  # 65
    assert first["employee_gross_compensation"].tolist()[3:5] == [50_000, 600_000]
    # part-timers are paid the full-time rate of their band times hours / 40
    part_time = generated[generated["scheduled_hours_per_week"] == 20]
    assert len(part_time) > 500 and full_time_pay[part_time.index].between(50_000, 500_000).all()


def test_generated_census_passes_validation(generated, tmp_path):
    csv_path = tmp_path / "gen" / "census.csv"
    generate_census.write_census(generated, csv_path)
    report = prepare(tmp_path, csv_path, max_share=0.0)
    assert report.rows_rejected == 0 and report.rows_accepted == len(generated)
    assert report.rows_not_active_at_as_of == int((~generated["active"]).sum())

    parquet_path = tmp_path / "gen" / "census.parquet"
    generate_census.write_census(generated.head(1000), parquet_path)
    assert prepare(tmp_path, parquet_path, max_share=0.0).rows_accepted == 1000


def test_generator_cli(tmp_path):
    out = tmp_path / "c.parquet"
    assert generate_census.main(["--size", "50", "--seed", "3", "--as-of", "2024-12-31", "--out", str(out)]) == 0
    with duckdb.connect() as con:
        assert con.execute("select count(*) from read_parquet(?)", [str(out)]).fetchone()[0] == 50


def test_compliance_columns(tmp_path):
    header = HEADER + ",Prior Year Compensation,Ownership %,Officer,Nonresident Alien"
    path = write_csv(tmp_path, [
        header,
        'E1,1980-01-01,2010-01-01,250000,"$240,000",12%,yes,no',
        "E2,1980-01-01,2010-01-01,50000,48000,0,n,",
        "E3,1980-01-01,2010-01-01,50000,-1,,,",
        "E4,1980-01-01,2010-01-01,50000,,150,,",
        "E5,1980-01-01,2010-01-01,50000,,a lot,maybe,",
    ])
    clean, rejects, report = census.validate(census.read_raw(path), AS_OF)
    assert clean["employee_id"].tolist() == ["E1", "E2"]
    assert clean.prior_year_compensation.tolist() == [240000.0, 48000.0]
    assert clean.ownership_pct.tolist() == [12.0, 0.0]
    assert clean.is_officer.tolist() == [True, False] and clean.is_nonresident_alien.tolist()[0] is False
    assert pd.isna(clean.is_nonresident_alien[1])
    assert report.column_sources["ownership_pct"] == "Ownership %"
    reasons = dict(zip(rejects["row"], rejects["reason"]))
    assert reasons[3] == "negative prior_year_compensation '-1'"
    assert reasons[4] == "ownership_pct '150' is outside 0-100 (a percentage)"
    assert "ownership_pct is not a number 'a lot'" in reasons[5] and "is_officer 'maybe'" in reasons[5]


@given(st.lists(st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(min_value=0, allow_infinity=False).map(repr),
    st.integers(min_value=-10**25, max_value=10**25).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{0,20})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["5.", ".5", "+5", "-0", "1E+05", "1e400", "inf", "-inf", "nan", "NaN", "$1,000", "1,5", "0x10",
                     "1_000", "١٢٣", " 7 ", "7.5%", ""]),
    st.none()), max_size=30))
@settings(max_examples=300, deadline=None)
def test_numbers_parse_as_pandas_parses_them(values):
    # census._to_float reads plain numerals with Arrow's parser: every value must come out as the
    # same double (or NaN) as pandas' to_numeric gives, which reads the rest
    text = pd.Series(values, dtype="str")
    fast = census._to_float(text).to_numpy()
    expected = pd.to_numeric(text, errors="coerce").astype("float64").to_numpy()
    assert fast.tobytes() == expected.tobytes(), list(zip(values, fast, expected))  # bit for bit, NaN and -0.0 too
