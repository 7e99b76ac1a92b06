"""The quarantine zone: events the ETL could not turn into clean rows, kept whole with the reason.

A quarantine record is the raw record (every field, message verbatim, message_b64 when present) plus:
reason (a code below), detail (for people), stage and stage_version (what rejected it) and raw_object
(the raw key it came from). It is gzip NDJSON under quarantine/dt=<date of the record's timestamp>/,
named after the raw object, so a re-run overwrites it and a fixed ETL can re-drive it.
"""

from __future__ import annotations

from enum import StrEnum

from loglake.lake.raw_zone import RAW_COLUMNS


class Reason(StrEnum):
    INVALID_JSON = "invalid_json"
    INVALID_TIMESTAMP = "invalid_timestamp"
    FORMAT_MISMATCH = "format_mismatch"


REASON_DETAIL: dict[Reason, str] = {
    Reason.INVALID_JSON: "message starts with '{' but is not valid JSON (truncated or malformed)",
    Reason.INVALID_TIMESTAMP: "the record's timestamp is outside 1970-01-01..9999-12-31 (ms since epoch)",
    Reason.FORMAT_MISMATCH: "a route forces this log group's format, and the message does not match it",
}

QUARANTINE_COLUMNS: dict[str, str] = {
    **RAW_COLUMNS,
    "reason": "VARCHAR",
    "detail": "VARCHAR",
    "stage": "VARCHAR",
    "stage_version": "VARCHAR",
    "raw_object": "VARCHAR",
}
