"""Same report before and after a change: build one year's deliverables with the code of a git ref
(default ``main``) and with this working tree, from copies of one warehouse, and compare them.

    python -m bench.report_compare --warehouse FILE [--year 2019] [--ref main] [--runs 3] [--out DIR]

Compared: the HTML (bytes, and its text and tags, with the generation time and the code version
masked), the PDF's text (``pdftotext``, same masks), every XLSX sheet cell for cell (openpyxl), the
CSV byte for byte, and the manifest without its time, code version and the hashes of the files that
carry them. Both children pin the generation time and the code version (they are printed, and their
widths move the PDF's line breaks); the masks cover what is left. Each side is built ``--runs`` times
in a fresh child process, the two sides alternating which goes first; the median wall time and CPU
time of ``build_report`` are printed per side. Exit status 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MASKS = [
    (re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2} ?[+-]\d{2}:?\d{2}"), "<generated>"),
    (re.compile(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}"), "<generated>"),
    (re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?!:)"), "<generated>"),
    (re.compile(r"\d+\.\d+\.\d+\+(?:[0-9a-f]{7,40}|unknown)"), "<version>"),
]
CHILD = """
import datetime as dt, json, resource, sys, time
from pathlib import Path
import duckdb
import scorecard
from scorecard.report import build
assert Path(scorecard.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), scorecard.__file__


class Clock(dt.datetime):  # one generation time for both sides: it is printed, and moves the PDF's line breaks
    @classmethod
    def now(cls, tz=None):
        return dt.datetime(2020, 1, 31, 10, 0, 0, tzinfo=tz)


build.dt = type(sys)("clock")
build.dt.datetime, build.dt.date = Clock, dt.date
build.code_version = lambda: "0.0.0+compare"  # the same for both sides, for the same reason
con = duckdb.connect(sys.argv[2], read_only=True)
t, cpu = time.perf_counter(), time.process_time()
result = build.build_report(con, int(sys.argv[3]), Path(sys.argv[4]))
seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "cpu": cpu, "chart_cpu": kids.ru_utime + kids.ru_stime, "timings": result["timings"]}))
"""


def mask(text: str) -> str:
    for pattern, placeholder in MASKS:
        text = pattern.sub(placeholder, text)
    return text


class _Tokens(HTMLParser):
    """Start tags with their attributes, end tags and non-blank text, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.tokens.append(("start", tag, tuple(attrs)))

    def handle_endtag(self, tag):
        self.tokens.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.tokens.append(("text", " ".join(data.split())))


def html_tokens(text: str) -> list[tuple]:
    parser = _Tokens()
    parser.feed(mask(text))
    return parser.tokens


