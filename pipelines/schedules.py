"""The year-end review schedule (docs/analyst-guide.md, "Schedules and the sensor").

Two ticks a year, both in Shanghai time:

* 31 December 02:00 — scores the year that is ending (partition ``Y``), with the data present then;
* 15 January 02:00 — scores the year that has just ended again (partition ``Y-1``), after the Q4
  progress reports and KPI actuals have arrived. The second run replaces the first (the review
  assets delete-then-insert their partition).

To change a date or time, edit ``REVIEW_CRON`` below (standard five-field cron, read in
``REVIEW_TIMEZONE``) and reload the code location in the UI. Which partition a tick scores is
decided by :func:`review_year_for_tick`: a tick in December scores its own year, a tick in any
other month the previous year.

Both the schedule and the sensors start switched on (``DefaultScheduleStatus.RUNNING``), so the
daemon that ``make ui`` starts runs them without anyone switching them on. Set
``SCORECARD_AUTOMATION=off`` before ``make ui`` to start them switched off (demos, tests); they can
still be switched on in the UI (Automation page).
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines.jobs import annual_review_job
from pipelines.partitions import FIRST_REVIEW_YEAR, review_years

REVIEW_TIMEZONE = "Asia/Shanghai"
# minute hour day-of-month month day-of-week
REVIEW_CRON = [
    "0 2 31 12 *",  # 31 December 02:00: the year that is ending
    "0 2 15 1 *",  # 15 January 02:00: the year just ended, after the Q4 reports arrived
]


def automation_default_status() -> bool:
    """True unless SCORECARD_AUTOMATION is off/0/false/no (read when the definitions load)."""
    return os.environ.get("SCORECARD_AUTOMATION", "on").strip().lower() not in {"off", "0", "false", "no"}


def default_schedule_status() -> dg.DefaultScheduleStatus:
    return dg.DefaultScheduleStatus.RUNNING if automation_default_status() else dg.DefaultScheduleStatus.STOPPED


def review_year_for_tick(when: dt.datetime) -> int:
    """The review year a tick at ``when`` scores: December → that year, otherwise the year before."""
    local = when.astimezone(ZoneInfo(REVIEW_TIMEZONE)) if when.tzinfo else when
    return local.year if local.month == 12 else local.year - 1


@dg.schedule(
    name="year_end_review_schedule",
    cron_schedule=REVIEW_CRON,
    execution_timezone=REVIEW_TIMEZONE,
    job=annual_review_job,
    default_status=default_schedule_status(),
    description=(
        "Scores a review year with the official rubric: on 31 December 02:00 (Asia/Shanghai) the year "
        "that is ending, and again on 15 January 02:00 the year just ended, after the Q4 reports arrived. "
        "Cron lines: pipelines/schedules.py REVIEW_CRON."
    ),
    tags={"scorecard/trigger": "year_end_review_schedule"},
)
def year_end_review_schedule(context: dg.ScheduleEvaluationContext):
    when = context.scheduled_execution_time
    year = review_year_for_tick(when)
    if year < FIRST_REVIEW_YEAR:
        return dg.SkipReason(f"review year {year} is before the first review year {FIRST_REVIEW_YEAR}")
    partition = str(year)
    return dg.RunRequest(
        run_key=f"review-{partition}-tick-{when.strftime('%Y-%m-%d')}",
        partition_key=partition,
        tags={"scorecard/review_year": partition, "scorecard/tick": when.isoformat()},
    )


schedules = [year_end_review_schedule]

# The partition set the schedule targets (the current year is a partition: end_offset=1).
assert review_years.timezone == REVIEW_TIMEZONE
