"""The scheduled collector Lambda (EventBridge): pull CloudWatch Logs into the raw zone.

Log groups come from LOGLAKE_LOG_GROUPS (comma-separated names or prefixes ending in '*'); the
checkpoint lives in the lake's state area on S3. The raw bucket's notification then runs the ETL.
"""

from __future__ import annotations

import os
from typing import Any

from loglake.errors import EventError
from loglake.handlers.environment import lake_from_environment
from loglake.sources.cloudwatch_logs import CloudWatchCollector, CollectorOptions


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    groups = tuple(g.strip() for g in os.environ.get("LOGLAKE_LOG_GROUPS", "").split(",") if g.strip())
    if not groups:
        raise EventError("LOGLAKE_LOG_GROUPS is not set: name the log groups to collect")
    report = CloudWatchCollector(lake_from_environment().store, CollectorOptions(log_groups=groups)).collect()
    return {
        "groups": report.groups,
        "streams": len(report.streams),
        "events": report.events,
        "objects_written": len(report.written),
        "objects_unchanged": report.unchanged,
        "api_calls": report.api_calls,
    }
