"""Benchmark harness (issue 8): the real pipeline on generated data at 1,000 / 10,000 / 100,000 projects.

    python -m bench.run [--sizes 1000,10000,100000] [--runs 3] [--smoke] [--no-report] [--no-bundle]

For each size N it generates a clean dataset into a temporary folder (timed, not part of the pipeline),
measures the I/O floor (DuckDB reading every raw file once as text), then runs the pipeline ``--runs``
times, each in a fresh child process (``python -m bench.run --one N ...``) so peak RSS is per run. The
child executes the same Dagster definitions as ``scorecard run`` (``ingest_job``, then per review year
the ``review`` group, then — unless ``--no-report`` — the ``report`` group, timed separately) and prints
one JSON line: per asset wall time, step peak RSS, rows in and out; per phase wall time; whole-process
peak RSS (``ru_maxrss``) and CPU time. The parent prints a table of medians, checks the issue's targets
and writes ``bench/results/<date>-<machine>.json``.

Child modes (used by the parent; handy by hand too):

    python -m bench.run --one N --raw DIR --warehouse FILE --reports DIR [--years 2017-2019] [--report]
                        [--profile-out FILE.html]
    python -m bench.run --generate N --out DIR
    python -m bench.run --floor --raw DIR
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.explain import PIPELINE_PHASES, profiles

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
MARK = "BENCH-JSON "
DEFAULT_SIZES = (1_000, 10_000, 100_000)
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024

PHASE_MARK = "▶"  # how `scorecard run` heads each job it runs

TARGETS = {  # issue 16: (label, comparison, limit, unit)
    "bundle_run_seconds": ("`scorecard run`, bundled data, all years, every deliverable and analysis", "≤", 20.0, "s"),
    "total_100k_seconds": (
        "100,000 projects, 3 years, ingest → review → analyses → checks → reports",
        "≤",
        100.0,
        "s",
    ),
    "peak_rss_100k_gib": ("peak RSS of that run (the largest process)", "≤", 3.0, "GiB"),
    "pipeline_over_floor_100k": ("the same without reports, as a multiple of the I/O floor", "≤", 25.0, "×"),
    "report_year_seconds_100k": ("report for one year at 100,000 projects (the latest, built alone)", "≤", 15.0, "s"),
    "check_seconds_100k": ("GX checks at 100,000 projects", "≤", 15.0, "s"),
    "pipeline_1m_seconds": ("1,000,000 projects, 3 years, without reports, with checks", "≤", 240.0, "s"),
    "peak_rss_1m_gib": ("peak RSS of that run", "≤", 8.0, "GiB"),
    "definitions_load_seconds": ("`dagster definitions validate`", "≤", 3.0, "s"),
}


# ============================================================================================ helpers


def _rss_now() -> int:
    """Resident set size of this process now, in bytes."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE


def _maxrss() -> int:
    """Peak RSS of this whole process so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class RssSampler(threading.Thread):
    """Samples RSS every few milliseconds; ``window_peak`` is the highest value since ``reset``."""

    def __init__(self, interval: float = 0.05):
        super().__init__(daemon=True, name="bench-rss")
        self.interval = interval
        self._peak = _rss_now()
        self._lock = threading.Lock()

    def run(self) -> None:  # pragma: no cover - timing thread
        while True:
            rss = _rss_now()
            with self._lock:
                if rss > self._peak:
                    self._peak = rss
            time.sleep(self.interval)

    def reset(self) -> None:
        with self._lock:
            self._peak = _rss_now()

    def window_peak(self) -> int:
        rss = _rss_now()
        with self._lock:
            self._peak = max(self._peak, rss)
            return self._peak


def machine_info() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    import dagster
    import duckdb
    import polars

    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem / 2**30, 1),
        "cpu_model": model or platform.processor() or platform.machine(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": {"dagster": dagster.__version__, "duckdb": duckdb.__version__, "polars": polars.__version__},
        "duckdb_threads": os.environ.get("SCORECARD_DUCKDB_THREADS") or None,
        "duckdb_memory_limit": os.environ.get("SCORECARD_DUCKDB_MEMORY_LIMIT") or None,
    }


def machine_slug(info: dict) -> str:
    cpu = re.sub(r"[^a-z0-9]+", "-", info["cpu_model"].lower()).strip("-")
    cpu = "-".join(cpu.split("-")[:3]) or "cpu"
    return f"{info['cores']}c-{round(info['memory_gib'])}g-{cpu}"


def dir_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _medians(dicts: list[dict]) -> dict:
    """{key: median of its values} over ``dicts``, keys in the order first seen."""
    keys = dict.fromkeys(k for d in dicts for k in d)
    return {k: _median([d.get(k) for d in dicts]) for k in keys}


def _emit(payload: dict) -> None:
    print(MARK + json.dumps(payload, default=str), flush=True)


# ====================================================================================== child: --one


_EVENTS: list[dict] = []
_SAMPLER: RssSampler | None = None
_KEEP_METADATA = ("dagster/row_count", "rows_read", "rows_in", "build_seconds")


class _BenchHandler(logging.Handler):
    """Receives every Dagster event of an in-process run, synchronously, in the step's own thread."""

    def emit(self, record: logging.LogRecord) -> None:
        from pipelines.events import CHECK_EVALUATION, MATERIALIZATION, STEP_START, record_event

        event = record_event(record)
        if event is None:
            return
        now = time.perf_counter()
        if event.kind == STEP_START and _SAMPLER is not None:
            _SAMPLER.reset()
        rec = {
            "kind": event.kind,
            "step": event.step,
            "t": now,
            "rss": _rss_now(),
            "window_peak": _SAMPLER.window_peak() if _SAMPLER is not None else _rss_now(),
        }
        if event.kind == MATERIALIZATION:
            rec["asset"] = event.asset
            rec["partition"] = event.partition
            rec["metadata"] = {
                k: v for k, v in event.metadata.items() if k in _KEEP_METADATA or k.endswith((" seconds", " timings"))
            }
        elif event.kind == CHECK_EVALUATION:
            rec["check"] = f"{event.asset}:{event.check}"
            rec["passed"] = event.passed
        _EVENTS.append(rec)


