"""Review-year partitions: one a year from the programme's first review year (programme file,
docs/programme.md), the current year included (end_offset=1) so the 31 December schedule has its
partition. Dagster has no yearly class, so this is a yearly time window (docs/architecture.md)."""

import dagster as dg

from scorecard.programme import load_programme

FIRST_REVIEW_YEAR = load_programme().first_review_year

review_years = dg.TimeWindowPartitionsDefinition(
    start=str(FIRST_REVIEW_YEAR),
    cron_schedule="0 0 1 1 *",
    fmt="%Y",
    timezone="Asia/Shanghai",
    end_offset=1,
)

# Year Y reads year Y-1 of the same asset (previous grade, recommendation, termination history).
previous_year = dg.TimeWindowPartitionMapping(
    start_offset=-1, end_offset=-1, allow_nonexistent_upstream_partitions=True
)


def years_of(context: dg.AssetExecutionContext) -> list[int]:
    """The review years of this run, ascending (one partition, or a range in a single-run backfill)."""
    keys = context.partition_keys if context.has_partition_key_range else [context.partition_key]
    return sorted(int(k) for k in keys)


def partition_range_tags(first: int | str, last: int | str) -> dict[str, str]:
    """Run tags that make one run cover the review years ``first``..``last`` (what a single-run
    backfill of the UI sets; ``scorecard run`` and the bench use them for the reports of all years)."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    return {ASSET_PARTITION_RANGE_START_TAG: str(first), ASSET_PARTITION_RANGE_END_TAG: str(last)}
