"""Several review years' deliverables at once (docs/report.md, "Several years in one run").

Once a year's marts exist its report depends on nothing else, and rendering it (WeasyPrint, kaleido)
is single-threaded Python: so the years of one run are built in worker processes, one per core. A
worker is ``python -m scorecard.report.parallel`` (a fresh interpreter: it does not depend on how
the parent was started); it opens the warehouse read-only and calls ``build_report`` for its year,
which stages the year's folder and swaps it in atomically, as a year built alone does. The caller
holds the warehouse lock (and the writer pool) for the whole time, so nothing writes while the
workers read.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def report_workers(years: int) -> int:
    """Worker processes for ``years`` reports: SCORECARD_REPORT_WORKERS, else one per core (at most
    one per year)."""
    wanted = int(os.environ.get("SCORECARD_REPORT_WORKERS") or 0) or (os.cpu_count() or 1)
    return max(1, min(wanted, years))


def _build_year(
    database: str, year: int, reports_dir: Path, lang: str, rubric_path: Path, xlsx_apart: bool | None = None
) -> dict:
    """One year's deliverables from a read-only connection. ``xlsx_apart``: as ``build_report``'s (a
    worker beside others says False: they use every core)."""
    from scorecard.db import connect
    from scorecard.report.build import build_report

    with connect(database, read_only=True) as con:
        return build_report(con, year, reports_dir, lang=lang, rubric_path=rubric_path, xlsx_apart=xlsx_apart)


def build_reports(database: str, years: list[int], reports_dir: Path, lang: str, rubric_path: Path) -> dict:
    """``build_report`` of every year (ascending), in ``report_workers`` processes; {year: result}.
    A failed year raises RuntimeError with its error, once the years already started have finished
    (each year publishes atomically or not at all, so no half-built folder is left)."""
    workers = report_workers(len(years))
    if workers == 1:
        return {y: _build_year(database, y, reports_dir, lang, rubric_path) for y in years}
    with tempfile.TemporaryDirectory(prefix="scorecard-reports-") as tmp:
        # the latest (largest) years first, so that the last to start is the smallest
        job = (str(database), Path(reports_dir), lang, Path(rubric_path))
        results, errors = _run_workers(Path(tmp), workers, sorted(years, reverse=True), job)
    if errors:
        year, text = min(errors.items())
        raise RuntimeError(f"the report of {year} failed:\n{text}")
    return {y: results[y] for y in sorted(results)}


def _run_workers(tmp: Path, workers: int, pending: list[int], job: tuple) -> tuple[dict, dict]:
    """Start a worker per year, at most ``workers`` at once, none after a failure; ({year: result},
    {year: error}). No worker outlives this call (a cancelled run kills them)."""
    running: dict[int, tuple[subprocess.Popen, Path]] = {}
    results, errors = {}, {}
    try:
        while pending or running:
            while pending and len(running) < workers and not errors:
                year = pending.pop(0)
                running[year] = _start(tmp, year, *job)
            time.sleep(0.05)
            for year in [y for y, (proc, _) in running.items() if proc.poll() is not None]:
                proc, out = running.pop(year)
                if proc.returncode == 0:
                    results[year] = pickle.loads(out.read_bytes())
                else:
                    text = (tmp / f"{year}.err").read_text(errors="replace").strip()[-2000:]
                    errors[year] = text or f"the worker exited with code {proc.returncode}"
            if errors and not running:
                break
    finally:
        for proc, _ in running.values():
            proc.kill()
            proc.wait()
    return results, errors


def _start(tmp: Path, year: int, database: str, reports_dir: Path, lang: str, rubric_path: Path):
    """A worker for ``year``: its arguments, result and stderr in files of ``tmp``."""
    args = tmp / f"{year}.args"
    # one worker per core: none is spare for the XLSX's own child process (build.xlsx_apart_by_default)
    args.write_bytes(pickle.dumps((database, year, reports_dir, lang, rubric_path, False)))
    out = tmp / f"{year}.result"
    cmd = [sys.executable, "-m", "scorecard.report.parallel", str(args), str(out)]
    with open(tmp / f"{year}.err", "wb") as err:  # a file, not a pipe: a chatty worker cannot block
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err), out


if __name__ == "__main__":
    result = _build_year(*pickle.loads(Path(sys.argv[1]).read_bytes()))
    Path(sys.argv[2]).write_bytes(pickle.dumps(result))