def _bench_logger_def():
    import dagster as dg

    @dg.logger(description="Benchmark recorder (bench/run.py): step and materialisation events with time and RSS.")
    def bench_logger(init_context):
        from pipelines.events import event_logger

        return event_logger("scorecard.bench", _BenchHandler)

    return bench_logger


def _asset_rows(
    events: list[dict], phase: str, partition: str | None, upstream: dict[str, list[str]], latest_out: dict[str, int]
) -> list[dict]:
    """Per asset: wall time, rows in/out and the step's peak RSS, from one phase's events."""
    rows: list[dict] = []
    step_start: dict[str, float] = {}
    step_end: dict[str, dict] = {}
    last_t: dict[str, float] = {}
    for e in events:
        if e["kind"] == "STEP_START":
            step_start[e["step"]] = e["t"]
            last_t[e["step"]] = e["t"]
        elif e["kind"] in ("STEP_SUCCESS", "STEP_FAILURE"):
            step_end[e["step"]] = e
    for e in events:
        if e["kind"] != "ASSET_MATERIALIZATION":
            continue
        step, md = e["step"], e["metadata"]
        end = step_end.get(step, e)
        start = step_start.get(step, e["t"])
        seconds = md.get("build_seconds")
        if seconds is None:
            seconds = e["t"] - last_t.get(step, start)
        last_t[step] = e["t"]
        rows_out = md.get("dagster/row_count")
        rows_in = md.get("rows_read", md.get("rows_in"))
        if rows_in is None:
            ups = [latest_out[u] for u in upstream.get(e["asset"], []) if u in latest_out]
            rows_in = sum(ups) if ups else None
        if rows_out is not None:
            latest_out[e["asset"]] = int(rows_out)
        rows.append(
            {
                "phase": phase,
                "partition": partition,
                "asset": e["asset"],
                "step": step,
                "seconds": round(float(seconds), 4),
                "step_seconds": round(end["t"] - start, 4),
                "rows_in": rows_in,
                "rows_out": rows_out,
                "step_peak_rss_mib": round(max(end["window_peak"], e["window_peak"]) / MIB, 1),
                "rss_after_mib": round(end["rss"] / MIB, 1),
            }
        )
    return rows


def _step_rows(events: list[dict], phase: str, partition: str | None) -> list[dict]:
    """Per Dagster step (an asset, a multi-asset or an asset check): wall time, peak RSS, what it did."""
    rows: dict[str, dict] = {}
    for e in events:
        step = e["step"]
        if e["kind"] == "STEP_START":
            rows[step] = {
                "phase": phase,
                "partition": partition,
                "step": step,
                "kind": "check",
                "start": e["t"],
                "seconds": None,
                "peak_rss_mib": None,
                "assets": [],
                "checks": [],
                "success": None,
            }
        elif step in rows:
            row = rows[step]
            if e["kind"] == "ASSET_MATERIALIZATION":
                row["kind"] = "asset"
                row["assets"].append(e["asset"])
            elif e["kind"] == "ASSET_CHECK_EVALUATION":
                row["checks"].append({"check": e["check"], "passed": e["passed"]})
            else:
                row["seconds"] = round(e["t"] - row["start"], 4)
                row["peak_rss_mib"] = round(e["window_peak"] / MIB, 1)
                row["success"] = e["kind"] == "STEP_SUCCESS"
    for row in rows.values():
        row.pop("start")
    return list(rows.values())


