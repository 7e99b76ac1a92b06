"""The quarantine zone: events the ETL could not turn into clean rows, kept whole with the reason.

A quarantine record is the raw record (every field, message verbatim, message_b64 when present) plus:
reason (a code below), detail (for people), stage and stage_version (what rejected it) and raw_object
(the raw key it came from). It is gzip NDJSON under quarantine/dt=<date of the record's timestamp>/,
named after the raw object, so a re-run overwrites it and a fixed ETL can re-drive it.
The import stage (import-export) also writes here: one too_large record per object it refused, with
the object's s3:// URL as raw_object, since no raw object exists for it.
"""

from __future__ import annotations

from enum import StrEnum

from loglake.lake.raw_zone import RAW_COLUMNS


class Reason(StrEnum):
    INVALID_JSON = "invalid_json"
    INVALID_TIMESTAMP = "invalid_timestamp"
    FORMAT_MISMATCH = "format_mismatch"
    TOO_LARGE = "too_large"
    OTLP_NOT_SPLIT = "otlp_not_split"


REASON_DETAIL: dict[Reason, str] = {
    Reason.INVALID_JSON: "message starts with '{' but is not valid JSON (truncated or malformed)",
    Reason.INVALID_TIMESTAMP: "the record's timestamp is outside 1970-01-01..9999-12-31 (ms since epoch)",
    Reason.FORMAT_MISMATCH: "a route forces this log group's format, and the message does not match it",
    Reason.OTLP_NOT_SPLIT: (
        "an OTLP JSON document with several log records (or none, or one not at "
        "resourceLogs[0].scopeLogs[0].logRecords[0]) reached the ETL whole; `loglake ingest` "
        "splits a document into one event per record: ingest the exporter's file with it"
    ),
    Reason.TOO_LARGE: (
        "an imported object (or one of its events) is over loglake's size cap; it was not read past the cap "
        "(stage import: one record names the object, raw_object is its s3:// URL, message is empty)"
    ),
}

QUARANTINE_COLUMNS: dict[str, str] = {
    **RAW_COLUMNS,
    "reason": "VARCHAR",
    "detail": "VARCHAR",
    "stage": "VARCHAR",
    "stage_version": "VARCHAR",
    "raw_object": "VARCHAR",
}
