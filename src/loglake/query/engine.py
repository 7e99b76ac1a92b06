"""The embedded query engine: DuckDB over the lake's views, in a sandbox.

Queries are documented as read-only, so the connection is made so: once its settings are made, it may
read files only under the lake's folders (the lake root, or an S3 lake's objects, in place), it cannot
change a setting again, and each query must be exactly one read-only statement. That holds in both
dialects, because the check runs on the DuckDB text that is executed.
"""

from __future__ import annotations

import difflib
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb

from loglake.catalog.duckdb_views import ZONE_VIEWS, clean_tables, create_views, raw_view_sql
from loglake.errors import QueryError
from loglake.lake.clean_zone import TIMESTAMP_TYPES, partition_of, timestamp_is_epoch_ms
from loglake.lake.compaction import live_files, partitions_of_files, table_partitions
from loglake.lake.iceberg import is_iceberg
from loglake.lake.raw_zone import FIRST_READ_LINE_BYTES, MAX_RAW_LINE_BYTES, read_raw
from loglake.lake.s3_files import CHANGED
from loglake.lake.schema_registry import SchemaRegistry
from loglake.lake.store import Store, glob_escape
from loglake.query.dialect import READ_ONLY, URL_MACROS, athena_to_duckdb, first_word, referenced_tables
from loglake.query.pruning import kept_partitions, partition_condition, text_conditions
from loglake.query.skip_candidates import SkipCount, may_match

_MAX_MESSAGE = 400


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    stats: dict[str, Any] | None = None
    """Engine statistics worth showing (Athena: bytes scanned, cost, time, query id)."""


class QueryEngine(Protocol):
    """What the commands need from an engine: DuckDB here, Athena on AWS. Both take Athena SQL."""

    def query(self, sql: str, *, dialect: str = "athena") -> QueryResult: ...

    def close(self) -> None: ...


def lake_directories(store: Store) -> list[str]:
    """The places that hold a lake's files: what the sandboxed connection may read.

    A local lake is its root; an S3 lake is its `loglakes3://bucket/prefix/` (read in place through the
    filesystem register_lake adds); a lake whose raw zone lives elsewhere has both sides. Each local folder
    is also given as the views' globs spell it (glob_escape: `g[x]` is `g[[]x]`), which DuckDB checks first.
    """
    sides = [getattr(store, name) for name in ("main", "raw") if hasattr(store, name)] + _warehouses(store)
    if sides:
        return sorted({folder for side in sides for folder in lake_directories(side)})
    root = getattr(store, "root", None)
    if isinstance(root, Path):
        plain = {str(root.absolute()), str(root.resolve())}
        return sorted(plain | {glob_escape(path) for path in plain})
    read_root = getattr(store, "read_root", None)
    if callable(read_root):
        return sorted({str(read_root()), glob_escape(str(read_root()))})
    raise QueryError(f"the embedded engine cannot tell which local folder holds {store.uri}; use --engine athena")


def _warehouses(store: Store) -> list[Any]:
    """The warehouses of the lake's tables in S3 Tables (lake/table_bucket_store.py): read as the lake is."""
    warehouses = getattr(store, "warehouses", None)
    return list(warehouses()) if callable(warehouses) else []


def register_lake(con: duckdb.DuckDBPyConnection, store: Store) -> Any:
    """Give `con` the filesystem an S3 lake's objects are read through (lake/s3_files.py), before
    lock_down; one filesystem serves every S3 side of the lake (a raw zone in its own bucket too).
    Returns it (None for a local lake)."""
    sides = [getattr(store, name) for name in ("main", "raw") if hasattr(store, name)] or [store]
    sides += _warehouses(store)
    remote = [side for side in sides if hasattr(side, "filesystem")]
    if not remote:
        return None
    clients = {side.bucket: side.client for side in remote}
    filesystem = remote[0].filesystem(clients)
    con.register_filesystem(filesystem)
    return filesystem


