"""Data-quality gates: Great Expectations suites as Dagster asset checks."""

import os

# GX must never phone home or draw progress bars in the run logs.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_DATA_CONTEXT_ANALYTICS_ENABLED", "false")
