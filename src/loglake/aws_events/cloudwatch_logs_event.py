"""CloudWatch Logs subscription payloads, whichever transport brought them.

The payload is the same everywhere: base64 of gzip of JSON {messageType, logGroup, logStream,
logEvents[{id, timestamp, message}]}. A Lambda subscription wraps it in {"awslogs": {"data": ...}};
a Kinesis Data Firehose transformation delivers one per record in {"records": [{"recordId", "data"}]}
(handlers/firehose.py decodes each record on its own, to answer it on its own).

The gzip is inflated under MAX_PAYLOAD_BYTES: a real payload is one PutLogEvents batch (at most 1 MiB of
messages, a few MB as JSON), so a bigger one is a gzip bomb or not CloudWatch's, and is refused
(EventError) after the cap instead of being loaded.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from loglake.bounded_gzip import SizeLimitExceeded, gunzip
from loglake.errors import EventError

CONTROL_MESSAGE = "CONTROL_MESSAGE"
MAX_PAYLOAD_BYTES = 32 << 20
"""Decompressed bytes of one payload: ~5x the largest CloudWatch can send (1 MiB of messages, JSON-escaped)."""


@dataclass(frozen=True)
class LogEvent:
    id: str
    timestamp: int
    message: str


@dataclass(frozen=True)
class LogsPayload:
    message_type: str
    log_group: str
    log_stream: str
    events: tuple[LogEvent, ...]

    @property
    def is_control(self) -> bool:
        """CloudWatch's health checks of the destination: no log data, skipped."""
        return self.message_type == CONTROL_MESSAGE


def decode_payload(data: str) -> LogsPayload:
    try:
        doc = orjson.loads(gunzip(base64.b64decode(data, validate=True), MAX_PAYLOAD_BYTES))
        events = tuple(LogEvent(str(e["id"]), int(e["timestamp"]), str(e["message"])) for e in doc.get("logEvents", []))
        return LogsPayload(str(doc["messageType"]), str(doc.get("logGroup", "")), str(doc.get("logStream", "")), events)
    except SizeLimitExceeded as exc:
        raise EventError(f"CloudWatch Logs payload refused: its {exc}; CloudWatch sends a few MB at most") from None
    except (binascii.Error, OSError, EOFError, zlib.error, orjson.JSONDecodeError) as exc:
        raise EventError(f"not a CloudWatch Logs payload (base64 of gzip JSON): {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise EventError(f"CloudWatch Logs payload lacks or mistypes {exc}") from None


def subscription_payload(event: Mapping[str, Any]) -> LogsPayload:
    try:
        data = event["awslogs"]["data"]
    except (KeyError, TypeError):
        raise EventError("not a CloudWatch Logs subscription event: no awslogs.data") from None
    return decode_payload(str(data))