def run_one(args: argparse.Namespace) -> dict:
    """Child process: the real pipeline, in-process, on ``args.raw`` into ``args.warehouse``."""
    global _SAMPLER
    os.environ["SCORECARD_RAW_DIR"] = str(Path(args.raw).resolve())
    os.environ["SCORECARD_WAREHOUSE"] = str(Path(args.warehouse).resolve())
    os.environ["SCORECARD_REPORTS_DIR"] = str(Path(args.reports).resolve())
    os.environ.pop("DAGSTER_HOME", None)
    years = parse_years(args.years)
    _SAMPLER = RssSampler()
    _SAMPLER.start()
    wall0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)

    t = time.perf_counter()
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.partitions import review_years

    defs_load = time.perf_counter() - t
    rss_after_defs = _rss_now()

    groups = {spec.group_name for spec in defs.resolve_all_asset_specs()}
    upstream = {
        spec.key.to_user_string(): [d.asset_key.to_user_string() for d in spec.deps if d.asset_key != spec.key]
        for spec in defs.resolve_all_asset_specs()
    }
    standalone_checks = list(defs.asset_checks or [])  # the GX suites (assets/checks.py); built-in checks stay

    def selection(*names):
        sel = dg.AssetSelection.groups(*names)
        if args.no_checks and standalone_checks:
            sel = sel - dg.AssetSelection.checks(*standalone_checks)
        return sel

    bench_jobs = {
        group: dg.define_asset_job(f"bench_{group}_job", selection=selection(group), partitions_def=review_years)
        for group in ("review", "programme_management", "quality", "report")
        if group in groups
    }
    ingest_job = "ingest_job"  # the job `scorecard run` runs
    extra = list(bench_jobs.values())
    if args.no_checks:  # the same assets without their (Great Expectations) asset checks
        ingest_job = "bench_ingest_job"
        extra.append(dg.define_asset_job(ingest_job, selection=selection("raw", "warehouse")))
    bench_defs = dg.Definitions.merge(defs, dg.Definitions(jobs=extra, loggers={"bench": _bench_logger_def()}))
    instance = dg.DagsterInstance.ephemeral()
    run_config = {"loggers": {"progress": {}, "bench": {}}}

    plan: list[tuple[str, str, str | None]] = [("ingest", ingest_job, None)]
    for year in years:
        for group in ("review", "programme_management", "quality"):
            if group in bench_jobs:
                plan.append((group, bench_jobs[group].name, str(year)))
    if args.report and "report" in bench_jobs:  # as `scorecard run`: every year's report in one run, side by side
        plan.append(("report", bench_jobs["report"].name, f"{years[0]}...{years[-1]}"))
        # one year alone, as the UI's partition builds it (its XLSX beside the PDF when a core is spare)
        plan.append(("report_alone", bench_jobs["report"].name, str(years[-1])))

    profiler = None
    if args.profile_out:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()

    phases, assets, steps, latest_out = [], [], [], {}
    report_events: list[dict] = []  # the ranged report run's (the years side by side)
    alone_events: list[dict] = []  # the latest year's, built alone
    ok = True
    for phase, job_name, partition in plan:
        print(f"▶ {phase} {partition or ''}", flush=True)
        first = len(_EVENTS)
        job = bench_defs.resolve_job_def(job_name)
        started = time.perf_counter()
        result = job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False, **_partition_args(partition)
        )
        seconds = time.perf_counter() - started
        events = _EVENTS[first:]
        if phase == "report":
            report_events = events
        elif phase == "report_alone":
            alone_events = events
        phases.append(
            {
                "phase": phase,
                "job": job_name,
                "partition": partition,
                "seconds": round(seconds, 4),
                "success": bool(result.success),
                "peak_rss_mib": round(max([e["window_peak"] for e in events] or [0]) / MIB, 1),
            }
        )
        assets.extend(_asset_rows(events, phase, partition, upstream, latest_out))
        phase_steps = _step_rows(events, phase, partition)
        steps.extend(phase_steps)
        phases[-1]["check_seconds"] = round(sum(s["seconds"] or 0 for s in phase_steps if s["kind"] == "check"), 4)
        if not result.success:
            from scorecard.cli import _failure_message

            phases[-1]["error"] = _failure_message(result)
            if phase in PIPELINE_PHASES:  # the pipeline failed: later phases would measure nothing
                ok = False
                break

    profile = None
    if profiler is not None:
        profiler.stop()
        Path(args.profile_out).write_text(profiler.output_html(), encoding="utf-8")
        text = profiler.output_text(unicode=False, color=False, show_all=False)
        Path(args.profile_out).with_suffix(".txt").write_text(text, encoding="utf-8")
        profile = str(args.profile_out)

    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    by = lambda name: round(sum(p["seconds"] for p in phases if p["phase"] == name), 4)  # noqa: E731
    # each year's build_report time (its worker's), and where the year built alone spent it
    report_years = {y: float(v) for y, v in _report_metadata(report_events, " seconds").items()}
    alone_timings = next(iter(_report_metadata(alone_events, " timings").values()), None)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    failed_phases = [f"{p['phase']} {p['partition'] or ''}: {p.get('error')}" for p in phases if not p["success"]]
    return {
        "n": args.one,
        "years": years,
        "success": ok,
        "checks_included": not args.no_checks,
        "failed_phases": failed_phases,
        "definitions_import_seconds": round(defs_load, 4),
        "rss_after_definitions_mib": round(rss_after_defs / MIB, 1),
        "ingest_seconds": by("ingest"),
        "review_seconds": by("review"),
        "quality_seconds": by("quality") if "quality" in bench_jobs else None,
        "programme_management_seconds": by("programme_management"),
        "pipeline_seconds": round(by("ingest") + by("review") + by("programme_management"), 4),
        "check_seconds": round(sum(p.get("check_seconds", 0) for p in phases if p["phase"] in PIPELINE_PHASES), 4),
        "report_seconds": by("report") if report_years else None,
        "report_seconds_per_year": report_years or None,
        "report_alone_seconds": by("report_alone") if report_years else None,
        "report_alone_timings": alone_timings,
        "total_seconds": round(time.perf_counter() - wall0, 4),
        "peak_rss_mib": round(_maxrss() / MIB, 1),
        "cpu_user_seconds": round(cpu1.ru_utime - cpu0.ru_utime, 3),
        "cpu_system_seconds": round(cpu1.ru_stime - cpu0.ru_stime, 3),
        # report workers, kaleido and its Chromium (their peak RSS is not taken from here: a child
        # started by fork is charged the parent's pages, so RUSAGE_CHILDREN's maxrss is the parent's)
        "children_cpu_seconds": round(children.ru_utime + children.ru_stime, 3),
        "warehouse_bytes": dir_bytes(Path(args.warehouse)),
        "loadavg_end": list(os.getloadavg()),
        "phases": phases,
        "assets": assets,
        "steps": steps,
        "profile": profile,
    }


