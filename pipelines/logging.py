"""A compact progress logger for the headless CLI: one line per asset materialised or failed, and the
assets' own warnings."""

import logging
import sys
import time

import dagster as dg

from pipelines.events import (
    CHECK_EVALUATION,
    MATERIALIZATION,
    STEP_FAILURE,
    STEP_START,
    event_logger,
    record_event,
    record_message,
)


class _ProgressHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        message = record_message(record)
        if message is not None:
            # an asset's own warning (e.g. "scored the missing earlier years first"): shown as a line
            if record.levelno >= logging.WARNING:
                print(f"  ⚠ {message}", file=sys.stdout, flush=True)
            return
        event = record_event(record)
        if event is None:
            return
        if event.kind == STEP_START:
            self.started[event.step] = time.perf_counter()
        elif event.kind == MATERIALIZATION:
            rows = event.metadata.get("dagster/row_count")
            rows_text = f"{rows:>10,} rows" if rows is not None else " " * 15
            part = f" [{event.partition}]" if event.partition else ""
            elapsed = time.perf_counter() - self.started.get(event.step, time.perf_counter())
            print(f"  ✓ {event.asset:<28}{part:<8} {rows_text}  {elapsed:6.1f} s", file=sys.stdout, flush=True)
        elif event.kind == CHECK_EVALUATION:
            if not event.passed:
                print(f"  ! check {event.asset}:{event.check} failed ({event.severity})", flush=True)
        elif event.kind == STEP_FAILURE:
            print(f"  ✗ step {event.step} failed", file=sys.stdout, flush=True)


@dg.logger(description="One line per materialised asset (used by `scorecard run`).")
def progress_logger(init_context):
    return event_logger("scorecard.progress", _ProgressHandler)
