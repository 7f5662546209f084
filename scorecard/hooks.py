"""Test hook for crash-safety tests (issue 9): with SCORECARD_CRASH_AT=<name>, the process pauses at
the named point (SCORECARD_CRASH_SLEEP seconds) so a test can kill it there. A no-op otherwise."""

from __future__ import annotations

import os
import time


def crash_point(name: str) -> None:
    if os.environ.get("SCORECARD_CRASH_AT") == name:
        print(f"crash point reached: {name}", flush=True)
        time.sleep(float(os.environ.get("SCORECARD_CRASH_SLEEP", "60")))
