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
import os
import re
import shlex
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

import orjson

from loglake import __version__
from loglake.bounded_gzip import CHUNK, SizeLimitExceeded, open_gzip
from loglake.errors import ConfigError, ExportError
from loglake.lake.keys import RawKey, quarantine_key
from loglake.lake.quarantine import Reason
from loglake.lake.raw_zone import MAX_RAW_LINE_BYTES, RawRecord
from loglake.lake.store import Store

SOURCE = "export"
_LINE = re.compile(rb"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) ")
_LINE_SLACK = 256
"""Room for a line's timestamp and line end on top of the per-event cap."""

OBJECT_CAP_ENV = "LOGLAKE_IMPORT_MAX_OBJECT_MIB"
EVENT_CAP_ENV = "LOGLAKE_IMPORT_MAX_EVENT_MIB"
STAGE = "import"


class EventTooLarge(SizeLimitExceeded):
    """One event (or CloudTrail record) is over ImportLimits.event_bytes."""


@dataclass(frozen=True)
class ImportLimits:
    """Caps that keep one object's import in bounded memory; an object over either is quarantined whole.

    CloudWatch itself caps an event at 1 MB, so a real export never comes near them. The event cap keeps
    a raw record line, JSON-escaped (up to 6x), under what the ETL reads (MAX_RAW_LINE_BYTES)."""

    object_bytes: int = 256 << 20
    """Decompressed bytes of one export object or CloudTrail file."""
    event_bytes: int = MAX_RAW_LINE_BYTES // 8
    """One event's message (a line and its continuation lines), or one CloudTrail record."""

    @classmethod
    def from_environment(cls) -> ImportLimits:
        """The defaults, or LOGLAKE_IMPORT_MAX_OBJECT_MIB / LOGLAKE_IMPORT_MAX_EVENT_MIB (whole MiB)."""
        caps: dict[str, int] = {}
        for name, attribute in ((OBJECT_CAP_ENV, "object_bytes"), (EVENT_CAP_ENV, "event_bytes")):
            value = os.environ.get(name, "").strip()
            if not value:
                continue
            if not value.isdigit() or int(value) == 0:
                raise ConfigError(f"{name}={value!r}: give a whole number of MiB, such as 512")
            caps[attribute] = int(value) << 20
        return cls(**caps)


@dataclass
class RefusedObject:
    """An object over an ImportLimits cap: not imported; one quarantine record names it."""

    object_url: str
    reason: str
    detail: str
    fix: str
    """The command that imports it if it is genuine (a larger cap)."""
    quarantine_key: str


@dataclass
class ExportReport:
    objects_read: int = 0
    events: int = 0
    written: list[str] = field(default_factory=list)
    refused: list[RefusedObject] = field(default_factory=list)
    """Objects quarantined instead of imported: the command must exit non-zero naming them."""

    def refusal_message(self) -> str | None:
        """One line for stderr naming the refused objects and how to import them, or None when none was."""
        if not self.refused:
            return None
        names = ", ".join(r.object_url for r in self.refused[:5])
        more = f" and {len(self.refused) - 5} more" if len(self.refused) > 5 else ""
        fixes = " or ".join(dict.fromkeys(f"`{r.fix}`" for r in self.refused))
        count = f"{len(self.refused)} object{'s' if len(self.refused) > 1 else ''}"
        return (
            f"{count} not imported, over a size cap (quarantined with reason {Reason.TOO_LARGE}): {names}{more}; "
            f"if genuine, raise the cap and re-run: {fixes}"
        )


def parse_export_object(
    data: bytes | BinaryIO, object_key: str, log_group: str, log_stream: str, limits: ImportLimits | None = None
) -> list[RawRecord]:
    """Raw records of one export object (see iter_export_events)."""
    return list(iter_export_events(data, object_key, log_group, log_stream, limits))