def lock_down(con: duckdb.DuckDBPyConnection, directories: list[str]) -> None:
    """Allow file access only under `directories` and freeze every setting (SET, PRAGMA, LOAD then fail).

    DuckDB checks each path it opens against allowed_directories, so views over the lake keep working,
    while read_csv('/etc/passwd'), glob('/etc/*'), COPY ... TO, ATTACH and INSTALL are refused.
    """
    con.execute("SET allowed_directories = ?", [[folder.rstrip("/") + "/" for folder in directories]])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def check_read_only(con: duckdb.DuckDBPyConnection, text: str) -> None:
    """Refuse anything but exactly one read-only statement, as DuckDB itself parses the text it will run."""
    try:
        statements = con.extract_statements(text)
    except duckdb.Error as exc:
        reason = _strip_prefix(_first_part(str(exc)))
        raise QueryError(
            f"SQL {reason}" if reason.startswith("syntax error") else f"SQL syntax error: {reason}"
        ) from None
    if len(statements) != 1:
        raise QueryError(f"expected one SQL statement, got {len(statements)}; {READ_ONLY} can run here")
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        kind = first_word(statement.query) or statement.type.name
        raise QueryError(f"only read-only queries ({READ_ONLY}) can run here, not {kind}")


@dataclass
class SkipUse:
    """What the skip index did for one table of the last query (query/skip_candidates.py)."""

    conditions: list[str]
    items: list[str]
    count: SkipCount
    read: list[str]
    """The table's files the view reads (keys)."""


