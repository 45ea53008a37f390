"""Benchmark: whole workflow runs on generated censuses, reported as medians.

For each size, every repeat runs `snakemake` from scratch in a fresh directory and
records wall time, the time of each year, where the dbt time went (parsing versus SQL
versus dbt's own per-node overhead) and the peak memory of the Snakemake process and
its dbt worker processes together (dbt and DuckDB run in the workers). The headline
runs are cold: the saved dbt parse (dbt/target/parse) and dbt's config schemas
(dbt/target/json_schemas) are removed first, as after a fresh clone; the "warm"
column repeats them as later runs in the directory of the last one (its results removed), with
the parse and the schemas saved, the year programs kept in results/.dbt_programs and the
census validation kept in results/.census_checks.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def run_measured(command: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run the command; return its result, wall seconds and peak memory in MB: the largest
    sum of the resident memory of the process and all its descendants (the dbt worker
    processes), sampled every 50 ms."""
    import psutil

    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root, peak = psutil.Process(process.pid), 0
    output: dict[str, str] = {}
    reader = threading.Thread(target=lambda: output.update(zip(("stdout", "stderr"), process.communicate())))
    reader.start()
    while reader.is_alive():
        try:
            tree = [root, *root.children(recursive=True)]
            total = 0
            for member in tree:
                try:
                    total += member.memory_info().rss
                except psutil.Error:  # exited between the listing and the reading
                    pass
            peak = max(peak, total)
        except psutil.Error:
            pass
        reader.join(0.05)
    wall = time.perf_counter() - started
    result = subprocess.CompletedProcess(command, process.returncode, output.get("stdout", ""), output.get("stderr", ""))
    return result, wall, peak / 2**20


def run_once(size: int, start: int, end: int, cores: int, workdir: Path, reports: bool = False,
             scenarios: tuple[str, ...] = ("baseline",), seeds: tuple[int, ...] = (42,),
             cold_parse: bool = True) -> dict:
    if cold_parse:  # as after a fresh clone: dbt parses the project in full and builds its config schemas
        for saved in ("parse", "json_schemas"):
            shutil.rmtree(REPO / "dbt" / "target" / saved, ignore_errors=True)
    if (workdir / "results").exists():  # a later run in the same directory: results/.dbt_programs and .census_checks stay
        for done in (workdir / "results" / "default", workdir / ".snakemake", workdir / "logs"):
            shutil.rmtree(done, ignore_errors=True)
    else:
        shutil.copytree(REPO / "config", workdir / "config")
    # the census is generated outside the timed run, as a user's census would be given
    census = workdir / f"census_{size}.parquet"
    subprocess.run([sys.executable, str(REPO / "workflow" / "scripts" / "generate_census.py"),
                    "--size", str(size), "--seed", "20241231", "--as-of", f"{start - 1}-12-31",
                    "--out", str(census)], check=True, capture_output=True)
    command = [str(SNAKEMAKE), "--snakefile", str(REPO / "Snakefile"), "--cores", str(cores), "--config",
               f"census={census}", f"start_year={start}", f"end_year={end}", f"reports={reports}",
               "scenarios=[" + ",".join(scenarios) + "]", "seeds=[" + ",".join(map(str, seeds)) + "]"]
    result, wall, peak_mb = run_measured(command, workdir)
    if result.returncode != 0:
        raise RuntimeError(f"benchmark run failed:\n{result.stderr[-4000:]}")
    run_dir = workdir / "results" / "default" / scenarios[0] / f"seed_{seeds[0]}"  # the default run name
    foundation = json.loads((run_dir / "foundation.json").read_text())
    years = [json.loads((run_dir / "years" / str(y) / "summary.json").read_text()) for y in range(start, end + 1)]
    dbt_runs = foundation["dbt"]
    dbt_total = sum(r["seconds_total"] for r in dbt_runs) + sum(y["timing"]["seconds_dbt"] for y in years)
    dbt_parse = sum(r["seconds_parse"] for r in dbt_runs) + sum(y["timing"]["seconds_dbt_parse"] for y in years)
    dbt_sql = sum(r["seconds_sql"] for r in dbt_runs) + sum(y["timing"]["seconds_dbt_sql"] for y in years)
    return {
        "wall_seconds": wall,
        "foundation_seconds": foundation["seconds_total"],
        "year_seconds": [y["timing"]["seconds_total"] for y in years],
        "dbt_seconds": dbt_total,
        "dbt_parse_seconds": dbt_parse,
        "dbt_sql_seconds": dbt_sql,
        "dbt_node_overhead_seconds": dbt_total - dbt_parse - dbt_sql,
        "outside_jobs_seconds": wall - foundation["seconds_total"] - sum(y["timing"]["seconds_total"] for y in years),
        "peak_rss_mb": peak_mb,
        "events": sum(y["row_counts"]["events"] for y in years),
        # years that ran the statements dbt ran for the first two (workflow/scripts/year_replay.py)
        "years_replayed": sum("replayed" in y.get("dbt_build", "") for y in years),
        "end_headcount": years[-1]["end_headcount"],
        "profile": year_profile(years),
    }


