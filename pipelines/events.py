"""Reading Dagster events, in one place: the CLI's progress logger (``pipelines/logging.py``), its
failure message (``scorecard run``) and the benchmark recorder (``bench/run.py``) all see a run's
events through :func:`step_event`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

# the event kinds the readers act on
STEP_START, STEP_SUCCESS, STEP_FAILURE = "STEP_START", "STEP_SUCCESS", "STEP_FAILURE"
MATERIALIZATION, CHECK_EVALUATION = "ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION"
KINDS = (STEP_START, STEP_SUCCESS, STEP_FAILURE, MATERIALIZATION, CHECK_EVALUATION)


@dataclass(frozen=True)
class StepEvent:
    """What a reader needs of one Dagster event (metadata values unwrapped)."""

    kind: str
    step: str
    asset: str | None = None  # materialization or check: the asset key, "raw/projects"
    partition: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    check: str | None = None  # check evaluation: the check's name
    passed: bool | None = None
    severity: str | None = None  # a failed check's severity: ERROR or WARN
    error: str | None = None  # step failure: the innermost error message (the file and problem, for a bad file)


def dagster_event(record: logging.LogRecord):
    """The Dagster event a log record carries (None for a plain log message)."""
    meta = getattr(record, "dagster_meta", None) or {}
    return meta.get("dagster_event")


def record_message(record: logging.LogRecord) -> str | None:
    """The text of a plain log message (an asset's own ``context.log`` line), or None for an event."""
    if dagster_event(record) is not None:
        return None
    meta = getattr(record, "dagster_meta", None) or {}
    return meta.get("orig_message") or record.getMessage()


def record_event(record: logging.LogRecord) -> StepEvent | None:
    """The :class:`StepEvent` a logger's record carries, or None (a plain message, another kind)."""
    event = dagster_event(record)
    return step_event(event) if event is not None else None


def step_event(event) -> StepEvent | None:
    """A Dagster event as a :class:`StepEvent`, or None when it is not one of :data:`KINDS`."""
    kind = event.event_type_value
    if kind not in KINDS:
        return None
    step = event.step_key or ""
    data = event.event_specific_data
    if kind == MATERIALIZATION:
        mat = data.materialization
        metadata = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
        return StepEvent(kind, step, mat.asset_key.to_user_string(), mat.partition, metadata)
    if kind == CHECK_EVALUATION:
        severity = data.severity.value if data.severity else "ERROR"
        return StepEvent(
            kind,
            step,
            data.asset_key.to_user_string(),
            check=data.check_name,
            passed=bool(data.passed),
            severity=severity,
        )
    if kind == STEP_FAILURE:
        return StepEvent(kind, step, error=_innermost(data.error))
    return StepEvent(kind, step)


def _innermost(error) -> str:
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def failure_message(events) -> str:
    """``<step>: <innermost error>`` of the first failed step of a run's events."""
    for event in events:
        if event.event_type_value == STEP_FAILURE:
            return f"{event.step_key}: {_innermost(event.event_specific_data.error)}"
    return "the run failed (see the Dagster event log)"


def event_logger(name: str, handler: type[logging.Handler]) -> logging.Logger:
    """The Python logger a Dagster logger definition returns: every event (DEBUG), not passed on to
    the root logger, one ``handler`` however often the run starts it."""
    log = logging.getLogger(name)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if not log.handlers:
        log.addHandler(handler())
    return log
