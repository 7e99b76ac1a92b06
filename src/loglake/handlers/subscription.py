"""The CloudWatch Logs subscription-filter Lambda: real-time push into the raw zone.

Each invocation prints its metrics as EMF lines (handlers/metrics.py): events, raw objects, payload
bytes, duration, and the lag of its log group (one of the groups the stack subscribes: a bounded set).
"""

from __future__ import annotations

from typing import Any

from loglake.aws_events.cloudwatch_logs_event import subscription_payload
from loglake.handlers.environment import lake_from_environment
from loglake.handlers.metrics import Stopwatch, delivery_metrics
from loglake.sources.cloudwatch_subscription import write_payload


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    watch = Stopwatch()
    payload = subscription_payload(event)
    key = write_payload(lake_from_environment().store, payload)
    timestamps = [] if key is None else [e.timestamp for e in payload.events]
    bytes_in = len(str(event.get("awslogs", {}).get("data", "")))
    delivery_metrics("subscription", payload.log_group, timestamps, int(key is not None), bytes_in, watch.ms()).emit()
    return {"raw_object": key, "events": len(timestamps)}
