"""Validations of a census kept for the later runs of a results directory.

Validating a census is a pure function of the census file, the as-of date and the column map,
read by census.py with its libraries against the model's job levels. So the files a validation
writes (the clean Parquet, the rejects CSV, the report) are kept under a key of all of these, in
<results_dir>/.census_checks/, and a later run whose key is the same copies them instead of
validating again (~1.3 s at 100,000 rows, ~8 s at 1,000,000). Any other byte of the census, of
the code or of the job levels, or another library version: another key, a new validation.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
# what a validation reads besides the census: the code and the model's job levels
CODE = (SCRIPTS / "census.py", SCRIPTS / "sim_io.py", SCRIPTS / "simconfig" / "segments.py",
        SCRIPTS.parents[1] / "dbt" / "seeds" / "config_job_levels.csv")
LIBRARIES = ("pandas", "numpy", "pyarrow", "duckdb", "openpyxl")  # what census.py reads a file with


def _file_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _version(library: str) -> str | None:
    try:
        return importlib.metadata.version(library)
    except importlib.metadata.PackageNotFoundError:
        return None


def key(census: Path, as_of: str, column_map: dict | None) -> str:
    """What a validation's files depend on. The census's place is part of it: the report names it."""
    parts = {
        "census": [str(Path(census).resolve()), _file_digest(census)],
        "as_of": as_of,
        "column_map": column_map or {},
        "code": {path.name: _file_digest(path) for path in CODE},
        "libraries": {library: _version(library) for library in LIBRARIES},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def reuse(kept: Path, outputs: list[Path]) -> bool:
    """Copy a kept validation's files to outputs (by file name); False if none is kept."""
    if not kept.is_dir():
        return False
    for output in outputs:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(output.name + ".tmp")
        shutil.copyfile(kept / output.name, tmp)
        os.replace(tmp, output)
    return True


def keep(kept: Path, outputs: list[Path]) -> None:
    """Keep a validation's files; whole or not at all (a directory renamed into place)."""
    if kept.is_dir():
        return
    kept.parent.mkdir(parents=True, exist_ok=True)
    staging = kept.with_name(f".tmp-{os.getpid()}-{kept.name}")
    shutil.rmtree(staging, ignore_errors=True)  # a stopped run's
    staging.mkdir()
    try:
        for output in outputs:
            shutil.copyfile(output, staging / output.name)
        os.rename(staging, kept)
    except OSError:
        if not kept.is_dir():  # another run that kept the same validation first is fine
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