class DuckDBEngine:
    def __init__(self, store: Store, *, use_skip_index: bool = True) -> None:
        """`use_skip_index`: let `message LIKE '%term%'` (and ILIKE, regexp_like) skip the clean files whose
        skip index rules the term out (query/pruning.py says when that is safe)."""
        self.store = store
        self.use_skip_index = use_skip_index
        self.skips: dict[str, SkipUse] = {}
        """table → what the skip index did for the query prepared last (tables it was used for)."""
        self.directories = lake_directories(store)
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(URL_MACROS)
        # DuckDB always allows its spill folder, by default ./.tmp of wherever loglake runs: make it a private one.
        self._spill = tempfile.TemporaryDirectory(prefix="loglake-duckdb-")
        self.con.execute("SET temp_directory = ?", [self._spill.name])
        self._filesystem = register_lake(self.con, store)
        lock_down(self.con, self.directories)
        self.tables = clean_tables(store)
        self._views: set[str] = set()
        self._pruned: set[str] = set()
        """Views made over some partitions only, for the query that ran last: remade for the next."""
        self._long_raw_line = False
        """Whether the query that ran last read raw_events again with MAX_RAW_LINE_BYTES (execute)."""

    def ensure_views(self, names: set[str] | None) -> None:
        """Create the views a query reads (all of them for None) that do not exist yet."""
        missing = None if names is None else names - self._views
        if missing is None or missing & (set(self.tables) | set(ZONE_VIEWS)):
            self._views |= set(create_views(self.con, self.store, missing))

    def query(self, sql: str, *, dialect: str = "athena") -> QueryResult:
        started = time.monotonic()
        text = self.prepare(sql, dialect=dialect)
        try:
            self.execute(text)
            rows = self.con.fetchall()
        except duckdb.Error as exc:
            raise self._error(exc, sql) from None
        description = self.con.description or []
        stats = {"engine": "duckdb", "seconds": round(time.monotonic() - started, 3)}
        return QueryResult([d[0] for d in description], [str(d[1]) for d in description], rows, stats)

    def execute(self, text: str) -> None:
        """Run `text` (from prepare), its result left on `con`. raw_events reads with FIRST_READ_LINE_BYTES
        (duckdb_views.raw_view_sql); a query DuckDB refuses for a longer raw line runs again over a raw_events
        of MAX_RAW_LINE_BYTES, with the ETL's own retry (raw_zone.read_raw): only that query reserves DuckDB's 1 GiB
        buffers per thread, and the next one gets the small view again."""
        self._long_raw_line = False
        if "raw_events" not in self._views:
            self.con.execute(text)
            return

        def statement(max_line_bytes: int) -> str:
            if max_line_bytes == FIRST_READ_LINE_BYTES:
                return text
            self._long_raw_line = True
            self._views.discard("raw_events")  # remade with the small size for the next query
            return f"{raw_view_sql(self.store, max_line_bytes)}; {text}"

        read_raw(self.con, statement)

    def prepare(self, sql: str, *, dialect: str = "athena") -> str:
        """The checked DuckDB text of `sql`, with the views it reads made: the Python API runs it itself, to
        hand the answer to Arrow, pandas or polars without a round trip through Python tuples."""
        if self._filesystem is not None:
            self._filesystem.invalidate_cache()
        self.skips = {}
        if dialect == "athena":
            self._views -= self._pruned
            self._pruned = set()
            self._prune(sql)
            self.ensure_views(referenced_tables(sql))
            text = athena_to_duckdb(sql, self.schema())
            check_read_only(self.con, text)  # what runs is checked too, whatever the translation made of it
        elif dialect == "duckdb":
            check_read_only(self.con, sql)
            self._views -= self._pruned
            self._pruned = set()
            self.ensure_views(None)
            text = sql
        else:
            raise QueryError(f"unknown dialect {dialect!r}: use athena or duckdb")
        return text

    def _prune(self, sql: str) -> None:
        """Make the views of the query's clean tables over the files it can need: the partitions its WHERE
        keeps, less the files whose skip index rules out a text condition every row must meet (query/pruning.py).
        Only the files that survive partition pruning have their index read."""
        keeps: dict[str, Callable[[str], bool]] = {}
        found = partition_condition(sql, set(self.tables))
        if found is not None:
            table, conditions = found
            if (in_kept := self._partition_filter(table, conditions)) is not None:
                keeps[table] = in_kept
        texts = text_conditions(sql, set(self.tables)) if self.use_skip_index else {}
        for table, wanted in texts.items():
            items = sorted({item for condition in wanted for item in condition.items()})
            if not items or not self.has_message(table):
                continue
            in_range = keeps.get(table)
            count = SkipCount()
            live = live_files(self.store, table, in_range)
            read = may_match(self.store, live, items, count)
            self.skips[table] = SkipUse(sorted(c.sql() for c in wanted), items, count, read)
            if count.skipped:
                keeps[table] = _leaving_out(set(live) - set(read), in_range)
        for table, keep in keeps.items():
            create_views(self.con, self.store, {table}, keep=keep)
            self._views.add(table)
            self._pruned.add(table)

    def _partition_filter(self, table: str, conditions: list[str]) -> Callable[[str], bool] | None:
        """A filter of the real keys of the partitions the query's WHERE keeps (None: it keeps them all).
        An Iceberg file's partition is its snapshot's value, whatever its path says (Iceberg's own `hour=5`,
        or a hash); a file the snapshot did not hold when this ran (a commit since) is read."""
        if not is_iceberg(self.store, table):
            partitions = sorted(table_partitions(self.store, table))
            kept = kept_partitions(self.con, partitions, conditions)
            if kept is None or len(kept) == len(partitions):
                return None
            return lambda key: partition_of(key) in kept
        of_key = dict(partitions_of_files(self.store, table))
        partitions = sorted({p for p in of_key.values() if p is not None})
        kept_ = kept_partitions(self.con, partitions, conditions)
        if kept_ is None or len(kept_) == len(partitions):
            return None
        return lambda key: (p := of_key.get(key)) is None or p in kept_

    def has_message(self, table: str) -> bool:
        """Whether the table's view has the `message` its index covers: in one without it, `message` would
        name a column of an enclosing query (a correlated subquery), which no skip index describes."""
        schema = SchemaRegistry(self.store).get(table)
        return schema is None or schema.column("message") is not None

    def all_tables(self) -> list[str]:
        """The names a query can read: the clean tables, then the zone views."""
        return [*self.tables, *ZONE_VIEWS]

    def _error(self, exc: duckdb.Error, sql: str) -> QueryError:
        """DuckDB's error as one line that says what to do; saved queries name the --param that fixes it."""
        text = _first_part(str(exc))
        if self._long_raw_line and isinstance(exc, duckdb.OutOfMemoryException):
            # the query's own text is not the cause: DuckDB's buffers for the long line are
            limit, threads = self.con.execute(
                "SELECT current_setting('memory_limit'), current_setting('threads')"
            ).fetchall()[0]
            return QueryError(
                f"raw_events holds a record line longer than {2 * FIRST_READ_LINE_BYTES >> 20} MiB, which DuckDB "
                f"reads whole only with a {2 * MAX_RAW_LINE_BYTES >> 30} GiB buffer per thread ({threads} threads), "
                f"over its memory limit of {limit}: run the query where DuckDB's limit (80% of the machine's "
                f"memory) is {2 * int(threads) + 1} GiB or more, or read that event in the clean tables"
            )
        if changed := re.search(rf"(s3://\S+): {re.escape(CHANGED)}", str(exc)):
            return QueryError(f"{changed.group(1)}: {CHANGED}")  # a rewritten object (lake/s3_files.py)
        saved = getattr(sql, "saved_query", None)
        identifiers: dict[str, str] = getattr(sql, "identifiers", {})
        by_value = {value: name for name, value in identifiers.items()}
        tables = ", ".join(self.all_tables())
        if missing := re.search(r"Table with name (.+?) does not exist!", text):
            name = missing.group(1).strip('"')
            if saved and name in by_value:
                return QueryError(
                    f'{saved}: no table "{name}"; pass --param {by_value[name]}=<table> (tables: {tables})'
                )
            close = difflib.get_close_matches(name, self.all_tables(), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            return QueryError(f'no table "{name}"{hint}; tables: {tables}; see loglake tables')
        column = re.search(r'Referenced column "?(.+?)"? not found', text)
        if saved and column and column.group(1) in by_value:
            name = column.group(1)
            where = f" in {identifiers['table']}" if "table" in identifiers else ""
            return QueryError(
                f'{saved}: no column "{name}"{where}; pass --param {by_value[name]}=<column> '
                "(see loglake tables for the columns)"
            )
        if column:
            return QueryError(f"{_strip_prefix(text)[:_MAX_MESSAGE]}; see loglake tables for the columns")
        reason = _strip_prefix(text).split(". You might")[0][:_MAX_MESSAGE]
        epoch_ms = [t for t in TIMESTAMP_TYPES if timestamp_is_epoch_ms(t)]
        if re.search(r"No function matches the given name and argument types '[-+*/%]\(TIMESTAMP", text):
            # arithmetic on a TIMESTAMP `timestamp`, as AWS's queries do on the tables that keep milliseconds
            return QueryError(
                f"{reason}; `timestamp` is a TIMESTAMP in every table but {', '.join(epoch_ms)} (epoch "
                "milliseconds, as in AWS's table): for epoch seconds use to_unixtime(timestamp)"
            )
        read_ms = sorted(set(epoch_ms) & _tables_read(sql))
        if read_ms and re.search(r"No function matches the given name and argument types '\w+\([^)]*BIGINT", text):
            # a time function on the millisecond `timestamp` of a table that keeps AWS's type
            return QueryError(
                f"{reason}; `timestamp` in {', '.join(read_ms)} is epoch milliseconds (BIGINT, as in AWS's "
                "table): for its time use from_unixtime(timestamp / 1000)"
            )
        if isinstance(exc, duckdb.PermissionException):
            path = re.search(r'Cannot access (?:file|directory) "(.*?)"', text)
            what = f"cannot read {path.group(1)}" if path else _strip_prefix(text)
            return QueryError(f"{what}: queries read only the lake {self.store.uri}, through its tables ({tables})")
        return QueryError(text[:_MAX_MESSAGE])

    def schema(self) -> dict[str, dict[str, str]]:
        """The column types of the views made so far, so the translation can type expressions as Athena does."""
        rows = self.con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY ordinal_position"
        ).fetchall()
        tables: dict[str, dict[str, str]] = {}
        for table, column, type_ in rows:
            tables.setdefault(table, {})[column] = type_
        return tables

    def close(self) -> None:
        self.con.close()
        self._spill.cleanup()

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _leaving_out(skipped: set[str], in_range: Callable[[str], bool] | None) -> Callable[[str], bool]:
    """A view's key filter that leaves out the `skipped` files (not "keeps the files read": a file that
    compaction writes meanwhile is then read, not lost)."""
    return lambda key: key not in skipped and (in_range is None or in_range(key))


def _tables_read(sql: str) -> set[str]:
    """The tables a query reads, or none when it does not parse (its error is then about its text)."""
    from sqlglot.errors import SqlglotError

    try:
        return referenced_tables(sql)
    except (SqlglotError, QueryError):
        return set()


def _first_part(message: str) -> str:
    """DuckDB's message on one line, without its `LINE 1:` caret block or its list of candidate functions."""
    head = re.split(r"\n\s*LINE \d+:", message, maxsplit=1)[0]
    head = head.split("Candidate functions:", 1)[0]
    return " ".join(head.split())


def _strip_prefix(message: str) -> str:
    """'Parser Error: syntax error at ...' -> 'syntax error at ...'."""
    return re.sub(r"^[A-Za-z ]+ Error: ", "", message)
