"""CloudTrail log files as CloudTrail writes them to S3 (`AWSLogs/<account>/CloudTrail/<region>/...json.gz`):
one gzip JSON document `{"Records": [...]}` per file, split here into one raw event per record, so
each record becomes one row of `cloudtrail_logs` (the ETL reads each event as one CloudTrail record).

An event's id is the record's `eventID` (CloudTrail's own unique id), or the file key's hash and the
record's position when a record has none; its time is `eventTime`. Re-importing a file rewrites the
same raw key with the same ids. A file is parsed whole (it is one JSON document), so it is decompressed
under ImportLimits' caps: a gzip bomb is refused after the cap, not loaded.
"""

from __future__ import annotations

import hashlib
import zlib
from datetime import datetime
from typing import BinaryIO

import orjson

from loglake.bounded_gzip import read_capped
from loglake.errors import ExportError
from loglake.lake.raw_zone import RawRecord
from loglake.sources.cloudwatch_export import EventTooLarge, ImportLimits

SOURCE = "cloudtrail_s3"


def parse_cloudtrail_file(
    data: bytes | BinaryIO, object_key: str, log_group: str, log_stream: str, limits: ImportLimits | None = None
) -> list[RawRecord]:
    """One raw record per CloudTrail record; SizeLimitExceeded when the file or a record is over `limits`."""
    limits = limits or ImportLimits()
    try:
        document = orjson.loads(read_capped(data, limits.object_bytes))
    except (OSError, EOFError, zlib.error, orjson.JSONDecodeError) as exc:
        raise ExportError(f"{object_key} is not a CloudTrail log file (gzip JSON): {exc}") from None
    records = document.get("Records") if isinstance(document, dict) else None
    if not isinstance(records, list):
        raise ExportError(f"{object_key} has no Records list: not a CloudTrail log file")
    base = hashlib.sha256(object_key.encode()).hexdigest()[:16]
    out: list[RawRecord] = []
    for index, record in enumerate(records):
        when = record.get("eventTime") if isinstance(record, dict) else None
        try:
            moment = int(datetime.fromisoformat(str(when).replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            moment = -1  # out of range on purpose: the ETL quarantines it as invalid_timestamp, nothing is dropped
        event_id = record.get("eventID") if isinstance(record, dict) else None
        message = orjson.dumps(record)
        if len(message) > limits.event_bytes:
            raise EventTooLarge(limits.event_bytes, f"record {index}")
        out.append(
            {
                "log_group": log_group,
                "log_stream": log_stream,
                "event_id": str(event_id) if event_id else f"{base}-{index:06d}",
                "timestamp": moment,
                "ingestion_time": None,
                "message": message.decode(),
                "source": SOURCE,
            }
        )
    return out
