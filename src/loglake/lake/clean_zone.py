"""The clean zone: typed rows, one table per kind of log, partitioned by the event's hour.

Layout (keys are built by lake/keys.py `clean_key`; this module is where the layout is explained):

    clean/<table>/dt=YYYY-MM-DD/hour=HH/<object id><suffix>

- `<table>` is DEFAULT_TABLE (`logs`) for generic logs, AWS's table name for AWS formats, or a route's.
- `dt` and `hour` come from the row's `timestamp` (UTC); they are Hive partitions, in the key and not in
  the file, read back with the types in PARTITIONS (a date and an integer).
- `<object id>` is the raw object's (keys.RawKey.object_id), so a re-run overwrites its own files.
- `<suffix>` is the output format's (lake/formats: `.parquet`, `.json.gz`); one table may hold both.

Every row has the ENVELOPE columns (OPTIONAL_ENVELOPE only in batches that had invalid UTF-8), then
the columns the schema registry gives the table. `timestamp` is the event time: a TIMESTAMP, except in
the tables of TIMESTAMP_TYPES, which keep the type of AWS's documented table (`envelope(table)`); every
reader of the event time asks the functions below rather than naming a table. RESERVED_NAMES can never
be a parsed field's column.
This module imports neither the ETL nor a parser, so readers (views, DDL) stay light.
"""

from __future__ import annotations

import re

from loglake.errors import StaleTableError
from loglake.lake.keys import CLEAN_PREFIX, table_name
from loglake.lake.schema_registry import EXTRA_NAME, TableSchema

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
EPOCH_MS = "BIGINT"
"""Milliseconds since the epoch (UTC), as AWS's `waf_logs` declares WAF's `timestamp`."""
TIMESTAMP_TYPES: dict[str, str] = {"waf_logs": EPOCH_MS}
"""The tables whose `timestamp` has AWS's type, not the envelope's TIMESTAMP: AWS's queries over them
compute with it (`from_unixtime(timestamp/1000)`). It holds the same instant; dt and hour come from it."""
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


_PARTITION = re.compile(r"/dt=(\d{4}-\d{2}-\d{2})/hour=(\d{1,2})/[^/]+$")


def partition_of(key: str) -> tuple[str, int] | None:
    """The (dt, hour) of a clean file's key, None for any other key. The one parser of partition keys:
    loglake writes `hour=05`, but Iceberg names its own files `<table>/data/dt=D/hour=5/...` (Athena's
    OPTIMIZE, pyiceberg's rewrites), and a reader that misses those drops their rows without a word."""
    match = _PARTITION.search(key)
    if match is None or int(match.group(2)) > 23:
        return None
    return match.group(1), int(match.group(2))


def envelope(table: str) -> dict[str, str]:
    """The envelope columns of `table`, in ENVELOPE's order, with its `timestamp` type."""
    return dict(ENVELOPE, timestamp=timestamp_type(table))


def timestamp_type(table: str) -> str:
    return TIMESTAMP_TYPES.get(table, ENVELOPE["timestamp"])


def timestamp_is_epoch_ms(table: str) -> bool:
    """Whether `table`'s `timestamp` is epoch milliseconds (BIGINT) rather than a TIMESTAMP."""
    return timestamp_type(table) == EPOCH_MS


def stored_timestamp_sql(table: str, event_time: str) -> str:
    """DuckDB SQL: the value `table` stores in `timestamp` for the event time `event_time` (a TIMESTAMP)."""
    return f"epoch_ms({event_time})" if timestamp_is_epoch_ms(table) else event_time


def event_time_sql(table: str, *, dialect: str = "duckdb", column: str = '"timestamp"') -> str:
    """SQL (DuckDB's or Athena's): `table`'s event time as a TIMESTAMP, whatever its `timestamp` holds."""
    if not timestamp_is_epoch_ms(table):
        return column
    if dialect == "duckdb":
        return f"epoch_ms({column})"
    return f"CAST(from_unixtime(CAST({column} AS double) / 1000) AT TIME ZONE 'UTC' AS timestamp)"


def epoch_seconds_sql(table: str, *, dialect: str = "duckdb", column: str = '"timestamp"') -> str:
    """SQL: `table`'s event time in seconds since the epoch (a DOUBLE), in either dialect."""
    if timestamp_is_epoch_ms(table):
        return f"(CAST({column} AS double) / 1000)"  # a double in both dialects (Athena's bigint / is integer)
    return f"epoch({column})" if dialect == "duckdb" else f"to_unixtime({column})"


def timestamp_sql_of_any_version(table: str, column: str = '"timestamp"') -> str | None:
    """DuckDB SQL: `table`'s epoch-ms `timestamp` from a file of this version (digits) or of an earlier one (a
    TIMESTAMP), read as VARCHAR; None for a TIMESTAMP table (no earlier type). What compaction reads with, so a
    forced re-run can rewrite a compacted file of the earlier version, and exactly: both texts are exact."""
    if not timestamp_is_epoch_ms(table):
        return None
    text = f"CAST({column} AS VARCHAR)"
    return f"coalesce(TRY_CAST({text} AS BIGINT), epoch_ms(CAST({text} AS TIMESTAMP)))"


REWRITE_STALE = "--rewrite-stale"
"""The `loglake compact` option that rewrites a stale table's files, then retypes its registry."""


def rewrite_command(table: str) -> str:
    """The one command that repairs a stale table (lake/compaction.py rewrite_stale)."""
    return f"loglake compact --table {table} {REWRITE_STALE}"


def is_stale(schema: TableSchema | None) -> bool:
    """Whether the registry holds another `timestamp` type than the contract's (an earlier loglake wrote it)."""
    if schema is None:
        return False
    column = schema.column("timestamp")
    return column is not None and column.type != timestamp_type(schema.table)


def check_timestamp(schema: TableSchema | None) -> None:
    """Refuse a table whose registry holds another `timestamp` type than the contract's: its files were
    written by an earlier loglake (`waf_logs` had the envelope's TIMESTAMP), and reading them as the
    contract's type would fail or mean another instant. Only `rewrite_command` retypes the registry, once
    every live file of the table is rewritten; until then the table is refused, whatever its files hold."""
    if schema is not None and is_stale(schema):
        column = schema.column("timestamp")
        assert column is not None
        raise StaleTableError(stale_message(schema.table, column.type, timestamp_type(schema.table)))


def stale_message(table: str, found: str, wanted: str) -> str:
    unit = " (epoch milliseconds, as in AWS's table)" if wanted == EPOCH_MS else ""
    return (
        f"clean table {table} was written by an earlier loglake: its `timestamp` is {found}, and is now "
        f"{wanted}{unit}; rewrite its files with `{rewrite_command(table)}` (every hour of the table, exactly)"
    )
