"""What every review-year asset shares: partitioned by review year, a backfill of many years in one
run (years run in order inside it), and the warehouse writer pool."""

import dagster as dg

from pipelines.partitions import review_years
from pipelines.resources import WRITER_POOL


def yearly_spec(group: str, owner: str, kinds: tuple[str, ...] = ("duckdb",)) -> dict:
    """Arguments of a review-year ``AssetSpec`` (one asset of a multi-asset)."""
    return {"group_name": group, "kinds": set(kinds), "owners": [owner], "partitions_def": review_years}


def yearly_asset(group: str, owner: str, kinds: tuple[str, ...] = ("duckdb",)) -> dict:
    """Arguments of a review-year ``@dg.asset``."""
    return {**yearly_spec(group, owner, kinds), "backfill_policy": dg.BackfillPolicy.single_run(), "pool": WRITER_POOL}


def yearly_multi_asset() -> dict:
    """Arguments of a review-year ``@dg.multi_asset`` whose assets are written together."""
    return {
        "partitions_def": review_years,
        "backfill_policy": dg.BackfillPolicy.single_run(),
        "pool": WRITER_POOL,
        "can_subset": False,
    }
