"""The profile behind each of issue 16's rows, from the measurement itself: where the time (or memory)
of a row went, so that a missed target is explained by the run that missed it (bench/README.md).

Each ``profile_<key>`` takes the results JSON of ``python -m bench.run`` and returns one line, or None
when the run did not measure what the line needs."""

from __future__ import annotations

from typing import Callable

Result = dict
TOP = 4  # entries of a profile line
# ingest → warehouse → review → analyses (with their checks): what "pipeline" means in bench.run too
PIPELINE_PHASES = ("ingest", "review", "programme_management")


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} s"


def _big(result: Result, n: int = 100_000) -> dict:
    return (result.get("sizes", {}).get(str(n)) or {}).get("median") or {}


def _slowest(rows: list[dict], label: Callable[[dict], str], top: int = TOP) -> str:
    rows = sorted((r for r in rows if r.get("seconds")), key=lambda r: -r["seconds"])[:top]
    return ", ".join(f"{label(r)} {_s(r['seconds'])}" for r in rows)


def _pipeline_assets(median: dict) -> list[dict]:
    return [a for a in median.get("assets", []) if a["phase"] in PIPELINE_PHASES]


def _asset_label(a: dict) -> str:
    return f"{a['asset']} [{a['partition']}]" if a.get("partition") else a["asset"]


def profile_bundle_run_seconds(result: Result) -> str | None:
    bundle = result.get("bundle") or {}
    parts = bundle.get("parts")
    if not parts:
        return None
    cores = (result.get("machine") or {}).get("cores")
    line = ", ".join(f"{part} {_s(seconds)}" for part, seconds in parts.items())
    return f"{line}; CPU {_s(bundle.get('cpu_seconds'))} on {cores} cores (reports: every year side by side)"


def profile_total_100k_seconds(result: Result) -> str | None:
    big = _big(result)
    if big.get("report_seconds") is None:
        return None
    per_year = big.get("report_seconds_per_year") or {}
    years = ", ".join(f"{y} {_s(s)}" for y, s in per_year.items())
    return (
        f"pipeline {_s(big.get('pipeline_seconds'))} + quality {_s(big.get('quality_seconds'))} + reports "
        f"{_s(big.get('report_seconds'))} (each year's build, side by side: {years})"
    )


def profile_peak_rss_100k_gib(result: Result) -> str | None:
    return _peak_steps(_big(result))


def profile_pipeline_over_floor_100k(result: Result) -> str | None:
    big = _big(result)
    floor = (result.get("sizes", {}).get("100000") or {}).get("floor") or {}
    if not big.get("assets"):
        return None
    return (
        f"pipeline {_s(big.get('pipeline_seconds'))} over the floor {_s(floor.get('seconds'))} "
        f"(checks {_s(big.get('check_seconds'))} of it); slowest assets: {_slowest(_pipeline_assets(big), _asset_label)}"
    )


def profile_report_year_seconds_100k(result: Result) -> str | None:
    timings = _big(result).get("report_alone_timings")
    if not timings:
        return None
    parts = {k: v for k, v in timings.items() if k != "total"}
    line = ", ".join(f"{k} {_s(v)}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1]))
    return f"build_report {_s(timings.get('total'))}: {line} (pdf includes waiting for the chart images)"


def profile_check_seconds_100k(result: Result) -> str | None:
    steps = [s for s in _big(result).get("steps", []) if s["kind"] == "check"]
    if not steps:
        return None

    def label(s: dict) -> str:
        return f"{s['step']}{' [' + s['partition'] + ']' if s.get('partition') else ''}"

    return f"{len(steps)} check steps; slowest: {_slowest(steps, label)} (the first pays the GX import)"


NOT_MEASURED_1M = (
    "not measured by this run (`--sizes 1000000`); the last profile, of its ingest's memory, is in "
    "bench/README.md (1,000,000 projects)"
)


def profile_pipeline_1m_seconds(result: Result) -> str | None:
    huge = _big(result, 1_000_000)
    if not huge.get("assets"):
        return NOT_MEASURED_1M
    return f"slowest assets: {_slowest(_pipeline_assets(huge), _asset_label)}"


def profile_peak_rss_1m_gib(result: Result) -> str | None:
    return _peak_steps(_big(result, 1_000_000)) or NOT_MEASURED_1M


def _peak_steps(median: dict) -> str | None:
    assets = [a for a in median.get("assets", []) if a.get("step_peak_rss_mib")]
    if not assets:
        return None
    top = sorted(assets, key=lambda a: -a["step_peak_rss_mib"])[:TOP]
    return "largest steps: " + ", ".join(f"{_asset_label(a)} {a['step_peak_rss_mib'] / 1024:.2f} GiB" for a in top)


def profile_definitions_load_seconds(result: Result) -> str | None:
    d = result.get("definitions") or {}
    if d.get("validate_seconds") is None:
        return None
    rest = d["validate_seconds"] - (d.get("import_seconds") or 0)
    return (
        f"importing pipelines.definitions alone {_s(d.get('import_seconds'))}; Dagster's CLI the other "
        f"{_s(rest)} (its own imports and, without DAGSTER_HOME, a temporary instance)"
    )


def profiles(result: Result) -> dict[str, str | None]:
    """{target key: its profile line}, for every target of ``result["targets"]``."""
    return {key: globals()[f"profile_{key}"](result) for key in result.get("targets", {})}