def measure_sweep(sweep: Path, repeats: int, cores: int) -> dict:
    """`make sweep` of a sweep file, from the process start to its last output, and whose workforce
    each candidate's years used (sweep.json): one "built" per seed means the workforce was computed once."""
    walls, peaks = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
            result, wall, peak_mb = run_measured(
                [sys.executable, str(REPO / "workflow" / "scripts" / "sweep.py"), str(sweep), "--cores", str(cores),
                 "--out", tmp], REPO)
            if result.returncode != 0:
                raise RuntimeError(f"benchmark sweep failed:\n{result.stderr[-4000:]}")
            recorded = json.loads((Path(tmp) / "sweep.json").read_text())
            walls.append(wall)
            peaks.append(peak_mb)
    settings = recorded["sweep"]
    candidates = len(next(iter(recorded["workforce_from"].values())))
    built = {seed: sum(sources == ["built"] for sources in by_candidate.values())
             for seed, by_candidate in recorded["workforce_from"].items()}
    return {"sweep": sweep.name, "candidates": candidates, "seeds": len(settings["seeds"]),
            "employees": settings["census_size"], "years": recorded["years"], "cores": cores,
            "wall_seconds": round(statistics.median(walls), 3), "wall_seconds_all": [round(w, 3) for w in walls],
            "peak_rss_mb": round(max(peaks), 1), "workforces_built_per_seed": built}


def sweep_line(measured: dict) -> str:
    first, last = measured["years"]
    built = measured["workforces_built_per_seed"]
    workforce = ("the workforce built once per seed" if set(built.values()) == {1} else
                 "workforces built: " + ", ".join(f"{n} for seed {seed}" for seed, n in built.items()))
    return (f"sweep {measured['sweep']}: {measured['candidates']} designs x {measured['seeds']} seed(s) at "
            f"{measured['employees']} x {last - first + 1} (--cores {measured['cores']}): "
            f"{measured['wall_seconds']:.1f} s, {workforce}, peak {measured['peak_rss_mb']:,.0f} MB")


def year_profile(years: list[dict]) -> dict:
    """Per dbt node of the year build: median seconds a year, the year's rows (tables only; ephemeral
    models are inlined into the tables that read them), and the bytes a year writes to each file."""
    nodes = {}
    for name in years[0]["node_seconds"]:
        seconds = [y["node_seconds"].get(name, 0.0) for y in years]
        rows = [y.get("table_rows", {}).get(name) for y in years]
        nodes[name] = {"seconds_per_year": round(statistics.median(seconds), 3),
                       "rows_per_year": None if rows[0] is None else int(statistics.median(rows))}
    written = {key: int(statistics.median(y["bytes_written"][key] for y in years))
               for key in years[0].get("bytes_written", {})}
    return {"nodes": dict(sorted(nodes.items(), key=lambda item: -item[1]["seconds_per_year"])),
            "bytes_written_per_year": written}


