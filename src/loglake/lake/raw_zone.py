"""The raw zone: gzip NDJSON batches of raw records, exactly as the sources saw them.

A raw record is the contract between every source and the ETL (see docs/lake-layout.md):
log_group, log_stream, event_id, timestamp (ms), ingestion_time (ms or null), message, source,
and, only when the source bytes were not valid UTF-8, message_b64 holding the exact bytes.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypedDict

import orjson

from loglake.lake.keys import RAW_PREFIX, RawKey
from loglake.lake.store import Store, glob_escape
from loglake.sql_quoting import sql_string, sql_struct

RAW_COLUMNS: dict[str, str] = {
    "log_group": "VARCHAR",
    "log_stream": "VARCHAR",
    "event_id": "VARCHAR",
    "timestamp": "BIGINT",
    "ingestion_time": "BIGINT",
    "message": "VARCHAR",
    "source": "VARCHAR",
    "message_b64": "VARCHAR",
}
"""Every raw-record field and its SQL type; all but message_b64 are always present."""
MAX_RAW_LINE_BYTES = 512 << 20
"""Readers refuse (never truncate) a raw object with a longer record line."""
FIRST_READ_LINE_BYTES = 16 << 20
"""The ETL reads a raw object with this `maximum_object_size` first (DuckDB's default; its buffer then holds a
line of up to about 32 MiB), and again with MAX_RAW_LINE_BYTES only if a line is longer. DuckDB's read_json
reserves a buffer of twice the size per reading thread against its memory limit: with MAX_RAW_LINE_BYTES, 1 GiB
each, which a 400 MB limit refuses (a 512 MB Lambda's), or 1.4 GB on two threads; and a reservation that large
makes DuckDB return its allocators' cached memory to the system (allocator_bulk_deallocation_flush_threshold,
512 MiB), which every later statement of the object then faults back in (benchmarks/README.md, "what every
format pays per object"). The batched ETL's passes read with it only (an object with a longer line runs alone),
and the raw_events view and verify's probe retry as the ETL does (read_raw)."""
# Level 6 is gzip's default; level 1 makes objects ~25% larger for ~2x faster ingest. Raw is kept long,
# so size wins.
_GZIP_LEVEL = 6


class RawRecord(TypedDict, total=False):
    log_group: str
    log_stream: str
    event_id: str
    timestamp: int
    ingestion_time: int | None
    message: str
    source: str
    message_b64: str


def encode_batch(records: Sequence[RawRecord]) -> bytes:
    """Deterministic bytes for a batch: same records, same object (mtime is fixed so gzip is stable)."""
    body = b"".join(orjson.dumps(record) + b"\n" for record in records)
    return gzip.compress(body, compresslevel=_GZIP_LEVEL, mtime=0)


def decode_batch(data: bytes) -> list[RawRecord]:
    """For tests and tools; the ETL reads raw objects with DuckDB instead."""
    return [orjson.loads(line) for line in gzip.decompress(data).splitlines() if line]


def write_batch(store: Store, key: RawKey, records: Sequence[RawRecord]) -> str:
    store.put(key.key, encode_batch(records))
    return key.key


def list_raw_objects(store: Store, prefix: str = RAW_PREFIX) -> Iterator[str]:
    for key in store.list(prefix):
        if key.endswith(".json.gz"):
            yield key


def raw_reader(raw_paths: list[Path], *, filename: bool = False, max_line_bytes: int = MAX_RAW_LINE_BYTES) -> str:
    """The table expression that reads raw objects (gzip NDJSON), with each row's file when `filename`; a line
    longer than `max_line_bytes` fails the read (read_raw tries a small size first, then MAX_RAW_LINE_BYTES)."""
    paths = ", ".join(sql_string(glob_escape(str(path))) for path in raw_paths)
    return (
        f"read_json([{paths}], format = 'newline_delimited', columns = {sql_struct(RAW_COLUMNS)}, "
        # Raw keys look like Hive partitions (log_group=...): the values must come from the records.
        f"compression = 'gzip', maximum_object_size = {max_line_bytes}, hive_partitioning = false"
        f"{', filename = true' if filename else ''})"
    )


def read_raw(con: Any, statement: Callable[[int], str]) -> None:
    """Run `statement(max_line_bytes)`, a statement that reads raw objects with raw_reader: first with
    FIRST_READ_LINE_BYTES, and again with MAX_RAW_LINE_BYTES only when a line is longer (DuckDB then refuses the
    read, naming the option). The rows are the same either way; the small size spares every ordinary object the
    large one's 1 GiB reservations (FIRST_READ_LINE_BYTES)."""
    import duckdb  # lazily: the collector writes raw objects without DuckDB

    try:
        con.execute(statement(FIRST_READ_LINE_BYTES))
    except duckdb.InvalidInputException as exc:
        if '"maximum_object_size"' not in str(exc):
            raise
        con.execute(statement(MAX_RAW_LINE_BYTES))
