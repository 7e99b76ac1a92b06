"""SQS messages as Lambda delivers them from a queue that S3 notifies (the batched ETL, EtlBatchSize > 1).

Each record's body is the S3 notification S3 would have sent to the function itself (a `Records` list,
usually of one record), or the `s3:TestEvent` S3 sends once when the notification is configured, which
carries no object. A body that is neither is kept with its error: the handler reports that message as
failed (so it goes to the dead-letter queue and is seen), and the other messages are processed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from loglake.aws_events.s3_event import S3EventRecord, s3_records
from loglake.errors import EventError

TEST_EVENT = "s3:TestEvent"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:loglake-etl"
"""The queue queued_event's records name by default (the handler does not read it)."""


@dataclass(frozen=True)
class QueuedS3Event:
    message_id: str
    records: tuple[S3EventRecord, ...]
    """The ObjectCreated records of the body (none for the test event)."""
    error: str | None = None
    """Why the body is not an S3 notification; the message is then reported as failed."""
    test_event: bool = False
    """The s3:TestEvent (a body of other S3 events, such as ObjectRemoved, has no records and is not one)."""


def queued_event(bodies: Sequence[Mapping[str, Any]], queue_arn: str = QUEUE_ARN) -> dict[str, Any]:
    """What Lambda's event source mapping hands the function: one SQS record per body (message m0, m1, ...),
    each body an S3 notification (aws_events.s3_event.object_created_event) or the test event."""
    return {
        "Records": [
            {
                "messageId": f"m{n}",
                "receiptHandle": f"r{n}",
                "body": orjson.dumps(body).decode(),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": queue_arn.split(":")[3],
            }
            for n, body in enumerate(bodies)
        ]
    }


def is_sqs_event(event: Mapping[str, Any]) -> bool:
    """Whether Lambda delivered `event` from an SQS queue (its records' eventSource is aws:sqs)."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    return (
        bool(records)
        and isinstance(records, list)
        and all(isinstance(r, Mapping) and r.get("eventSource") == "aws:sqs" for r in records)
    )


def queued_s3_events(event: Mapping[str, Any]) -> list[QueuedS3Event]:
    """One entry per message, in delivery order."""
    out = []
    for index, record in enumerate(event["Records"]):
        message_id = record.get("messageId")
        if not isinstance(message_id, str) or not message_id:
            raise EventError(f"SQS record {index} has no messageId")  # nothing to report it by: fail the batch
        out.append(_message(message_id, record.get("body")))
    return out


def _message(message_id: str, body: Any) -> QueuedS3Event:
    try:
        notification = orjson.loads(body) if isinstance(body, str | bytes) else None
    except orjson.JSONDecodeError:
        notification = None
    if not isinstance(notification, dict):
        return QueuedS3Event(message_id, (), f"message {message_id}: the body is not JSON")
    if notification.get("Event") == TEST_EVENT:
        return QueuedS3Event(message_id, (), test_event=True)
    try:
        records = tuple(r for r in s3_records(notification) if r.is_object_created)
    except EventError as exc:
        return QueuedS3Event(message_id, (), f"message {message_id}: {exc}")
    return QueuedS3Event(message_id, records)