def profile_lines(size: int, profile: dict, top: int = 15) -> list[str]:
    """The year build's costliest nodes, then the rest summed (tests are most of them)."""
    nodes = list(profile["nodes"].items())
    lines = [f"year build at {size}: median per year", f"  {'dbt node':<60} {'s/year':>7} {'rows':>9}"]
    for name, node in nodes[:top]:
        rows = "" if node["rows_per_year"] is None else f"{node['rows_per_year']:,}"
        lines.append(f"  {name[:60]:<60} {node['seconds_per_year']:>7.2f} {rows:>9}")
    rest = nodes[top:]
    lines.append(f"  {f'{len(rest)} other nodes':<60} {sum(n['seconds_per_year'] for _, n in rest):>7.2f}")
    lines.append("  bytes written a year: " + ", ".join(
        f"{name} {size / 1e6:.1f} MB" for name, size in profile["bytes_written_per_year"].items()))
    return lines


def snakemake_startup_seconds(repeats: int = 3) -> float:
    """Median time of `snakemake --version`, which every run pays before its first job. It includes
    loading the executor plugins: where SLURM is installed but its controller is down, the SLURM
    plugin waits about 10 s for `scontrol show config` when it is loaded."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([str(SNAKEMAKE), "--version"], check=True, capture_output=True)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


# A start this slow is not Snakemake's own (~1.5 s here): where SLURM is installed, its controller is down.
SLOW_START_SECONDS = 5.0


def slow_start_warning(startup: float) -> str | None:
    """The warning to print when every run's wall time includes a wait that is not the simulation's."""
    if startup < SLOW_START_SECONDS:
        return None
    cause = ("SLURM is installed but its controller does not answer: the SLURM executor plugin waits for "
             "`scontrol show config` as it loads; start SLURM (tests/cluster/start_slurm.sh) and measure again"
             if shutil.which("scontrol") else "not the SLURM plugin (no scontrol here)")
    return f"warning: snakemake takes {startup:.1f} s to start, and every wall time below includes it ({cause})"


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated census sizes")
    parser.add_argument("--start", type=int, default=2025)
    parser.add_argument("--end", type=int, default=2029)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/bench.json")
    parser.add_argument("--no-extras", action="store_true",
                        help="skip the report-overhead, seed-ensemble and sweep measurements")
    parser.add_argument("--ensemble-seeds", type=int, default=20,
                        help="seeds of the ensemble run on the smallest size (against as many single runs)")
    parser.add_argument("--sweep", type=Path, default=REPO / "config" / "sweeps" / "match_and_enrollment.yaml",
                        help="the sweep file timed as `make sweep` (its own census size, years and seeds)")
    args = parser.parse_args(argv)

    startup = snakemake_startup_seconds()
    warning = slow_start_warning(startup)
    if warning:
        print(warning, file=sys.stderr, flush=True)  # now, not only after the runs
    report = {"years": args.end - args.start + 1, "cores": args.cores, "repeats": args.repeats,
              "snakemake_startup_seconds": round(startup, 3), "sizes": {}}
    lines = [f"{'employees':>10} {'wall s':>8} {'warm s':>7} {'per year s':>10} {'foundation s':>12} "
             f"{'dbt parse s':>11} {'dbt SQL s':>9} {'dbt nodes s':>11} {'other s':>8} {'peak MB':>8} {'events':>9} "
             f"{'replayed':>8}"]
    for size in (int(s) for s in args.sizes.split(",")):  # tables only: the simulation itself
        runs, warm_runs = [], []
        with tempfile.TemporaryDirectory(prefix=f"bench_{size}_") as kept:
            for repeat in range(args.repeats):  # cold: a fresh directory, no saved dbt parse (the headline figures)
                with tempfile.TemporaryDirectory(prefix=f"bench_{size}_") as tmp:
                    workdir = Path(kept if repeat == args.repeats - 1 else tmp)
                    runs.append(run_once(size, args.start, args.end, args.cores, workdir))
            for _ in range(args.repeats):  # warm: what the run before in the directory kept is reused
                warm_runs.append(run_once(size, args.start, args.end, args.cores, Path(kept), cold_parse=False))
        per_year = statistics.median(s for r in runs for s in r["year_seconds"])
        summary = {key: round(median_of(runs, key), 3) for key in (
            "wall_seconds", "foundation_seconds", "dbt_seconds", "dbt_parse_seconds", "dbt_sql_seconds",
            "dbt_node_overhead_seconds", "outside_jobs_seconds", "events", "end_headcount", "years_replayed")}
        summary["median_year_seconds"] = round(per_year, 3)
        summary["profile"] = min(runs, key=lambda r: abs(r["wall_seconds"] - summary["wall_seconds"]))["profile"]
        summary["peak_rss_mb"] = round(max(r["peak_rss_mb"] for r in runs), 1)
        summary["wall_seconds_all"] = [round(r["wall_seconds"], 3) for r in runs]
        summary["warm_parse_wall_seconds"] = round(median_of(warm_runs, "wall_seconds"), 3)
        summary["warm_parse_wall_seconds_all"] = [round(r["wall_seconds"], 3) for r in warm_runs]
        summary["warm_parse_dbt_parse_seconds"] = round(median_of(warm_runs, "dbt_parse_seconds"), 3)
        summary["warm_years_replayed"] = median_of(warm_runs, "years_replayed")
        report["sizes"][str(size)] = summary
        lines.append(f"{size:>10} {summary['wall_seconds']:>8.1f} {summary['warm_parse_wall_seconds']:>7.1f} "
                     f"{per_year:>10.2f} "
                     f"{summary['foundation_seconds']:>12.2f} {summary['dbt_parse_seconds']:>11.2f} "
                     f"{summary['dbt_sql_seconds']:>9.2f} {summary['dbt_node_overhead_seconds']:>11.2f} "
                     f"{summary['outside_jobs_seconds']:>8.2f} {summary['peak_rss_mb']:>8.0f} "
                     f"{int(summary['events']):>9} {int(summary['years_replayed']):>8}")
    sizes = [int(s) for s in args.sizes.split(",")]
    for size in sizes:
        lines += profile_lines(size, report["sizes"][str(size)]["profile"])
    if not args.no_extras:
        # reports (charts, workbook, HTML) on the largest size: their share of the wall time
        largest = max(sizes)
        with_reports = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory(prefix=f"bench_reports_{largest}_") as tmp:
                with_reports.append(run_once(largest, args.start, args.end, args.cores, Path(tmp), reports=True))
        base = report["sizes"][str(largest)]["wall_seconds"]
        wall = statistics.median(r["wall_seconds"] for r in with_reports)
        report["reports_overhead"] = {"employees": largest, "wall_seconds_without": base,
                                      "wall_seconds_with": round(wall, 3),
                                      "added_share": round(wall / base - 1, 4)}
        lines.append(f"reports on {largest}: {wall:.1f} s vs {base:.1f} s without (+{wall / base - 1:.1%})")
        # a seed ensemble on the smallest size versus as many single runs
        smallest, seeds = min(sizes), args.ensemble_seeds
        with tempfile.TemporaryDirectory(prefix="bench_ensemble_") as tmp:
            ensemble = run_once(smallest, args.start, args.end, args.cores, Path(tmp),
                                seeds=tuple(range(1, seeds + 1)))
        single = report["sizes"][str(smallest)]["wall_seconds"]
        ratio = ensemble["wall_seconds"] / (seeds * single)
        report["seed_ensemble"] = {"employees": smallest, "seeds": seeds, "cores": args.cores,
                                   "wall_seconds": round(ensemble["wall_seconds"], 3),
                                   "peak_rss_mb": round(ensemble["peak_rss_mb"], 1),
                                   "single_run_wall_seconds": single, "ratio_to_single_runs": round(ratio, 4)}
        lines.append(f"{seeds} seeds at {smallest} (--cores {args.cores}): {ensemble['wall_seconds']:.1f} s vs "
                     f"{seeds} x {single:.1f} s = {seeds * single:.1f} s ({ratio:.0%}), "
                     f"peak {ensemble['peak_rss_mb']:,.0f} MB")
        report["sweep"] = measure_sweep(args.sweep, args.repeats, args.cores)
        lines.append(sweep_line(report["sweep"]))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    text = "\n".join([f"{report['years']} years, {args.cores} cores, median of {args.repeats} runs; "
                      f"snakemake starts in {startup:.1f} s (part of every wall time)",
                      *([warning] if warning else []), *lines])
    out.with_suffix(".txt").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
