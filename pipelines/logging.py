"""A compact progress logger for the headless CLI: one line per asset materialised or failed, and the
assets' own warnings."""

import logging
import sys
import time

import dagster as dg


class _ProgressHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            # an asset's own warning (e.g. "scored the missing earlier years first"): shown as a line
            if record.levelno >= logging.WARNING:
                print(f"  ⚠ {meta.get('orig_message') or record.getMessage()}", file=sys.stdout, flush=True)
            return
        kind = event.event_type_value
        step = event.step_key or ""
        if kind == "STEP_START":
            self.started[step] = time.perf_counter()
        elif kind == "ASSET_MATERIALIZATION":
            mat = event.event_specific_data.materialization
            rows = mat.metadata.get("dagster/row_count")
            rows_text = f"{rows.value:>10,} rows" if rows is not None else " " * 15
            part = f" [{mat.partition}]" if mat.partition else ""
            elapsed = time.perf_counter() - self.started.get(step, time.perf_counter())
            print(f"  ✓ {mat.asset_key.to_user_string():<28}{part:<8} {rows_text}  {elapsed:6.1f} s", file=sys.stdout, flush=True)
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed:
                sev = data.severity.value if data.severity else "ERROR"
                print(f"  ! check {data.asset_key.to_user_string()}:{data.check_name} failed ({sev})", flush=True)
        elif kind == "STEP_FAILURE":
            print(f"  ✗ step {step} failed", file=sys.stdout, flush=True)


@dg.logger(description="One line per materialised asset (used by `scorecard run`).")
def progress_logger(init_context):
    log = logging.getLogger("scorecard.progress")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if not log.handlers:
        log.addHandler(_ProgressHandler())
    return log
