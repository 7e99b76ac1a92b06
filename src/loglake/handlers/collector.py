"""The scheduled collector Lambda (EventBridge): pull CloudWatch Logs into the raw zone.

Log groups come from LOGLAKE_LOG_GROUPS (comma-separated names or prefixes ending in '*'); the
checkpoint lives in the lake's state area on S3. The raw bucket's notification then runs the ETL.
Each run prints its metrics as EMF lines (handlers/metrics.py) and records itself in state/runs/collect.json.

Runs take the lease per log group that `loglake collect` takes (its role may write and delete only under
state/leases/): reserved concurrency 1 keeps scheduled runs from overlapping, and the lease keeps a run from
a laptop and the schedule from placing the same events in two packs. A group another run holds fails this
run with the command to run again; the next scheduled run collects it.
"""

from __future__ import annotations

import os
from typing import Any

from loglake.errors import EventError, LoglakeError, first_line
from loglake.handlers.environment import lake_from_environment
from loglake.handlers.metrics import Stopwatch, collector_metrics
from loglake.lake.runs import collect_figures, now_ms, record_run
from loglake.sources.cloudwatch_logs import CloudWatchCollector, CollectorOptions


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    groups = tuple(g.strip() for g in os.environ.get("LOGLAKE_LOG_GROUPS", "").split(",") if g.strip())
    if not groups:
        raise EventError("LOGLAKE_LOG_GROUPS is not set: name the log groups to collect")
    store = lake_from_environment().store
    started, watch = now_ms(), Stopwatch()
    collector = CloudWatchCollector(store, CollectorOptions(log_groups=groups))
    try:
        report = collector.collect()
    except LoglakeError as exc:  # what the failed run did (its calls, its throttles) is still reported
        collector_metrics(collector.report, watch.ms()).emit()
        record_run(store, "collect", started, ok=False, where="lambda", error=first_line(exc))
        raise
    collector_metrics(report, watch.ms()).emit()
    record_run(store, "collect", started, where="lambda", figures=collect_figures(report))
    return {
        "groups": report.groups,
        "streams": len(report.streams),
        "events": report.events,
        "objects_written": len(report.written),
        "objects_unchanged": report.unchanged,
        "api_calls": report.api_calls,
    }