def _report_metadata(events: list[dict], suffix: str) -> dict[str, object]:
    """{year: value} of the ``performance_report`` metadata ``"<year><suffix>"`` in ``events``."""
    return {
        key.split()[0]: value
        for a in events
        if a["kind"] == "ASSET_MATERIALIZATION" and a["asset"] == "performance_report"
        for key, value in a["metadata"].items()
        if key.endswith(suffix)
    }


# ================================================================================== child: generate


def _partition_args(partition: str | None) -> dict:
    """execute_in_process arguments for one year ("2019") or a range of years ("2017...2019")."""
    if partition is None or "..." not in partition:
        return {"partition_key": partition}
    from pipelines.partitions import partition_range_tags

    return {"tags": partition_range_tags(*partition.split("..."))}


def run_generate(args: argparse.Namespace) -> dict:
    from scorecard.generate import generate

    out = Path(args.out)
    t = time.perf_counter()
    summary = generate(out, projects=args.generate, seed=args.seed, fmt=args.format, messy=False)
    seconds = time.perf_counter() - t
    rows = {k: (v.get("rows") if isinstance(v, dict) else v) for k, v in summary.get("datasets", {}).items()}
    return {
        "n": args.generate,
        "seconds": round(seconds, 4),
        "peak_rss_mib": round(_maxrss() / MIB, 1),
        "bytes": dir_bytes(out),
        "rows": rows,
        "format": args.format,
    }


# ===================================================================================== child: floor


def run_floor(args: argparse.Namespace) -> dict:
    """The I/O floor: DuckDB reading every raw file once, every cell as text, per dataset."""
    import duckdb

    from scorecard.contracts import DATASETS
    from scorecard.reader import dataset_files

    raw = Path(args.raw)
    config = {}
    if os.environ.get("SCORECARD_DUCKDB_THREADS"):
        config["threads"] = int(os.environ["SCORECARD_DUCKDB_THREADS"])
    con = duckdb.connect(config=config)
    datasets, total = {}, 0.0
    for name, dataset in DATASETS.items():
        files = [str(p) for p in dataset_files(raw, dataset)]
        if not files:
            continue
        suffixes = {Path(f).suffix.lower() for f in files}
        if suffixes <= {".parquet", ".pq"}:
            query = "SELECT count(*) FROM read_parquet($files, union_by_name = true)"
        elif suffixes <= {".csv", ".txt", ".tsv"}:
            query = "SELECT count(*) FROM read_csv($files, all_varchar = true, union_by_name = true)"
        else:
            datasets[name] = {"files": len(files), "rows": None, "seconds": None, "note": "not CSV/Parquet"}
            continue
        t = time.perf_counter()
        rows = con.sql(query, params={"files": files}).fetchall()[0][0]
        seconds = time.perf_counter() - t
        total += seconds
        datasets[name] = {
            "files": len(files),
            "rows": rows,
            "seconds": round(seconds, 4),
            "bytes": sum(Path(f).stat().st_size for f in files),
        }
    return {"seconds": round(total, 4), "datasets": datasets, "peak_rss_mib": round(_maxrss() / MIB, 1)}


# ============================================================================================= parent


def parse_years(text) -> list[int]:
    if isinstance(text, (list, tuple)):
        return [int(y) for y in text]
    from scorecard.years import parse_years as parse_year_text

    return parse_year_text(str(text))


