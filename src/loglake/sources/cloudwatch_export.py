"""Backfill from a CloudWatch Logs export (CreateExportTask) already in S3.

An export task writes `<prefix>/<task id>/<log stream>/<n>.gz` objects of text lines
`<ISO 8601 UTC timestamp> <message>`. Exports carry no event ids, so an event's id is derived from
the export object's key and the event's byte offset in it: re-importing the same export rewrites the
same raw keys. Exports and the pull collector give different ids to the same event, so import an
export only for a range the collector has not covered (the time before its first run).

A line that does not start with a timestamp continues the event before it (multi-line messages).
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loglake.errors import ConfigError, ExportError
from loglake.lake.keys import RawKey
from loglake.lake.raw_zone import RawRecord, write_batch
from loglake.lake.store import Store

SOURCE = "export"
_LINE = re.compile(rb"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) ")


@dataclass
class ExportReport:
    objects_read: int = 0
    events: int = 0
    written: list[str] = field(default_factory=list)


def parse_export_object(data: bytes, object_key: str, log_group: str, log_stream: str) -> list[RawRecord]:
    try:
        text = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise ExportError(f"{object_key} is not a gzip export object: {exc}") from None
    base = hashlib.sha256(object_key.encode()).hexdigest()[:16]
    records: list[RawRecord] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        match = _LINE.match(line)
        body = line.rstrip(b"\r\n")
        if match is None and records:
            records[-1]["message"] += "\n" + body.decode("utf-8", errors="replace")
        elif match is None:
            raise ExportError(f"{object_key}: the first line does not start with a timestamp; not an export object")
        else:
            moment = datetime.fromisoformat(match[1].decode().replace("Z", "+00:00"))
            records.append(
                {
                    "log_group": log_group,
                    "log_stream": log_stream,
                    "event_id": f"{base}-{offset:012d}",
                    "timestamp": int(moment.timestamp() * 1000),
                    "ingestion_time": None,
                    "message": body[match.end() :].decode("utf-8", errors="replace"),
                    "source": SOURCE,
                }
            )
        offset += len(line)
    return records


Parse = Callable[[bytes, str, str, str], list[RawRecord]]
"""(object bytes, object key, log group, log stream) -> raw records."""


def import_export(
    store: Store,
    s3_url: str,
    log_group: str,
    client: Any = None,
    progress: Callable[[ExportReport], None] | None = None,
    kind: str = "export",
) -> ExportReport:
    """Import every `.gz` object under `s3://bucket/prefix/` as raw batches (one per object).

    `kind` is `export` (a CloudWatch Logs export) or `cloudtrail` (CloudTrail log files)."""
    from loglake.sources.cloudtrail_files import SOURCE as CLOUDTRAIL
    from loglake.sources.cloudtrail_files import parse_cloudtrail_file

    formats: dict[str, tuple[str, Parse]] = {
        "export": (SOURCE, parse_export_object),
        "cloudtrail": (CLOUDTRAIL, parse_cloudtrail_file),
    }
    if kind not in formats:
        raise ConfigError(f"unknown import kind {kind!r}: export or cloudtrail")
    source, parse = formats[kind]
    if not s3_url.startswith("s3://"):
        raise ConfigError(f"an export location is s3://bucket/prefix, not {s3_url!r}")
    bucket, _, prefix = s3_url[len("s3://") :].partition("/")
    from botocore.exceptions import BotoCoreError, ClientError

    from loglake.lake.s3_store import s3_client

    client = client or s3_client()
    report = ExportReport()
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                if not key.endswith(".gz"):
                    continue
                parts = key.split("/")
                stream = parts[-2] if len(parts) >= 2 else "export"
                data = client.get_object(Bucket=bucket, Key=key)["Body"].read()
                records = parse(data, key, log_group, stream)
                report.objects_read += 1
                if records:
                    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
                    raw_key = RawKey(source, log_group, stream, f"{records[0]['timestamp']:013d}-{digest}")
                    report.written.append(write_batch(store, raw_key, records))
                    report.events += len(records)
                if progress is not None:
                    progress(report)
    except (ClientError, BotoCoreError) as exc:
        raise ExportError(f"cannot read the export at {s3_url}: {exc}") from None
    if report.objects_read == 0:
        raise ExportError(f"no {kind} objects (*.gz) under {s3_url}")
    return report
