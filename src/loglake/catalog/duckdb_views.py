"""DuckDB views over the lake: one per clean table, plus `quarantine` and `raw_events`.

A view selects every column the registry knows, cast to the registry's (widened) type, so files
written before a column existed or before it was widened read under the current schema. Parquet and
gzip JSON-lines files of one table are read together. A table with no files yet is an empty view with
the right columns, so `SELECT ... FROM logs` works on a new lake.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loglake.lake.clean_zone import DEFAULT_TABLE, PARTITIONS, check_timestamp, envelope
from loglake.lake.compaction import live_files
from loglake.lake.file_types import typed_reads
from loglake.lake.formats import FORMATS
from loglake.lake.formats.jsonl import GZIP
from loglake.lake.keys import QUARANTINE_PREFIX, RAW_PREFIX
from loglake.lake.quarantine import QUARANTINE_COLUMNS
from loglake.lake.raw_zone import FIRST_READ_LINE_BYTES, RAW_COLUMNS
from loglake.lake.schema_registry import SchemaRegistry, TableSchema
from loglake.lake.store import Store, glob_escape, glob_unescape
from loglake.lake.unreadable import unreadable_objects
from loglake.sql_quoting import quote_identifier, sql_string, sql_struct


def _has(store: Store, prefix: str, suffix: str) -> bool:
    return any(key.endswith(suffix) for key in store.list(prefix))


def clean_view_sql(
    con: Any, store: Store, table: str, schema: TableSchema | None, keep: Callable[[str], bool] | None = None
) -> str:
    """One SELECT per output format the table's files are in (lake/formats), UNION ALL; `keep` (a key
    filter) leaves out partitions a query cannot read (query/pruning.py), so their files are never opened.
    A table an earlier loglake wrote with another `timestamp` type is refused (StaleTableError), not misread;
    files whose column types differ from the registry's are cast to it group by group (lake/file_types.py)."""
    check_timestamp(schema)
    columns = envelope(table) if schema is None else {c.name: c.type for c in schema.columns}
    typed = dict(columns, **PARTITIONS)
    keys = live_files(store, table, keep)  # not a glob: compaction's inputs and outputs are never read together
    parts = []
    for fmt in FORMATS.values():
        mine = [key for key in keys if key.endswith(fmt.suffix)]
        # A file outside dt=/hour= folders is an Iceberg one another writer named (S3 Tables' compaction
        # writes data/...): its dt and hour are columns of its own, as in every Iceberg data file.
        foldered = [key for key in mine if "/dt=" in key]
        for group, hive in ((foldered, True), ([key for key in mine if "/dt=" not in key], False)):
            if group:
                paths = _located_paths(store, group)
                for read in typed_reads(con, fmt, table, paths, columns, PARTITIONS, hive=hive):
                    items = (f"{sql} AS {quote_identifier(name)}" for name, sql in read.expressions.items())
                    parts.append(f"SELECT {', '.join(items)} FROM {read.source}")
    if not parts:
        parts.append(_select(typed, set(), "(SELECT 1) AS empty WHERE false"))
    return f"CREATE OR REPLACE VIEW {quote_identifier(table)} AS " + " UNION ALL ".join(parts)


def _located_paths(store: Store, keys: list[str]) -> list[str]:
    """The paths DuckDB reads for `keys`, where `store.glob` locates each (a glob-escaped key is a pattern
    that matches only itself): a local lake's files, an S3 lake's objects in place (s3://, through the
    registered filesystem), or a table's files in its S3 Tables warehouse, wherever there (the service's
    compaction writes data/..., not clean/<table>/...)."""
    return [store.glob(glob_escape(key)) for key in keys]


def _select(typed: dict[str, str], present: set[str], source: str) -> str:
    items = [
        f"CAST({quote_identifier(name) if name in present else 'NULL'} AS {type_}) AS {quote_identifier(name)}"
        for name, type_ in typed.items()
    ]
    return f"SELECT {', '.join(items)} FROM {source}"


