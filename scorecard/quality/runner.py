"""Run an expectation suite with Great Expectations 1.x and return a plain summary.

GX is imported here, lazily, inside :func:`validate` (``import great_expectations`` takes ~5 s; the
Dagster definitions must load without it). The pandas route is used: DuckDB queries each of the
suite's frames into a pandas DataFrame (through Arrow, :func:`to_pandas`), an ephemeral GX context
validates it (docs/architecture.md: the SQL route on DuckDB silently fails every expectation).
:func:`run_suite` validates every rule on frames of only the columns the rules read, then the failed
rules again on the frames with their index columns, for the examples (docs/quality.md, Performance).

    result = run_suite(con, suite("raw.projects"))
    result.success, result.failed[0].name, result.failed[0].unexpected_count, result.failed[0].examples
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from scorecard.quality.suites import ERROR, Expectation, Suite

MAX_EXAMPLES = 10


@dataclass
class ExpectationResult:
    suite: str
    name: str
    expectation: str  # GX expectation type, e.g. expect_column_values_to_be_between
    column: str | None
    severity: str
    success: bool
    element_count: int | None
    unexpected_count: int | None
    examples: list[Any]
    frame: str
    description: str = ""
    error: str | None = None  # GX raised (e.g. a missing column): counted as a failure

    @property
    def key(self) -> str:
        return f"{self.name}:{self.column}" if self.column else self.name


@dataclass
class SuiteResult:
    suite: str
    severity: str | None  # the severity validated, None = all
    results: list[ExpectationResult] = field(default_factory=list)
    frame_rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success]

    @property
    def success(self) -> bool:
        return not self.failed

    def result(self, name: str, column: str | None = None) -> ExpectationResult:
        """The result of rule `name` (on `column`, when the rule runs on several columns)."""
        hits = [r for r in self.results if r.name == name and (column is None or r.column == column)]
        if len(hits) != 1:
            raise KeyError(f"{self.suite}: {len(hits)} results named {name!r} (column {column!r})")
        return hits[0]

    def counts(self) -> dict[str, int]:
        return {
            "expectations_run": len(self.results),
            "expectations_passed": len(self.results) - len(self.failed),
            "expectations_failed": len(self.failed),
        }

    def to_dict(self) -> dict:
        return {
            "suite": self.suite,
            "severity": self.severity,
            "seconds": round(self.seconds, 3),
            "frame_rows": self.frame_rows,
            **self.counts(),
            "results": [asdict(r) for r in self.results],
        }


# ------------------------------------------------------------------------------ frames from DuckDB


def _bind(sql: str, params: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (params or {}).items() if re.search(rf"\${k}\b", sql)}


def load_frames(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    names: set[str],
    params: dict[str, Any] | None = None,
    expectations: list[Expectation] | None = None,
    with_index: bool = True,
):
    """The named frames of a suite as pandas DataFrames (DuckDB relation → pandas, see `to_pandas`).

    With ``expectations``, only the columns those rules read and (``with_index``) the frame's index
    columns are loaded (DuckDB pushes the projection down): at national scale a `SELECT *` of the
    largest table into pandas is gigabytes of strings (lineage hashes included) that no rule reads.
    Without the index, the rows are not sorted by the frame's ``order_by`` either (only counted)."""
    frames = {}
    for name in sorted(names):
        sql = suite.frames[name].query(ordered=with_index)
        rel = con.sql(sql, params=_bind(sql, params) or None)
        if expectations is not None:
            wanted = set(suite.frames[name].index) if with_index else set()
            for e in expectations:
                if e.frame == name:
                    wanted |= set(_columns_read(e))
            keep = [c for c in rel.columns if c in wanted]
            if keep and len(keep) < len(rel.columns):
                rel = rel.select(*[duckdb.ColumnExpression(c) for c in keep])
        frames[name] = to_pandas(con, rel)
    return frames


def _columns_read(e: Expectation) -> list[str]:
    k = e.kwargs
    return [k[a] for a in ("column", "column_A", "column_B") if a in k] + list(k.get("column_list", ()))


