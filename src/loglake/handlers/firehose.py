"""A Kinesis Data Firehose transformation Lambda for CloudWatch Logs records.

Each record's payload is written to the raw zone exactly as a subscription would write it, then the
record is answered `Dropped`: loglake has stored it, so Firehose must not deliver it a second time.
A record that is not a CloudWatch Logs payload is answered `ProcessingFailed`, which Firehose sends to
its error output: nothing is lost silently.
"""

from __future__ import annotations

from typing import Any

from loglake.aws_events.cloudwatch_logs_event import decode_payload
from loglake.errors import EventError
from loglake.handlers.environment import lake_from_environment
from loglake.sources.cloudwatch_subscription import write_payload


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    store = lake_from_environment().store
    answers = []
    for record in event.get("records", []):
        try:
            write_payload(store, decode_payload(str(record["data"])), source="firehose")
            answers.append({"recordId": record["recordId"], "result": "Dropped"})
        except (EventError, KeyError):
            answers.append(
                {"recordId": record.get("recordId"), "result": "ProcessingFailed", "data": record.get("data", "")}
            )
    return {"records": answers}