def _child_env(**extra: str) -> dict:
    env = dict(os.environ)
    env.pop("DAGSTER_HOME", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def spawn(argv: list[str], env: dict | None = None, verbose: bool = False, timeout: float | None = None) -> dict:
    """Run a child process; its wall time, peak RSS and CPU (os.wait4, this child only), and the JSON it printed."""
    err = tempfile.TemporaryFile()
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=PROJECT_ROOT, env=env or _child_env(), stdout=subprocess.PIPE, stderr=err, text=True
    )
    payload, lines, marks = None, [], []
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(MARK):
            payload = json.loads(line[len(MARK) :])
        else:
            lines.append(line.rstrip("\n"))
            if line.startswith(PHASE_MARK):  # `scorecard run`'s job headers: when each part began
                marks.append((round(time.perf_counter() - started, 4), line[len(PHASE_MARK) :].strip()))
            if verbose:
                print("      " + line.rstrip("\n"), flush=True)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    err.seek(0)
    stderr = err.read().decode("utf-8", "replace")
    return {
        "returncode": proc.returncode,
        "wall_seconds": round(wall, 4),
        "peak_rss_mib": round(usage.ru_maxrss * 1024 / MIB, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "payload": payload,
        "marks": marks,
        "stdout_tail": lines[-15:],
        "stderr_tail": stderr.strip().splitlines()[-15:],
    }


def _me(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.run", *map(str, args)]


def measure_definitions(runs: int) -> dict:
    """``dagster definitions validate -m pipelines.definitions`` and a bare import, each in a fresh process."""
    dagster_bin = Path(sys.executable).with_name("dagster")
    validate = [str(dagster_bin), "definitions", "validate", "-m", "pipelines.definitions"]
    out: dict = {"validate": [], "import": []}
    for _ in range(runs):
        r = spawn(validate)
        out["validate"].append(
            {"seconds": r["wall_seconds"], "ok": r["returncode"] == 0, "peak_rss_mib": r["peak_rss_mib"]}
        )
        r = spawn([sys.executable, "-c", "import pipelines.definitions"])
        out["import"].append({"seconds": r["wall_seconds"], "ok": r["returncode"] == 0})
    out["validate_seconds"] = _median([x["seconds"] for x in out["validate"]])
    out["import_seconds"] = _median([x["seconds"] for x in out["import"]])
    out["validate_ok"] = all(x["ok"] for x in out["validate"])
    return out


def measure_bundle(runs: int, work: Path, verbose: bool) -> dict:
    """``scorecard run`` (all years, all deliverables) on the bundled data/raw, fresh warehouse each time."""
    scorecard_bin = Path(sys.executable).with_name("scorecard")
    results = []
    for i in range(runs):
        folder = work / f"bundle-{i}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        env = _child_env(
            SCORECARD_RAW_DIR=str(PROJECT_ROOT / "data" / "raw"),
            SCORECARD_WAREHOUSE=str(folder / "scorecard.duckdb"),
            SCORECARD_REPORTS_DIR=str(folder / "reports"),
        )
        r = spawn([str(scorecard_bin), "run"], env=env, verbose=verbose)
        results.append(
            {
                "seconds": r["wall_seconds"],
                "ok": r["returncode"] == 0,
                "peak_rss_mib": r["peak_rss_mib"],
                "cpu_seconds": r["cpu_seconds"],
                "parts": bundle_parts(r["marks"], r["wall_seconds"]),
                "error": None if r["returncode"] == 0 else "\n".join(r["stdout_tail"][-3:] + r["stderr_tail"][-3:]),
            }
        )
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "runs": results,
        "seconds": _median([x["seconds"] for x in results]),
        "ok": all(x["ok"] for x in results),
        "peak_rss_mib": _median([x["peak_rss_mib"] for x in results]),
        "cpu_seconds": _median([x["cpu_seconds"] for x in results]),
        "parts": _medians([x["parts"] for x in results]),
    }


def bundle_parts(marks: list[tuple[float, str]], wall: float) -> dict[str, float]:
    """Wall seconds of each part of a `scorecard run` from the times its headers were printed:
    ``start`` (imports and definitions, up to the first header), ``ingest``, ``review`` (every
    year), ``reports`` (the years side by side)."""
    parts = {"start": marks[0][0] if marks else wall}
    ends = [t for t, _ in marks[1:]] + [wall]
    for (t, header), end in zip(marks, ends):
        part = "ingest" if header.startswith("ingest") else "reports" if "reports" in header else "review"
        parts[part] = round(parts.get(part, 0.0) + end - t, 4)
    return parts


def summarise_runs(runs: list[dict]) -> dict:
    """Medians over runs of every figure, per phase and per asset."""
    ok = [r for r in runs if r and r.get("success")]
    keys = [
        "pipeline_seconds",
        "check_seconds",
        "ingest_seconds",
        "review_seconds",
        "quality_seconds",
        "report_seconds",
        "total_seconds",
        "definitions_import_seconds",
        "peak_rss_mib",
        "cpu_user_seconds",
        "cpu_system_seconds",
        "warehouse_bytes",
        "programme_management_seconds",
        "children_cpu_seconds",
        "report_alone_seconds",
    ]
    out = {k: _median([r.get(k) for r in ok]) for k in keys}
    per_year = _medians([r.get("report_seconds_per_year") or {} for r in ok])
    out["report_seconds_per_year"] = dict(sorted(per_year.items())) or None
    out["report_alone_timings"] = _medians([r.get("report_alone_timings") or {} for r in ok]) or None
    groups: dict[tuple, list[dict]] = {}
    for r in ok:
        for a in r["assets"]:
            groups.setdefault((a["phase"], a["partition"] or "", a["asset"]), []).append(a)
    assets = []
    for (phase, partition, asset), rows in groups.items():
        first = rows[0]
        assets.append(
            {
                "phase": phase,
                "partition": partition or None,
                "asset": asset,
                "step": first["step"],
                "seconds": _median([x["seconds"] for x in rows]),
                "step_seconds": _median([x["step_seconds"] for x in rows]),
                "rows_in": first["rows_in"],
                "rows_out": first["rows_out"],
                "step_peak_rss_mib": _median([x["step_peak_rss_mib"] for x in rows]),
            }
        )
    out["assets"] = assets
    steps: dict[tuple, list[dict]] = {}
    for r in ok:
        for st in r.get("steps", []):
            steps.setdefault((st["phase"], st["partition"] or "", st["step"]), []).append(st)
    out["steps"] = [
        {
            "phase": k[0],
            "partition": k[1] or None,
            "step": k[2],
            "kind": v[0]["kind"],
            "seconds": _median([x["seconds"] for x in v]),
            "peak_rss_mib": _median([x["peak_rss_mib"] for x in v]),
            "checks": [c["check"] for c in v[0]["checks"]],
        }
        for k, v in steps.items()
    ]
    phases: dict[tuple, list[float]] = {}
    for r in ok:
        for p in r["phases"]:
            phases.setdefault((p["phase"], p["partition"] or ""), []).append(p["seconds"])
    out["phases"] = [{"phase": k[0], "partition": k[1] or None, "seconds": _median(v)} for k, v in phases.items()]
    return out