def to_pandas(con: duckdb.DuckDBPyConnection, rel: duckdb.DuckDBPyRelation):
    """The relation as the pandas DataFrame ``rel.df()`` gives, dtype for dtype and value for value, built
    through Arrow: ``.df()`` makes a Python object of every string and pandas turns them back into an
    Arrow-backed ``str`` column (6 s for the 3.6 M KPI rows); Arrow's own string columns are that
    column directly. Other columns go through DuckDB's ``.df()`` of the Arrow table (DECIMAL becomes
    float64 as before), and a string column with no value stays ``object`` of None, as ``.df()`` has it."""
    import pandas as pd
    import pyarrow as pa

    table = rel.to_arrow_table()  # the query runs once
    columns: dict[str, Any] = {}
    others = [f.name for f in table.schema if not (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))]
    if others:
        numeric = con.from_arrow(table.select(others)).df()
        columns.update({c: numeric[c] for c in others})
    for name in table.column_names:
        if name in columns:
            continue
        column = table.column(name)
        if column.null_count == len(column):
            columns[name] = pd.Series([None] * len(column), dtype=object)
        else:
            columns[name] = column.to_pandas()
    return pd.DataFrame(columns)[table.column_names] if columns else rel.df()


def value_sets(con: duckdb.DuckDBPyConnection, expectations: list[Expectation]) -> dict[str, list]:
    """Value sets that are read from the warehouse (e.g. the known project ids), per rule key."""
    out: dict[str, list] = {}
    for e in expectations:
        if e.value_set_sql:
            out[e.key] = [r[0] for r in con.sql(e.value_set_sql).fetchall()]
    return out


def run_suite(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    severity: str | None = None,
    params: dict[str, Any] | None = None,
) -> SuiteResult:
    """Query the suite's frames from the warehouse and validate them (only `severity`'s rules if given).

    Two passes, every rule validated by GX in the first. First the counts: each frame holds only the
    columns its rules read (no index columns) and GX computes the BASIC result (success, element and
    unexpected counts), which needs no list of unexpected rows. Then, for the rules that failed, the
    examples: their frames are loaded as before (with the index columns) and those rules validated
    again with the SUMMARY result that names the failing rows — the same result a single SUMMARY pass
    gives them. At 100,000 projects the SUMMARY index list and query copied every frame twice per
    rule even when nothing failed."""
    started = time.perf_counter()
    chosen = [e for e in suite.expectations if severity is None or e.severity == severity]
    sets = value_sets(con, chosen)
    names = {e.frame for e in chosen}
    frames = load_frames(con, suite, names, params, expectations=chosen, with_index=False)
    result = validate(suite, _vectorizable(frames), severity, sets, result_format="BASIC")
    failed = {r.key for r in result.failed}
    if failed:
        names = {e.frame for e in chosen if e.key in failed}
        frames = load_frames(con, suite, names, params, expectations=chosen)
        again = validate(suite, frames, severity, sets, keys=failed)
        by_key = {r.key: r for r in again.results}
        result.results = [by_key.get(r.key, r) for r in result.results]
    result.seconds = time.perf_counter() - started
    return result


def _vectorizable(frames: dict[str, Any]) -> dict[str, Any]:
    """The frames with every narrower integer column (DuckDB INTEGER is int32) as int64: GX compares a
    column with its bounds as one numpy operation only for int64 and float64, and calls a Python
    function per value otherwise (1.8 M calls at 100,000 projects). An integer column holds no NULL
    (DuckDB gives a column with NULLs as float64), so the comparisons and counts are the same."""
    import numpy as np

    out = {}
    for name, df in frames.items():
        narrow = [c for c, t in df.dtypes.items() if isinstance(t, np.dtype) and t.kind in "iu" and t.itemsize < 8]
        out[name] = df.astype(dict.fromkeys(narrow, np.int64)) if narrow else df
    return out


# ------------------------------------------------------------------------------ GX


_GX: dict[str, Any] = {}


def _gx():
    """(gx, gx.expectations, a whole-DataFrame batch definition): one ephemeral context per process."""
    if not _GX:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        import great_expectations as gx
        import great_expectations.execution_engine.pandas_execution_engine as gx_pandas
        import great_expectations.expectations as gxe
        from great_expectations.data_context.types.base import ProgressBarsConfig

        # GX fingerprints each pandas batch (a hash of every value, for its batch markers, which no rule
        # and no result reads) twice per frame: a third of the checks' time at 100,000 projects.
        gx_pandas.HASH_THRESHOLD = 0

        context = gx.get_context(mode="ephemeral")  # writes no files
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        batch_definition = (
            context.data_sources.add_pandas("scorecard")
            .add_dataframe_asset("frame")
            .add_batch_definition_whole_dataframe("whole_frame")
        )
        _GX.update(gx=gx, gxe=gxe, batch_definition=batch_definition)
    return _GX["gx"], _GX["gxe"], _GX["batch_definition"]


