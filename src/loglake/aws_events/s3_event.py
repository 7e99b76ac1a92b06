"""S3 event notifications (ObjectCreated), as delivered to Lambda.

Keys arrive URL-encoded ('+' for space, %XX otherwise); they are decoded here, and only here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from loglake.errors import EventError


@dataclass(frozen=True)
class S3EventRecord:
    event_name: str
    bucket: str
    key: str
    size: int | None
    sequencer: str | None

    @property
    def is_object_created(self) -> bool:
        return self.event_name.startswith("ObjectCreated:")


def s3_records(event: Mapping[str, Any]) -> Iterator[S3EventRecord]:
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise EventError("not an S3 event notification: no 'Records' list")
    for index, record in enumerate(records):
        try:
            if record.get("eventSource") != "aws:s3":
                raise EventError(f"record {index} is from {record.get('eventSource')!r}, not aws:s3")
            s3 = record["s3"]
            obj = s3["object"]
            yield S3EventRecord(
                event_name=str(record["eventName"]),
                bucket=str(s3["bucket"]["name"]),
                key=unquote_plus(str(obj["key"])),
                size=obj.get("size"),
                sequencer=obj.get("sequencer"),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise EventError(f"S3 event record {index} lacks {exc}") from None


def object_created_event(bucket: str, key: str, size: int | None = None) -> dict[str, Any]:
    """The notification S3 would send for a new object: how the local pipeline drives the ETL handler."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "local",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": quote_plus(key, safe="/"), "size": size},
                },
            }
        ]
    }