def _fmt(value, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    return f"{value:,}{unit}"


def evaluate_targets(sizes: dict, bundle: dict | None, definitions: dict | None) -> dict:
    """Each target of issue 8: measured value (None when not measured) and met or not."""

    def size(n):
        return sizes.get(str(n)) or {}

    big, huge = (size(100_000).get("median") or {}), (size(1_000_000).get("median") or {})
    floor_big = (size(100_000).get("floor") or {}).get("seconds")
    total_big = None
    if big.get("pipeline_seconds") is not None and big.get("report_seconds") is not None:
        total_big = round(big["pipeline_seconds"] + (big.get("quality_seconds") or 0) + big["report_seconds"], 2)
    gib = lambda mib: round(mib / 1024, 3) if mib is not None else None  # noqa: E731
    measured = {
        "bundle_run_seconds": (bundle or {}).get("seconds") if (bundle or {}).get("ok") else None,
        "total_100k_seconds": total_big,
        "peak_rss_100k_gib": gib(big.get("peak_rss_mib")),
        "pipeline_over_floor_100k": (
            round(big["pipeline_seconds"] / floor_big, 2) if big.get("pipeline_seconds") and floor_big else None
        ),
        "report_year_seconds_100k": big.get("report_alone_seconds"),
        "check_seconds_100k": big.get("check_seconds"),
        "pipeline_1m_seconds": huge.get("pipeline_seconds") if huge.get("checks_included", True) else None,
        "peak_rss_1m_gib": gib(huge.get("peak_rss_mib")),
        "definitions_load_seconds": (definitions or {}).get("validate_seconds"),
    }
    out = {}
    for key, (label, _op, limit, unit) in TARGETS.items():
        value = measured[key]
        out[key] = {
            "target": label,
            "limit": limit,
            "unit": unit,
            "measured": value,
            "met": None if value is None else value <= limit,
        }
    if bundle and not bundle.get("ok"):
        out["bundle_run_seconds"]["note"] = "scorecard run failed: " + str((bundle.get("runs") or [{}])[0].get("error"))
    return out


def print_report(result: dict) -> None:
    m = result["machine"]
    print(
        f"\nMachine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu_model']} — {m['os']}, Python {m['python']}, "
        f"dagster {m['versions']['dagster']}, duckdb {m['versions']['duckdb']}, polars {m['versions']['polars']}"
    )
    print(
        f"Load average at start: {result['loadavg_start']}  (other work on the machine inflates wall times; CPU seconds are shown too)"
    )
    print(f"Runs per size: {result['runs']} (medians); review years {result['years']}\n")
    head = (
        f"{'projects':>10} {'gen s':>7} {'raw MiB':>8} {'floor s':>8} {'ingest s':>9} {'review s':>9} {'pipeline s':>11} "
        f"{'(checks)':>9} {'×floor':>7} {'quality s':>10} {'report s/yr':>12} {'peak RSS MiB':>13} {'CPU s':>7} {'whse MiB':>9}"
    )
    print(head)
    print("-" * len(head))
    for n, s in result["sizes"].items():
        med = s.get("median") or {}
        floor = (s.get("floor") or {}).get("seconds")
        ratio = med.get("pipeline_seconds") / floor if med.get("pipeline_seconds") and floor else None
        per_year = med.get("report_seconds_per_year") or {}
        report = max(per_year.values()) if per_year else None
        cpu = (
            (med.get("cpu_user_seconds") or 0) + (med.get("cpu_system_seconds") or 0)
            if med.get("cpu_user_seconds") is not None
            else None
        )
        print(
            f"{int(n):>10,} {_fmt(s['generation']['seconds']):>7} {_fmt(s['generation']['bytes'] / MIB):>8} {_fmt(floor, digits=2):>8} "
            f"{_fmt(med.get('ingest_seconds')):>9} {_fmt(med.get('review_seconds')):>9} {_fmt(med.get('pipeline_seconds')):>11} "
            f"{_fmt(med.get('check_seconds')):>9} {_fmt(ratio):>7} {_fmt(med.get('quality_seconds')):>10} {_fmt(report):>12} {_fmt(med.get('peak_rss_mib'), digits=0):>13} {_fmt(cpu):>7} "
            f"{_fmt((med.get('warehouse_bytes') or 0) / MIB):>9}"
        )
    largest = list(result["sizes"])[-1]
    med = result["sizes"][largest].get("median") or {}
    if med.get("assets"):
        print(f"\nPer asset at {int(largest):,} projects (median wall s; step peak RSS):")
        print(
            f"  {'phase':<8} {'year':<5} {'asset':<26} {'seconds':>8} {'step s':>8} {'rows in':>12} {'rows out':>12} {'RSS MiB':>8}"
        )
        for a in med["assets"]:
            print(
                f"  {a['phase']:<8} {a['partition'] or '':<5} {a['asset']:<26} {_fmt(a['seconds'], digits=2):>8} {_fmt(a['step_seconds'], digits=2):>8} "
                f"{_fmt(a['rows_in']):>12} {_fmt(a['rows_out']):>12} {_fmt(a['step_peak_rss_mib'], digits=0):>8}"
            )
    checks = sorted([st for st in med.get("steps", []) if st["kind"] == "check"], key=lambda st: -(st["seconds"] or 0))
    if checks:
        print(f"\nSlowest asset-check steps at {int(largest):,} projects (median wall s):")
        for st in checks[:12]:
            print(
                f"  {st['phase']:<8} {st['partition'] or '':<5} {', '.join(st['checks']) or st['step']:<60} {_fmt(st['seconds'], digits=2):>8}"
            )
    if result.get("definitions"):
        d = result["definitions"]
        print(
            f"\nDefinitions: validate {_fmt(d['validate_seconds'], ' s', 2)} (ok={d['validate_ok']}), bare import {_fmt(d['import_seconds'], ' s', 2)}"
        )
    if result.get("bundle"):
        b = result["bundle"]
        print(
            f"Bundled data `scorecard run`: {_fmt(b['seconds'], ' s')} ok={b['ok']} peak RSS {_fmt(b['peak_rss_mib'], ' MiB', 0)}"
        )
    print("\nTargets:")
    for t in result["targets"].values():
        state = "not measured" if t["met"] is None else ("MET" if t["met"] else "MISSED")
        print(f"  {state:<12} {t['target']}: {_fmt(t['measured'], digits=2)} (limit {t['limit']} {t['unit']})")
        if t.get("profile") and not t["met"]:  # a missed row, explained by where its time or memory went
            print(f"  {'':<12}   profile: {t['profile']}")


def main(argv: list[str] | None = None) -> int:
    from scorecard.cli import default_years

    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="project counts, comma separated")
    ap.add_argument("--runs", type=int, default=3, help="measurements per size (median reported)")
    ap.add_argument("--years", default=default_years(), help="review years (default: the programme file's)")
    ap.add_argument("--smoke", action="store_true", help="N=200, 1 run, no report, no bundle/definitions runs")
    ap.add_argument("--report", dest="report", action="store_true", default=None, help="also time the report per year")
    ap.add_argument("--no-report", dest="report", action="store_false")
    ap.add_argument(
        "--bundle", dest="bundle", action="store_true", default=None, help="time `scorecard run` on data/raw"
    )
    ap.add_argument("--no-bundle", dest="bundle", action="store_false")
    ap.add_argument(
        "--no-checks", action="store_true", help="run the same assets without the Great Expectations asset checks"
    )
    ap.add_argument("--large-runs", type=int, default=None, help="runs for sizes ≥ 100,000 (default: --runs)")
    ap.add_argument("--seed", type=int, default=2017)
    ap.add_argument("--format", choices=("csv", "parquet"), default="csv")
    ap.add_argument("--profile", type=int, default=None, help="also run one pyinstrument-profiled pipeline at this N")
    ap.add_argument("--workdir", default=None, help="where generated data and warehouses go (default: a temp folder)")
    ap.add_argument("--keep", action="store_true", help="keep the generated data and warehouses")
    ap.add_argument("--out", default=None, help="results JSON path (default bench/results/<date>-<machine>.json)")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo the children's progress lines")
    # child modes
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--generate", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--raw", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--warehouse", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--reports", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.one is not None:
        _emit(run_one(args))
        return 0
    if args.generate is not None:
        _emit(run_generate(args))
        return 0
    if args.floor:
        _emit(run_floor(args))
        return 0

    if args.smoke:
        sizes, runs = [200], 1
        report = bool(args.report)
        bundle = bool(args.bundle)
        definitions_runs = 0
    else:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        runs = args.runs
        report = True if args.report is None else args.report
        bundle = True if args.bundle is None else args.bundle
        definitions_runs = runs
    years = parse_years(args.years)
    info = machine_info()
    result: dict = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": info,
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "smoke": args.smoke,
        "runs": runs,
        "years": years,
        "format": args.format,
        "report_included": report,
        "checks_included": not args.no_checks,
        "sizes": {},
        "definitions": None,
        "bundle": None,
        "profile": None,
    }
    out = Path(args.out) if args.out else RESULTS_DIR / f"{dt.date.today().isoformat()}-{machine_slug(info)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    def save(complete: bool) -> None:  # after every size too, so a long run that is stopped keeps what it measured
        result["complete"] = complete
        out.write_text(json.dumps(result, indent=1, default=str, ensure_ascii=False), encoding="utf-8")

    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="scorecard-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"bench: sizes {sizes}, {runs} run(s) each, years {years}, report {'on' if report else 'off'}; work folder {work}",
        flush=True,
    )
    try:
        for n in sizes:
            folder = work / f"n{n}"
            raw = folder / "raw"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            print(f"\n[{n:,} projects] generating …", flush=True)
            gen = spawn(_me("--generate", n, "--out", raw, "--seed", args.seed, "--format", args.format))
            if gen["payload"] is None:
                raise SystemExit(f"generation failed for N={n}:\n" + "\n".join(gen["stderr_tail"]))
            generation = gen["payload"]
            print(f"  generated in {generation['seconds']:.1f} s, {generation['bytes'] / MIB:.1f} MiB", flush=True)
            floors = []
            for _ in range(max(runs, 1)):
                f = spawn(_me("--floor", "--raw", raw))
                if f["payload"] is None:
                    raise SystemExit("I/O floor failed:\n" + "\n".join(f["stderr_tail"]))
                floors.append(f["payload"])
            floor = {
                "seconds": _median([f["seconds"] for f in floors]),
                "runs": [f["seconds"] for f in floors],
                "datasets": {
                    name: {
                        **floors[0]["datasets"][name],
                        "seconds": _median([f["datasets"][name]["seconds"] for f in floors]),
                    }
                    for name in floors[0]["datasets"]
                },
            }
            print(f"  I/O floor {floor['seconds']:.2f} s", flush=True)
            run_results = []
            size_runs = args.large_runs if (args.large_runs and n >= 100_000) else runs
            for i in range(size_runs):
                wh = folder / "warehouse.duckdb"
                for p in folder.glob("warehouse.duckdb*"):
                    p.unlink()
                argv = _me(
                    "--one",
                    n,
                    "--raw",
                    raw,
                    "--warehouse",
                    wh,
                    "--reports",
                    folder / "reports",
                    "--years",
                    ",".join(map(str, years)),
                )
                if report:
                    argv.append("--report")
                if args.no_checks:
                    argv.append("--no-checks")
                load = [round(x, 2) for x in os.getloadavg()]
                r = spawn(argv, verbose=args.verbose)
                payload = r["payload"]
                if payload is None:
                    payload = {"success": False, "error": "\n".join(r["stdout_tail"][-5:] + r["stderr_tail"][-10:])}
                payload["loadavg_start"] = load
                payload["child_wall_seconds"] = r["wall_seconds"]
                run_results.append(payload)
                state = "ok" if payload.get("success") else "FAILED"
                print(
                    f"  run {i + 1}/{size_runs}: {state} pipeline {_fmt(payload.get('pipeline_seconds'), ' s')}, "
                    f"report {_fmt(payload.get('report_seconds'), ' s')}, peak RSS {_fmt(payload.get('peak_rss_mib'), ' MiB', 0)} (load {load[0]})",
                    flush=True,
                )
                for err in [payload["error"]] if payload.get("error") else payload.get("failed_phases", []):
                    print("    failed: " + str(err).replace("\n", "\n    ")[:600], flush=True)
            result["sizes"][str(n)] = {
                "n": n,
                "generation": generation,
                "floor": floor,
                "median": summarise_runs(run_results),
                "runs": run_results,
            }
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
            save(complete=False)
        if args.profile:
            n = args.profile
            folder = work / f"profile-n{n}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            spawn(_me("--generate", n, "--out", folder / "raw", "--seed", args.seed, "--format", args.format))
            out_html = RESULTS_DIR / f"profile-{n}.html"
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            r = spawn(
                _me(
                    "--one",
                    n,
                    "--raw",
                    folder / "raw",
                    "--warehouse",
                    folder / "w.duckdb",
                    "--reports",
                    folder / "reports",
                    "--years",
                    ",".join(map(str, years)),
                    "--profile-out",
                    out_html,
                    *(["--no-checks"] if args.no_checks else []),
                ),
                verbose=args.verbose,
            )
            result["profile"] = {
                "n": n,
                "html": str(out_html),
                "text": str(out_html.with_suffix(".txt")),
                "pipeline_seconds": (r["payload"] or {}).get("pipeline_seconds"),
            }
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
        if definitions_runs:
            print("\n[definitions] dagster definitions validate …", flush=True)
            result["definitions"] = measure_definitions(definitions_runs)
        else:
            result["definitions"] = {
                "skipped": True,
                "validate_seconds": None,
                "import_seconds": None,
                "validate_ok": None,
            }
        if bundle:
            print("\n[bundle] scorecard run on data/raw …", flush=True)
            result["bundle"] = measure_bundle(runs, work, args.verbose)
        else:
            result["bundle"] = {"skipped": True, "seconds": None, "ok": None, "peak_rss_mib": None, "runs": []}
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    result["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    result["targets"] = evaluate_targets(result["sizes"], result["bundle"], result["definitions"])
    for key, line in profiles(result).items():
        result["targets"][key]["profile"] = line
    print_report(result)
    save(complete=True)
    print(f"\nwrote {out}")
    failed = [n for n, s in result["sizes"].items() if not all(r.get("success") for r in s["runs"])]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