def _plain(value: Any) -> Any:
    """A JSON-friendly value: numpy scalars to Python, NaN/NA to None, dates to ISO text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, TypeError):
            return str(value)
    if value is None:
        return None
    try:
        if value != value:  # NaN, pd.NA raise or compare unequal
            return None
    except TypeError:
        return None
    if isinstance(value, float) and math.isinf(value):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, str, bool)):
        return value
    if type(value).__name__ in ("Timestamp",):
        return _plain(value.to_pydatetime())
    return str(value)


def _examples(result: dict) -> list[Any]:
    rows = result.get("partial_unexpected_index_list")
    if rows:
        return _plain(list(rows)[:MAX_EXAMPLES])
    values = result.get("partial_unexpected_list")
    if values:
        return _plain(list(values)[:MAX_EXAMPLES])
    if "observed_value" in result:
        return [_plain(result["observed_value"])]
    return []


def validate(
    suite: Suite,
    frames: dict[str, Any],
    severity: str | None = None,
    value_sets: dict[str, list] | None = None,
    result_format: str = "SUMMARY",
    keys: set[str] | None = None,
) -> SuiteResult:
    """Validate the suite's rules (of `severity`, or all; only the rules `keys` if given) on the given
    frames (pandas or Polars).

    One GX expectation suite per frame, validated on the frame as a batch of the process's ephemeral
    GX context (pandas route). A rule whose frame is not given is not run. ``result_format`` SUMMARY
    names up to 10 failing rows (by the frame's index columns) in the examples; BASIC only counts.
    """
    started = time.perf_counter()
    out = SuiteResult(suite.name, severity)
    chosen = [
        e
        for e in suite.expectations
        if (severity is None or e.severity == severity) and e.frame in frames and (keys is None or e.key in keys)
    ]
    for frame_name in sorted({e.frame for e in chosen}):
        df = frames[frame_name]
        if hasattr(df, "to_pandas"):  # Polars
            df = df.to_pandas()
        out.frame_rows[frame_name] = len(df)
        rules = {e.key: e for e in chosen if e.frame == frame_name}
        index = [c for c in suite.frames[frame_name].index if c in df.columns]
        validation = _validate_frame(f"{suite.name}.{frame_name}", df, rules, value_sets or {}, result_format, index)
        out.results += [
            _result(suite, frame_name, rules[r.expectation_config.meta["rule"]], r, len(df)) for r in validation.results
        ]
    order = {e.key: i for i, e in enumerate(suite.expectations)}
    out.results.sort(key=lambda r: order.get(r.key, 0))
    out.seconds = time.perf_counter() - started
    return out


def _validate_frame(
    name: str, df, rules: dict[str, Expectation], value_sets: dict[str, list], result_format: str, index: list[str]
):
    """GX's validation result of the rules on one frame."""
    gx, gxe, batch_definition = _gx()
    gx_expectations = []
    for key, e in rules.items():
        kwargs = dict(e.kwargs)
        if e.value_set_sql is not None:
            kwargs["value_set"] = value_sets.get(key, [])
        gx_expectations.append(getattr(gxe, e.gx)(**kwargs, meta={"rule": key}))
    gx_suite = gx.ExpectationSuite(name=name, expectations=gx_expectations)
    options: dict[str, Any] = {"result_format": result_format, "partial_unexpected_count": MAX_EXAMPLES}
    if index and result_format == "SUMMARY":
        options["unexpected_index_column_names"] = index
    batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
    return batch.validate(gx_suite, result_format=options)


def _error(r) -> str | None:
    """The message of the exception GX caught while validating (or computing a metric of) a rule."""
    info = r.exception_info or {}
    if info.get("raised_exception"):
        return info.get("exception_message")
    for v in info.values():  # metric errors come back keyed by metric id
        if isinstance(v, dict) and v.get("raised_exception"):
            return v.get("exception_message")
    return None


def _result(suite: Suite, frame_name: str, e: Expectation, r, rows: int) -> ExpectationResult:
    res = dict(r.result or {})
    error = _error(r)
    return ExpectationResult(
        suite=suite.name,
        name=e.name,
        expectation=r.expectation_config.type,
        column=e.column,
        severity=e.severity,
        success=bool(r.success) and error is None,
        element_count=res.get("element_count", rows),
        unexpected_count=res.get("unexpected_count"),
        examples=[] if r.success else _examples(res),
        frame=frame_name,
        description=e.description,
        error=error,
    )


def examples_json(result: ExpectationResult) -> str:
    return json.dumps(result.examples, ensure_ascii=False, default=str)


__all__ = [
    "ERROR",
    "ExpectationResult",
    "SuiteResult",
    "examples_json",
    "load_frames",
    "run_suite",
    "validate",
    "value_sets",
]