def iter_export_events(
    data: bytes | BinaryIO, object_key: str, log_group: str, log_stream: str, limits: ImportLimits | None = None
) -> Iterator[RawRecord]:
    """Raw records of one export object, each yielded once complete, read as a stream (`data` may be an S3 body).

    Raises SizeLimitExceeded when the object or one event is over `limits`, having held no more than that."""
    limits = limits or ImportLimits()
    base = hashlib.sha256(object_key.encode()).hexdigest()[:16]
    record: RawRecord | None = None
    parts: list[bytes] = []  # the event's message lines, joined once: `+=` on a growing str is quadratic
    size = 0
    offset = 0
    match_line = _LINE.match
    try:
        with open_gzip(data) as reader:
            for line in _lines(reader, limits):
                start, offset = offset, offset + len(line) + 1
                match = match_line(line)
                body = line.rstrip(b"\r\n")
                if match is None:
                    if record is None:
                        raise ExportError(
                            f"{object_key}: the first line does not start with a timestamp; not an export object"
                        )
                    parts.append(body)
                    size += 1 + len(body)
                else:
                    if record is not None:
                        yield _finish(record, parts)
                    record = {
                        "log_group": log_group,
                        "log_stream": log_stream,
                        "event_id": f"{base}-{start:012d}",
                        "timestamp": _timestamp_ms(match[1]),
                        "ingestion_time": None,
                        "message": "",
                        "source": SOURCE,
                    }
                    parts = [body[match.end() :]]
                    size = len(parts[0])
                if size > limits.event_bytes:
                    raise EventTooLarge(limits.event_bytes, "one event")
    except (OSError, EOFError, zlib.error) as exc:
        raise ExportError(f"{object_key} is not a gzip export object: {exc}") from None
    if record is not None:
        yield _finish(record, parts)


def _lines(reader: gzip.GzipFile, limits: ImportLimits) -> Iterator[bytes]:
    """The lines of the decompressed stream without their '\\n', split a block at a time (C speed, not a
    readline per line); SizeLimitExceeded past the object cap, EventTooLarge for a line past the event cap."""
    total = 0
    carried: list[bytes] = []  # a line that spans blocks, in pieces (joined once)
    carried_size = 0
    while block := reader.read(min(CHUNK, limits.object_bytes + 1 - total)):
        total += len(block)
        if total > limits.object_bytes:
            raise SizeLimitExceeded(limits.object_bytes)
        lines = block.split(b"\n")
        last = lines.pop()
        if lines:
            if carried_size:
                lines[0] = b"".join([*carried, lines[0]])
            carried, carried_size = [], 0
        yield from lines
        carried.append(last)
        carried_size += len(last)
        if carried_size > limits.event_bytes + _LINE_SLACK:
            raise EventTooLarge(limits.event_bytes, "one event")
    if carried_size:
        yield b"".join(carried)


