"""Provenance of a run: config hash, seed, years, census checksum, software versions, commit, run time."""
from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path


PACKAGES = ("snakemake", "dbt-core", "dbt-duckdb", "duckdb", "pandas", "pyyaml")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(data) -> str:
    """A stable hash of any JSON-able value (the config hashes stamped on outputs)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def software_versions() -> dict:
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def git_commit(repo: Path) -> str:
    try:
        result = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if result.returncode != 0:
        return "unknown"
    dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=10).stdout.strip()
    return result.stdout.strip() + ("-dirty" if dirty else "")


def run_seconds(run_dir: Path) -> float:
    """Time spent in the run's jobs (foundation and every year)."""
    total = json.loads((run_dir / "foundation.json").read_text())["seconds_total"]
    for summary in sorted((run_dir / "years").glob("*/summary.json")):
        total += json.loads(summary.read_text())["timing"]["seconds_total"]
    return round(total, 3)


def build_metadata(*, run_dir: Path, scenario: str, seed: int, years: list[int], census_source: Path,
                   simulation_config: dict, dbt_vars: dict, repo: Path) -> dict:
    return {
        "scenario": scenario,
        "seed": seed,
        "years": f"{years[0]}-{years[-1]}",
        "config_hash": fingerprint(dbt_vars),
        "simulation_config_hash": fingerprint(simulation_config),
        "census_file": str(census_source),
        "census_sha256": file_sha256(census_source),
        "commit": git_commit(repo),
        **{f"version_{name}": version for name, version in software_versions().items()},
        "run_seconds": run_seconds(run_dir),
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
