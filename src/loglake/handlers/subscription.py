"""The CloudWatch Logs subscription-filter Lambda: real-time push into the raw zone."""

from __future__ import annotations

from typing import Any

from loglake.aws_events.cloudwatch_logs_event import subscription_payload
from loglake.handlers.environment import lake_from_environment
from loglake.sources.cloudwatch_subscription import write_payload


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    payload = subscription_payload(event)
    key = write_payload(lake_from_environment().store, payload)
    return {"raw_object": key, "events": 0 if key is None else len(payload.events)}
