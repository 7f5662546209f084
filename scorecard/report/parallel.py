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


def _build_year(database: str, year: int, reports_dir: Path, lang: str, rubric_path: Path) -> dict:
    """One year's deliverables from a read-only connection."""
    from scorecard.db import connect
    from scorecard.report.build import build_report

    with connect(database, read_only=True) as con:
        return build_report(con, year, reports_dir, lang=lang, rubric_path=rubric_path)


def build_reports(database: str, years: list[int], reports_dir: Path, lang: str, rubric_path: Path) -> dict:
    """``build_report`` of every year (ascending), in ``report_workers`` processes; {year: result}.
    A failed year raises RuntimeError with its error, once the years already started have finished
    (each year publishes atomically or not at all, so no half-built folder is left)."""
    workers = report_workers(len(years))
    if workers == 1:
        return {y: _build_year(database, y, reports_dir, lang, rubric_path) for y in years}
    with tempfile.TemporaryDirectory(prefix="scorecard-reports-") as tmp:
        pending = sorted(years, reverse=True)  # the latest (largest) years first: the last to start is the smallest
        running: dict[int, tuple[subprocess.Popen, Path]] = {}
        results, errors = {}, {}
        while pending or running:
            while pending and len(running) < workers and not errors:
                year = pending.pop(0)
                running[year] = _start(Path(tmp), database, year, reports_dir, lang, rubric_path)
            time.sleep(0.05)
            for year, (proc, out) in list(running.items()):
                if proc.poll() is None:
                    continue
                del running[year]
                if proc.returncode == 0:
                    results[year] = pickle.loads(out.read_bytes())
                else:
                    errors[year] = (Path(tmp) / f"{year}.err").read_text(errors="replace").strip()[-2000:]
            if errors and not running:
                break
    if errors:
        year, text = min(errors.items())
        raise RuntimeError(f"the report of {year} failed:\n{text}")
    return {y: results[y] for y in sorted(results)}


def _start(tmp: Path, database, year, reports_dir, lang, rubric_path) -> tuple[subprocess.Popen, Path]:
    args = tmp / f"{year}.args"
    args.write_bytes(pickle.dumps((str(database), year, Path(reports_dir), lang, Path(rubric_path))))
    out = tmp / f"{year}.result"
    cmd = [sys.executable, "-m", "scorecard.report.parallel", str(args), str(out)]
    with open(tmp / f"{year}.err", "wb") as err:  # a file, not a pipe: a chatty worker cannot block
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err), out


if __name__ == "__main__":
    result = _build_year(*pickle.loads(Path(sys.argv[1]).read_bytes()))
    Path(sys.argv[2]).write_bytes(pickle.dumps(result))
