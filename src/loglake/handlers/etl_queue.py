"""The batched ETL on AWS (EtlBatchSize > 1): S3 notifies an SQS queue, and Lambda hands the function up to
EtlBatchSize messages at once, which share one DuckDB pass (transform/etl_batch.py).

The answer names exactly the messages to retry (ReportBatchItemFailures): a message whose every object
committed, was already done, or was set aside as unreadable is deleted from the queue; one with an object
that failed for any other reason (S3, memory, an invariant) comes back after the queue's visibility timeout
and goes to the dead-letter queue after its last receive. A redelivered message adds nothing: its objects'
manifests say they are done (as for a duplicate S3 notification).

Each object is processed under its lease (transform/leased_etl.py, shared with `loglake etl`): an object
another run holds (a re-drive with `loglake etl --lake s3://...`) is reported failed and retried later.
An unreadable raw object (not gzip, cut short, not raw records) is set aside in state/unreadable/ as the
local pipeline sets it aside: no retry can read it, `loglake status` and `verify` report it by name, and
it is processed again once it is restored (a new version).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from loglake.aws_events.sqs_event import queued_s3_events
from loglake.errors import LoglakeError, first_line
from loglake.lake.open import Lake
from loglake.lake.unreadable import UNREADABLE_PREFIX
from loglake.transform.etl import EtlResult
from loglake.transform.leased_etl import EtlFailure, attempt_objects
from loglake.transform.settings import EtlSettings


@dataclass
class QueueOutcome:
    """What one batch of messages did: every object is in results, unreadable or failed_objects."""

    results: list[EtlResult] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    """Raw objects set aside in state/unreadable/ (their messages are not retried)."""
    failed_objects: dict[str, str] = field(default_factory=dict)
    """raw key -> the first line of its error."""
    failed_messages: dict[str, str] = field(default_factory=dict)
    """message id -> why it is retried (an object's error, or a body that is no S3 notification)."""
    test_events: int = 0
    """Messages holding the s3:TestEvent S3 sends when the notification is configured."""
    other_events: int = 0
    """Messages of S3 events that create no object (the queue gets ObjectCreated only: none expected)."""

    def summary(self) -> str:
        """What the run record says of a batch that did not do everything ("" when it did)."""
        retried = list(self.failed_messages.values())
        parts = []
        if retried:
            parts.append(f"{_count(len(retried), 'message')} retried, the first: {retried[0]}")
        if self.unreadable:
            parts.append(f"{_count(len(self.unreadable), 'raw object')} set aside as unreadable: {self.unreadable[0]}")
        return "; ".join(parts)

    def batch_item_failures(self) -> dict[str, Any]:
        """The answer Lambda reads with ReportBatchItemFailures."""
        return {"batchItemFailures": [{"itemIdentifier": m} for m in self.failed_messages]}


def handle_sqs_event(
    event: Mapping[str, Any], lake: Lake, settings: EtlSettings, *, threads: int | None = None
) -> QueueOutcome:
    """Process the objects of every message of the batch in shared passes; see the module's docstring."""
    outcome = QueueOutcome()
    messages_of: dict[str, list[str]] = {}  # raw key -> the messages that name it (a duplicate names it twice)
    for message in queued_s3_events(event):
        if message.error is not None:
            outcome.failed_messages[message.message_id] = message.error
            continue
        if message.test_event:
            outcome.test_events += 1
        elif not message.records:
            outcome.other_events += 1
        for record in message.records:
            try:
                key = lake.lake_key(record.bucket, record.key)
            except LoglakeError as exc:  # another bucket or outside the lake: seen in the dead-letter queue
                outcome.failed_messages.setdefault(message.message_id, first_line(exc))
                continue
            messages_of.setdefault(key, []).append(message.message_id)
    keys = list(messages_of)
    records = set(lake.store.list(UNREADABLE_PREFIX)) if keys else set()
    outcomes = attempt_objects(
        lake.store, keys, settings, unreadable_records=records, threads=threads, expected=(Exception,)
    )
    for key in keys:
        match outcomes[key]:
            case EtlResult() as result:
                outcome.results.append(result)
            case EtlFailure(set_aside=True, error=error):
                outcome.unreadable.append(key)
                print(f"loglake: raw object {key} is set aside as unreadable: {first_line(error)}", file=sys.stderr)
            case EtlFailure(reason=reason):  # retried with its message; after the last receive, dead-lettered
                outcome.failed_objects[key] = reason
            case None:
                outcome.failed_objects[key] = f"another run holds its lease (etl/{key}); retried once it is done"
    for key, reason in outcome.failed_objects.items():
        for message_id in messages_of[key]:
            outcome.failed_messages.setdefault(message_id, f"{key}: {reason}")
    for message_id, reason in outcome.failed_messages.items():
        print(f"loglake: message {message_id} is retried: {reason}", file=sys.stderr)
    return outcome


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
