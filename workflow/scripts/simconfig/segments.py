"""Band names shared by the config and the SQL, read from the dbt seeds that define them
(dbt/seeds/config_enrollment_segments.csv, config_age_bands.csv, config_tenure_bands.csv)."""
from __future__ import annotations

import csv
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[3] / "dbt" / "seeds"


def read_seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def _segment_labels(segment: str) -> tuple[str, ...]:
    return tuple(row["band_label"] for row in read_seed("config_enrollment_segments") if row["segment"] == segment)


# Segments of the enrollment behaviour (age, pay, job level, tenure).
AGE_BANDS = _segment_labels("age")
INCOME_BANDS = _segment_labels("income")
LEVEL_BANDS = _segment_labels("level")
TENURE_BANDS = _segment_labels("tenure")
DEFERRAL_SEGMENTS = tuple(f"{age}_{income}" for age in AGE_BANDS for income in INCOME_BANDS)


def band_case_sql(seed: str, expr: str) -> str:
    """A SQL CASE giving the band label of `expr` from a [min_value, max_value) band seed
    (config_age_bands, config_tenure_bands), for Python-side queries of the outputs."""
    rows = read_seed(seed)
    whens = " ".join(f"when {expr} >= {row['min_value']} and {expr} < {row['max_value']} "
                     f"then '{row['band_label']}'" for row in rows)
    return f"case {whens} end"
