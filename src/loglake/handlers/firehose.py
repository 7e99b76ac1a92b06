"""A Kinesis Data Firehose transformation Lambda for CloudWatch Logs records.

Each record's payload is written to the raw zone exactly as a subscription would write it, then the
record is answered `Dropped`: loglake has stored it, so Firehose must not deliver it a second time.
A record that is not a CloudWatch Logs payload is answered `ProcessingFailed`, which Firehose sends to
its error output: nothing is lost silently. Each invocation prints its metrics as EMF lines
(handlers/metrics.py), RecordsFailed among them.
"""

from __future__ import annotations

from typing import Any

from loglake.aws_events.cloudwatch_logs_event import decode_payload
from loglake.errors import EventError
from loglake.handlers.environment import lake_from_environment
from loglake.handlers.metrics import Metrics, Stopwatch
from loglake.sources.cloudwatch_subscription import write_payload


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    watch = Stopwatch()
    store = lake_from_environment().store
    answers = []
    newest: dict[str, int] = {}
    events = written = bytes_in = 0
    for record in event.get("records", []):
        bytes_in += len(str(record.get("data", "")))
        try:
            payload = decode_payload(str(record["data"]))
            if write_payload(store, payload, source="firehose") is not None:
                written += 1
                events += len(payload.events)
                newest[payload.log_group] = max(
                    [e.timestamp for e in payload.events] + [newest.get(payload.log_group, 0)]
                )
            answers.append({"recordId": record["recordId"], "result": "Dropped"})
        except (EventError, KeyError):
            answers.append(
                {"recordId": record.get("recordId"), "result": "ProcessingFailed", "data": record.get("data", "")}
            )
    metrics = Metrics("firehose")
    metrics.add("RecordsRead", len(answers))
    metrics.add("RecordsFailed", sum(1 for a in answers if a["result"] == "ProcessingFailed"))
    metrics.add("EventsRead", events)
    metrics.add("RawObjectsWritten", written)
    metrics.add("BytesIn", bytes_in, "Bytes")
    metrics.add("Duration", watch.ms(), "Milliseconds")
    metrics.add_lag("LagSeconds", newest, "LogGroup")
    metrics.emit()
    return {"records": answers}
