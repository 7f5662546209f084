"""The Dagster code location (workspace.yaml: ``python_module: pipelines.definitions``).

Loading this module must stay fast (≤ 5 s): heavy libraries (Great Expectations, WeasyPrint,
kaleido) are imported inside the assets and checks that use them, never here.
"""

import warnings

import dagster as dg

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

from assets.analytics import analytics_assets  # noqa: E402
from assets.checks import quality_checks  # noqa: E402
from assets.feedback import feedback_assets  # noqa: E402
from assets.programme_management import programme_management_assets  # noqa: E402
from assets.quality import quality_assets  # noqa: E402
from assets.raw import raw_assets  # noqa: E402
from assets.report import report_assets  # noqa: E402
from assets.review import review_assets  # noqa: E402
from assets.warehouse import star_schema  # noqa: E402
from pipelines.jobs import jobs  # noqa: E402
from pipelines.logging import progress_logger  # noqa: E402
from pipelines.resources import default_resources  # noqa: E402
from pipelines.schedules import schedules  # noqa: E402
from pipelines.sensors import sensors  # noqa: E402

all_assets = [
    *raw_assets,
    *feedback_assets,
    star_schema,
    *review_assets,
    *analytics_assets,
    *quality_assets,
    *report_assets,
    *programme_management_assets,
]

defs = dg.Definitions(
    assets=all_assets,
    asset_checks=quality_checks,
    jobs=jobs,
    schedules=schedules,
    sensors=sensors,
    resources=default_resources(),
    # The one-slot writer pool runs every step one at a time anyway; in-process execution saves a
    # process start per step (docs/architecture.md: ~3 s against ~10 s on a small graph).
    executor=dg.in_process_executor,
    loggers={"console": dg.colored_console_logger, "progress": progress_logger},
)
