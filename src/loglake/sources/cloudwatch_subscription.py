"""Push delivery: a CloudWatch Logs subscription payload becomes one raw batch.

The raw key is derived from the payload itself (first timestamp and a hash of its event ids), so a
retried invocation rewrites the same object and never duplicates events. Event ids are CloudWatch's.
"""

from __future__ import annotations

import hashlib
import time

from loglake.aws_events.cloudwatch_logs_event import LogsPayload
from loglake.lake.keys import RawKey
from loglake.lake.raw_zone import RawRecord, write_batch
from loglake.lake.store import Store


def write_payload(store: Store, payload: LogsPayload, source: str = "subscription") -> str | None:
    """Write the payload's events to the raw zone; None for control messages and empty payloads."""
    if payload.is_control or not payload.events:
        return None
    received_ms = int(time.time() * 1000)
    records: list[RawRecord] = [
        {
            "log_group": payload.log_group,
            "log_stream": payload.log_stream,
            "event_id": event.id,
            "timestamp": event.timestamp,
            "ingestion_time": received_ms,
            "message": event.message,
            "source": source,
        }
        for event in payload.events
    ]
    digest = hashlib.sha256("\n".join(event.id for event in payload.events).encode()).hexdigest()[:20]
    first = min(event.timestamp for event in payload.events)
    key = RawKey(source, payload.log_group, payload.log_stream, f"{max(first, 0):013d}-{digest}")
    return write_batch(store, key, records)
