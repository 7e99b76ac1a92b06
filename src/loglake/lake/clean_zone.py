"""The clean zone: typed rows, one table per kind of log, partitioned by the event's hour.

Layout (keys are built by lake/keys.py `clean_key`; this module is where the layout is explained):

    clean/<table>/dt=YYYY-MM-DD/hour=HH/<object id><suffix>

- `<table>` is DEFAULT_TABLE (`logs`) for generic logs, AWS's table name for AWS formats, or a route's.
- `dt` and `hour` come from the row's `timestamp` (UTC); they are Hive partitions, in the key and not in
  the file, read back with the types in PARTITIONS (a date and an integer).
- `<object id>` is the raw object's (keys.RawKey.object_id), so a re-run overwrites its own files.
- `<suffix>` is the output format's (lake/formats: `.parquet`, `.json.gz`); one table may hold both.

Every row has the ENVELOPE columns (OPTIONAL_ENVELOPE only in batches that had invalid UTF-8), then
the columns the schema registry gives the table. RESERVED_NAMES can never be a parsed field's column.
This module imports neither the ETL nor a parser, so readers (views, DDL) stay light.
"""

from __future__ import annotations

import re

from loglake.lake.keys import CLEAN_PREFIX, table_name
from loglake.lake.schema_registry import EXTRA_NAME

DEFAULT_TABLE = "logs"
"""The table of generic logs (JSON, logfmt, text), and the one a new lake's queries can always read."""

ENVELOPE: dict[str, str] = {
    "timestamp": "TIMESTAMP",
    "time_source": "VARCHAR",
    "level": "VARCHAR",
    "message": "VARCHAR",
    "log_group": "VARCHAR",
    "log_stream": "VARCHAR",
    "event_id": "VARCHAR",
    "ingestion_time": "TIMESTAMP",
    "source": "VARCHAR",
    "format": "VARCHAR",
    "raw_object": "VARCHAR",
}
"""Columns of every clean row, in this order, with their DuckDB types."""
OPTIONAL_ENVELOPE: dict[str, str] = {"message_b64": "VARCHAR"}
"""Present only in files whose raw batch held undecodable bytes (the raw record's message_b64)."""

PARTITIONS: dict[str, str] = {"dt": "DATE", "hour": "INTEGER"}
"""The Hive partitions of a clean key, in key order, with the types readers give them."""
ATHENA_PARTITIONS: dict[str, str] = {"dt": "date", "hour": "int"}
"""The same partitions as Athena and Glue declare them."""
HIVE_OPTIONS = (
    "hive_partitioning = true, hive_types = {" + ", ".join(f"'{k}': {v}" for k, v in PARTITIONS.items()) + "}"
)
"""DuckDB reader options that turn dt=/hour= folders into typed columns (a date, not a string)."""

RESERVED_NAMES = frozenset(ENVELOPE) | frozenset(OPTIONAL_ENVELOPE) | frozenset(PARTITIONS) | {EXTRA_NAME}
"""Names no parsed field may take: the envelope, the partitions, and the over-the-cap `extra` column."""

FILES_PATTERN = "*/*/*"
"""Below a table's prefix, every file of every partition (add a format's suffix)."""


def table_prefix(table: str) -> str:
    """The prefix of every file of one clean table."""
    return f"{CLEAN_PREFIX}{table_name(table)}/"


_PARTITION = re.compile(r"/dt=(\d{4}-\d{2}-\d{2})/hour=(\d{2})/[^/]+$")


def partition_of(key: str) -> tuple[str, int] | None:
    """The (dt, hour) of a clean file's key, None for any other key."""
    match = _PARTITION.search(key)
    return (match.group(1), int(match.group(2))) if match else None