def quarantine_view_sql(store: Store) -> str:
    columns = dict(QUARANTINE_COLUMNS, dt="DATE")
    if _has(store, QUARANTINE_PREFIX, ".json.gz"):
        source = (
            f"read_json({sql_string(store.glob(QUARANTINE_PREFIX + '*/*.json.gz'))}, format = 'newline_delimited', "
            f"{GZIP}, "
            f"columns = {sql_struct(QUARANTINE_COLUMNS)}, hive_partitioning = true, hive_types = {{'dt': DATE}})"
        )
        return f"CREATE OR REPLACE VIEW quarantine AS SELECT * FROM {source}"
    return f"CREATE OR REPLACE VIEW quarantine AS {_select(columns, set(), '(SELECT 1) AS empty WHERE false')}"


def raw_view_sql(store: Store, max_line_bytes: int = FIRST_READ_LINE_BYTES) -> str:
    """Raw records with the key of the object holding them, for forensics and the conservation check.

    Objects set aside as unreadable (lake/unreadable.py) are left out, so that one truncated object does
    not stop every read of the others; `verify` reports them by name.

    The view reads with `max_line_bytes`, FIRST_READ_LINE_BYTES unless asked: DuckDB reserves twice it per
    reading thread, so with MAX_RAW_LINE_BYTES a query of raw_events took 2.1 GB on two threads (4.3 GB over
    several objects) and failed under a small memory limit. A query DuckDB refuses for a longer line runs again
    over a view of MAX_RAW_LINE_BYTES (query/engine.py: DuckDBEngine.execute), so no line is cut short.
    """
    columns = dict(RAW_COLUMNS, raw_object="VARCHAR")
    keys = [key for key in store.list(RAW_PREFIX) if key.endswith(".json.gz")]
    unreadable = unreadable_objects(store) if keys else {}
    readable = [key for key in keys if key not in unreadable]
    if readable:
        pattern = "**/*.json.gz"
        raw_glob = store.glob(RAW_PREFIX + pattern)  # a local path (an S3 lake: its objects in place), glob-escaped
        raw_root = glob_unescape(raw_glob[: -len(pattern)])  # ".../raw/" as DuckDB spells each file's name
        files = (
            sql_string(raw_glob)
            if not unreadable
            else "[" + ", ".join(sql_string(glob_escape(raw_root + key[len(RAW_PREFIX) :])) for key in readable) + "]"
        )
        source = (
            f"read_json({files}, format = 'newline_delimited', {GZIP}, "
            f"columns = {sql_struct(RAW_COLUMNS)}, filename = true, maximum_object_size = {max_line_bytes}, "
            "hive_partitioning = false)"
        )
        return (
            "CREATE OR REPLACE VIEW raw_events AS SELECT * EXCLUDE (filename), "
            f"{sql_string(RAW_PREFIX)} || substr(filename, {len(raw_root) + 1}) AS raw_object FROM {source}"
        )
    return f"CREATE OR REPLACE VIEW raw_events AS {_select(columns, set(), '(SELECT 1) AS empty WHERE false')}"


ZONE_VIEWS = ("quarantine", "raw_events")


def clean_tables(store: Store) -> list[str]:
    return sorted(set(SchemaRegistry(store).tables()) | {DEFAULT_TABLE})


def create_views(
    con: Any, store: Store, names: set[str] | None = None, keep: Callable[[str], bool] | None = None
) -> list[str]:
    """Create the views named (all when None): clean tables, quarantine, raw_events. Returns those created.

    Views are made only when a query needs them: on an S3 lake, making one reads its files' footers.
    """
    registry = SchemaRegistry(store)
    wanted = [t for t in clean_tables(store) if names is None or t in names]
    for table in wanted:
        con.execute(clean_view_sql(con, store, table, registry.get(table), keep))
    if names is None or "quarantine" in names:
        con.execute(quarantine_view_sql(store))
        wanted.append("quarantine")
    if names is None or "raw_events" in names:
        con.execute(raw_view_sql(store))
        wanted.append("raw_events")
    return wanted