def export_ref(ref: str, target: Path) -> Path:
    """The files of ``ref`` (``git archive``) in ``target``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def build(code_root: Path, warehouse: Path, year: int, reports: Path, attempts: int = 2) -> dict:
    """One ``build_report`` in a fresh child with ``code_root`` first on the path; a failed attempt
    (e.g. Chromium dying under load while kaleido draws) is reported and tried again once."""
    env = {**os.environ, "PYTHONPATH": str(code_root), "PYTHONSAFEPATH": "1"}
    for attempt in range(1, attempts + 1):
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(code_root), str(warehouse), str(year), str(reports)],
            check=False,
            cwd=code_root,
            env=env,
            capture_output=True,
            text=True,
        )
        if not proc.returncode:
            return json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"  build with {code_root} failed (attempt {attempt} of {attempts}): {proc.stderr.strip()[-300:]}",
            flush=True,
        )
    raise SystemExit(f"report build with {code_root} failed {attempts} times")


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def xlsx_cells(path: Path) -> dict[str, list[tuple]]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def manifest_core(path: Path) -> dict:
    m = json.loads(path.read_text(encoding="utf-8"))
    for key in ("generated_at", "code_version"):
        m.pop(key)
    for d in m["deliverables"]:
        if d["kind"] in ("html", "pdf", "xlsx"):  # they carry the time / version (xlsx: its creation date)
            d.pop("sha256")
            d.pop("bytes")
    return m


def first_difference(a: list, b: list) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"item {i}: {x!r} != {y!r}"
    return f"lengths {len(a)} != {len(b)}"


def xlsx_detail(xb: dict, xn: dict) -> str:
    if xb == xn:
        return f"{len(xb)} sheets, {sum(len(v) for v in xb.values()):,} rows"
    if list(xb) != list(xn):
        return f"sheets {list(xb)} != {list(xn)}"
    return "; ".join(f"sheet {s}: {first_difference(xb[s], xn[s])}" for s in xb if xb[s] != xn[s])


def rows_close(a: list[tuple], b: list[tuple]) -> bool:
    """Equal cell for cell, floats to a relative 1e-12 (a sum's last digit depends on its order)."""
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        if len(ra) != len(rb):
            return False
        for x, y in zip(ra, rb):
            if x != y and not (isinstance(x, float) and isinstance(y, float) and math.isclose(x, y, rel_tol=1e-12)):
                return False
    return True


def compare(base: Path, new: Path, year: int) -> list[tuple[str, bool, str]]:
    """(what, identical, detail) per compared deliverable."""
    html, pdf, xlsx, csv, manifest = (
        f"performance-evaluation-{year}.html",
        f"performance-evaluation-{year}.pdf",
        f"performance-evaluation-{year}.xlsx",
        f"project-review-{year}.csv",
        f"manifest-{year}.json",
    )
    out = []
    hb, hn = (mask((d / html).read_text(encoding="utf-8")) for d in (base, new))
    out.append(("HTML bytes (masked)", hb == hn, f"{len(hb):,} / {len(hn):,} characters"))
    tb, tn = html_tokens(hb), html_tokens(hn)
    out.append(("HTML tags and text", tb == tn, f"{len(tb):,} tokens" if tb == tn else first_difference(tb, tn)))
    pb, pn = (mask(pdf_text(d / pdf)).splitlines() for d in (base, new))
    out.append(("PDF text (pdftotext)", pb == pn, f"{len(pb):,} lines" if pb == pn else first_difference(pb, pn)))
    xb, xn = xlsx_cells(base / xlsx), xlsx_cells(new / xlsx)
    out.append(("XLSX cells", xb == xn, xlsx_detail(xb, xn)))
    if xb != xn:
        close = list(xb) == list(xn) and all(rows_close(xb[s], xn[s]) for s in xb)
        out.append(("XLSX cells, numbers within 1e-12 (DuckDB's parallel sums)", close, ""))
    cb, cn = (base / csv).read_bytes(), (new / csv).read_bytes()
    out.append(("CSV bytes", cb == cn, f"{len(cb):,} bytes"))
    mb, mn = manifest_core(base / manifest), manifest_core(new / manifest)
    out.append(("manifest (without time, version and their files' hashes)", mb == mn, ""))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", required=True, type=Path)
    ap.add_argument("--year", type=int, default=2019)
    ap.add_argument("--ref", default="main")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="keep the deliverables here (default: a temp folder)")
    args = ap.parse_args(argv)
    work = args.out or Path(tempfile.mkdtemp(prefix="report-compare-"))
    work.mkdir(parents=True, exist_ok=True)
    base_code = export_ref(args.ref, work / "base-code")
    sides = {"base": base_code, "new": ROOT}
    runs: dict[str, list[dict]] = {s: [] for s in sides}
    for run in range(args.runs):
        for side in list(sides)[:: 1 if run % 2 == 0 else -1]:  # alternate which side goes first
            wh = work / f"{side}.duckdb"
            shutil.copyfile(args.warehouse, wh)
            result = build(sides[side], wh, args.year, work / side / f"run{run}")
            runs[side].append(result)
            print(
                f"run {run + 1} {side}: {result['seconds']:.2f} s wall, {result['cpu']:.2f} s CPU "
                f"(+ {result['chart_cpu']:.2f} s chart images) {result['timings']}",
                flush=True,
            )
    rows = compare(work / "base" / "run0" / str(args.year), work / "new" / "run0" / str(args.year), args.year)
    print(f"\n{args.year}: {args.ref} vs working tree")
    for what, same, detail in rows:
        print(f"  {'identical' if same else 'DIFFERENT'}  {what}  {detail}")
    if args.runs > 1:  # every pair of runs: what differs between two runs of the same code is not the change
        folders = {side: [work / side / f"run{i}" / str(args.year) for i in range(args.runs)] for side in sides}
        pairs = {
            "base×new": [(b, n) for b in folders["base"] for n in folders["new"]],
            "base×base": [(a, b) for i, a in enumerate(folders["base"]) for b in folders["base"][i + 1 :]],
        }
        for label, pair_list in pairs.items():
            exact = [all(same for w, same, _ in compare(a, b, args.year) if "within" not in w) for a, b in pair_list]
            print(f"  {label}: every deliverable identical (XLSX exact) in {sum(exact)} of {len(exact)} pairs of runs")
    for side, results in runs.items():
        for key, what in (("seconds", "wall"), ("cpu", "CPU of the report process")):
            values = [r[key] for r in results]
            print(
                f"  build_report {side}: {what} median {statistics.median(values):.2f} s of {', '.join(f'{v:.2f}' for v in values)}"
            )
    if args.out is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(same for what, same, _ in rows if what != "XLSX cells") else 1


if __name__ == "__main__":
    sys.exit(main())