def _timestamp_ms(stamp: bytes) -> int:
    """-1 for a stamp shaped like a time that is not one (month 13): out of range on purpose, so the ETL
    quarantines the event as invalid_timestamp instead of the import stopping at it."""
    try:
        return int(datetime.fromisoformat(stamp.decode().replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return -1


def _finish(record: RawRecord, parts: list[bytes]) -> RawRecord:
    record["message"] = b"\n".join(parts).decode("utf-8", errors="replace")
    return record


class _RawBatch:
    """encode_batch's exact bytes, built one record at a time, so that an object's records are never all held
    (only their compressed form is). Test: tests/sources/test_cloudwatch_export.py compares the two."""

    _LEVEL = 6  # raw_zone's gzip level
    _HEADER = gzip.compress(b"", compresslevel=_LEVEL, mtime=0)[:10]
    _FLUSH_AT = 1 << 20

    def __init__(self) -> None:
        self._deflate = zlib.compressobj(self._LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        self._parts = [self._HEADER]
        self._lines: list[bytes] = []
        self._pending = 0
        self._crc = 0
        self._size = 0
        self.events = 0
        self.first_timestamp = 0

    def add(self, record: RawRecord) -> None:
        if self.events == 0:
            self.first_timestamp = record["timestamp"]
        line = orjson.dumps(record) + b"\n"
        self._lines.append(line)
        self._pending += len(line)
        self.events += 1
        if self._pending >= self._FLUSH_AT:
            self._compress()

    def _compress(self) -> None:
        block = b"".join(self._lines)
        self._crc = zlib.crc32(block, self._crc)
        self._size += len(block)
        self._parts.append(self._deflate.compress(block))
        self._lines, self._pending = [], 0

    def finish(self) -> bytes:
        self._compress()
        trailer = struct.pack("<II", self._crc, self._size & 0xFFFFFFFF)
        return b"".join([*self._parts, self._deflate.flush(), trailer])


Parse = Callable[[BinaryIO, str, str, str, ImportLimits], Iterable[RawRecord]]
"""(object body, object key, log group, log stream, limits) -> raw records; SizeLimitExceeded over a cap."""


def import_export(
    store: Store,
    s3_url: str,
    log_group: str,
    client: Any = None,
    progress: Callable[[ExportReport], None] | None = None,
    kind: str = "export",
    limits: ImportLimits | None = None,
) -> ExportReport:
    """Import every `.gz` object under `s3://bucket/prefix/` as raw batches (one per object).

    `kind` is `export` (a CloudWatch Logs export) or `cloudtrail` (CloudTrail log files). An object over
    `limits` (default: ImportLimits.from_environment()) is not loaded: it is quarantined with reason
    too_large and listed in `report.refused`, and the other objects are imported."""
    from loglake.sources.cloudtrail_files import SOURCE as CLOUDTRAIL
    from loglake.sources.cloudtrail_files import parse_cloudtrail_file

    formats: dict[str, tuple[str, Parse]] = {
        "export": (SOURCE, iter_export_events),
        "cloudtrail": (CLOUDTRAIL, parse_cloudtrail_file),
    }
    if kind not in formats:
        raise ConfigError(f"unknown import kind {kind!r}: export or cloudtrail")
    source, parse = formats[kind]
    if not s3_url.startswith("s3://"):
        raise ConfigError(f"an export location is s3://bucket/prefix, not {s3_url!r}")
    limits = limits or ImportLimits.from_environment()
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
                batch = _RawBatch()
                url = f"s3://{bucket}/{key}"
                with closing(client.get_object(Bucket=bucket, Key=key)["Body"]) as body:
                    try:
                        for record in parse(body, key, log_group, stream, limits):
                            batch.add(record)
                    except SizeLimitExceeded as exc:
                        refused = _Refusal(url, log_group, stream, source, exc)
                        report.refused.append(refused.quarantine(store, item["LastModified"], s3_url, kind))
                        batch = _RawBatch()
                    else:  # imported whole: a refusal from an earlier run (a smaller cap) no longer holds
                        store.delete(_refusal_key(url, item["LastModified"]))
                report.objects_read += 1
                if batch.events:
                    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
                    raw_key = RawKey(source, log_group, stream, f"{batch.first_timestamp:013d}-{digest}")
                    store.put(raw_key.key, batch.finish())
                    report.written.append(raw_key.key)
                    report.events += batch.events
                if progress is not None:
                    progress(report)
    except (ClientError, BotoCoreError) as exc:
        raise ExportError(f"cannot read the export at {s3_url}: {exc}") from None
    if report.objects_read == 0:
        raise ExportError(f"no {kind} objects (*.gz) under {s3_url}")
    return report


@dataclass(frozen=True)
class _Refusal:
    object_url: str
    log_group: str
    log_stream: str
    source: str
    exceeded: SizeLimitExceeded

    def quarantine(self, store: Store, last_modified: datetime, s3_url: str, kind: str) -> RefusedObject:
        """Write the one quarantine record that names the object; its name derives from the object's URL,
        so a re-run rewrites it. The message is empty: the object was not read past the cap."""
        env = EVENT_CAP_ENV if isinstance(self.exceeded, EventTooLarge) else OBJECT_CAP_ENV
        double = max(2 * (self.exceeded.limit >> 20), 1)
        fix = f"{env}={double} loglake import-export {shlex.quote(s3_url)} --log-group {shlex.quote(self.log_group)}"
        fix += f" --kind {kind}"
        detail = f"{self.object_url}: {self.exceeded}, so it was not imported; if it is genuine: {fix}"
        moment = int(last_modified.timestamp() * 1000)
        base = hashlib.sha256(self.object_url.encode()).hexdigest()
        record = {
            "log_group": self.log_group,
            "log_stream": self.log_stream,
            "event_id": f"{base[:16]}-object",
            "timestamp": moment,
            "ingestion_time": None,
            "message": "",
            "source": self.source,
            "reason": str(Reason.TOO_LARGE),
            "detail": detail,
            "stage": STAGE,
            "stage_version": f"{STAGE}/{__version__}",
            "raw_object": self.object_url,
        }
        key = _refusal_key(self.object_url, last_modified)
        store.put(key, gzip.compress(orjson.dumps(record) + b"\n", mtime=0))
        return RefusedObject(self.object_url, str(Reason.TOO_LARGE), detail, fix, key)


def _refusal_key(object_url: str, last_modified: datetime) -> str:
    """Named after the object's URL, in the partition of its LastModified day (the record's timestamp)."""
    day = last_modified.astimezone(UTC).strftime("%Y-%m-%d")
    return quarantine_key(f"dt={day}", f"import-{hashlib.sha256(object_url.encode()).hexdigest()[:24]}")
