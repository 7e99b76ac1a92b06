"""`loglake search PATTERN`: text or /regex/ over the messages of the clean tables, newest first.

Like `filter @message like /x/` in Logs Insights, but a rare term does not read every message: the
candidate files are worked out first (the partitions in --since/--until, then each file's skip index,
lake/skip_index.py), and only those are read. The index is used only where it cannot lose a match: a
text pattern always can use it; a regex only through the literal text every match must contain (none:
every file in range is read, and the plan's note says so); a search of other columns than `message`
reads every file in range (the index covers `message` only). A file without a current index is read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from loglake.catalog.duckdb_views import clean_tables
from loglake.errors import QueryError
from loglake.lake.clean_zone import check_timestamp, event_time_sql, timestamp_is_epoch_ms, timestamp_type
from loglake.lake.compaction import partitions_of_files
from loglake.lake.schema_registry import SchemaRegistry
from loglake.lake.store import Store
from loglake.query import engine as engine_module
from loglake.query import skip_candidates
from loglake.query.engine import lake_directories, lock_down
from loglake.query.time_range import TimeRange
from loglake.sql_quoting import quote_identifier, sql_string, sql_struct

DEFAULT_LIMIT = 100
SHOWN_COLUMNS = ("timestamp", "log_group", "log_stream", "message")


@dataclass(frozen=True)
class Pattern:
    text: str
    regex: bool = False
    ignore_case: bool = False

    @classmethod
    def parse(cls, raw: str, *, ignore_case: bool = False) -> Pattern:
        """`/re/` or `/re/i` is a regular expression (RE2, as DuckDB runs it); anything else is plain text."""
        if len(raw) >= 2 and raw.startswith("/") and (raw.endswith("/") or raw.endswith("/i")):
            flagged = raw.endswith("/i") and len(raw) >= 3
            body = raw[1:-2] if flagged else raw[1:-1]
            if not body:
                raise QueryError("an empty /regex/ matches everything; give a pattern, e.g. /time(out|d out)/")
            return cls(body, regex=True, ignore_case=ignore_case or flagged)
        if not raw:
            raise QueryError("an empty pattern matches everything; give the text to find, e.g. loglake search timeout")
        return cls(raw, regex=False, ignore_case=ignore_case)

    def where(self, column: str) -> str:
        """The match condition on `column`; the pattern itself is the query's parameter $pattern."""
        if self.regex:
            return f"regexp_matches({column}, $pattern)"
        if self.ignore_case:
            return f"contains(lower({column}), lower($pattern))"
        return f"contains({column}, $pattern)"

    def parameter(self) -> str:
        return f"(?i){self.text}" if self.regex and self.ignore_case else self.text

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the pattern matches in `text`, for highlighting (see spans_of)."""
        return self.spans_of([text])[0]

    def spans_of(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        """Where the pattern matches in each text (code points), found as the search finds them: a regex by
        RE2 in DuckDB (regexp_replace wraps each match in two private-use marks), ignore-case text in DuckDB's
        lower(). A text that holds a mark itself, or whose lower case has another length, gets [] (no mark
        rather than a wrong one)."""
        if not texts:
            return []
        if not self.regex and not self.ignore_case:
            return [_found(text, text, self.text) for text in texts]
        con = duckdb.connect()
        try:
            if self.regex:
                wrap = f"{_OPEN}\\0{_CLOSE}"
                marked = con.execute(
                    "SELECT list_transform($texts, lambda m: regexp_replace(m, $pattern, $wrap, 'g'))",
                    {"texts": texts, "pattern": self.parameter(), "wrap": wrap},
                ).fetchall()[0][0]
                return [_marked(text, found) for text, found in zip(texts, marked, strict=True)]
            lowered, needle = con.execute(
                "SELECT list_transform($texts, lambda m: lower(m)), lower($pattern)",
                {"texts": texts, "pattern": self.text},
            ).fetchall()[0]
        except duckdb.Error:
            return [[] for _ in texts]
        finally:
            con.close()
        return [_found(text, low, str(needle)) for text, low in zip(texts, lowered, strict=True)]


_OPEN, _CLOSE = "\ue000", "\ue001"
"""Marks around each regex match in spans_of (Unicode private use: not in log text, or the text gets no marks)."""


def _marked(text: str, marked: str) -> list[tuple[int, int]]:
    if _OPEN in text or _CLOSE in text:
        return []
    spans, at, start = [], 0, 0
    for char in marked:
        if char == _OPEN:
            start = at
        elif char == _CLOSE:
            if at > start:
                spans.append((start, at))
        else:
            at += 1
    return spans


def _found(text: str, searched: str, needle: str) -> list[tuple[int, int]]:
    """Non-overlapping occurrences of `needle` in `searched` (the text, or its lower case of the same length)."""
    if len(searched) != len(text) or not needle:
        return []
    spans, at = [], searched.find(needle)
    while at >= 0:
        spans.append((at, at + len(needle)))
        at = searched.find(needle, at + len(needle))
    return spans


@dataclass
class SearchPlan:
    tables: list[str]
    files_total: int = 0
    files_in_range: int = 0
    files_read: int = 0
    skipped_by_index: int = 0
    read_without_index: int = 0
    """Files read because they have no index, or one made for an earlier version of the file."""
    index_used: bool = False
    index_items: list[str] = field(default_factory=list)
    index_bytes: int = 0
    message_bytes_read: int = 0
    """Compressed bytes of the `message` column in the files read (a JSON-lines file counts whole)."""
    note: str = ""


@dataclass
class SearchResult:
    columns: list[str]
    rows: list[dict[str, Any]]
    matches: int
    """All matches in the files read; `rows` holds the newest `limit` of them."""
    plan: SearchPlan
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "matches": self.matches,
            "shown": len(self.rows),
            "columns": self.columns,
            "rows": self.rows,
            "plan": asdict(self.plan),
            "seconds": round(self.seconds, 3),
        }


def _candidates(
    store: Store,
    tables: list[str],
    pattern: Pattern,
    columns: list[str],
    time_range: TimeRange | None,
    plan: SearchPlan,
    *,
    use_index: bool,
) -> dict[str, list[str]]:
    """table → the clean files that can hold a match (keys), filling in the plan's counts."""
    items: list[str] = []
    if columns != ["message"]:
        plan.note = "searching columns other than message: every file in range is read (the index covers message)"
    elif pattern.regex:
        items = skip_candidates.regex_items(pattern.text, ignore_case=pattern.ignore_case)
        if not items:
            plan.note = "the regex has no literal text of 3+ word characters the index can use: full scan in range"
    else:
        items = skip_candidates.text_items(pattern.text)
        if not items:
            plan.note = "the pattern has no word of 3+ letters or digits the index can use: full scan in range"
    if not use_index:
        items = []
        plan.note = "index not used (--no-index): full scan in range"
    plan.index_used = bool(items)
    plan.index_items = items
    count = skip_candidates.SkipCount()
    chosen: dict[str, list[str]] = {}
    for table in tables:
        # what the views read: each event once, whatever compaction is doing (lake/compaction.py)
        files = [(k, p) for k, p in partitions_of_files(store, table) if k.endswith((".parquet", ".json.gz"))]
        plan.files_total += len(files)
        if time_range is not None:  # a file of no known partition is read (filtered by its rows' time)
            files = [(k, p) for k, p in files if p is None or time_range.hours_overlap(*p)]
        keys = [k for k, _p in files]
        plan.files_in_range += len(keys)
        kept = skip_candidates.may_match(store, keys, items, count)
        plan.files_read += len(kept)
        if kept:
            chosen[table] = kept
    plan.skipped_by_index = count.skipped
    plan.read_without_index = count.read_without_index
    plan.index_bytes = count.index_bytes
    return chosen


def search(
    store: Store,
    pattern: Pattern,
    *,
    columns: list[str] | None = None,
    tables: list[str] | None = None,
    groups: list[str] | None = None,
    time_range: TimeRange | None = None,
    limit: int = DEFAULT_LIMIT,
    use_index: bool = True,
    on_connection: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> SearchResult:
    """The newest `limit` events whose message (or one of `columns`) matches, and how many match in all.

    `groups` are log-group names or globs (`/aws/lambda/*`); `tables` default to every clean table.
    `on_connection` is handed the connection that reads the files (the console interrupts it on Cancel).
    A table an earlier loglake wrote with another `timestamp` type raises StaleTableError (lake/clean_zone.py).
    """
    started = time.monotonic()
    known = clean_tables(store)
    chosen_tables = tables or known
    unknown = [t for t in chosen_tables if t not in known]
    if unknown:
        raise QueryError(f"no table {unknown[0]!r} in this lake (tables: {', '.join(known)}); see loglake tables")
    registry = SchemaRegistry(store)
    for table in chosen_tables:  # a table an earlier loglake wrote would show its times wrong: refused, as a query is
        check_timestamp(registry.get(table))
    searched = list(dict.fromkeys(columns or ["message"]))
    plan = SearchPlan(tables=list(chosen_tables))
    candidates = _candidates(store, chosen_tables, pattern, searched, time_range, plan, use_index=use_index)
    shown = list(dict.fromkeys([*SHOWN_COLUMNS, *searched]))
    rows: list[dict[str, Any]] = []
    matches = 0
    con = duckdb.connect()
    try:
        if on_connection is not None:
            on_connection(con)
        con.execute("SET TimeZone = 'UTC'")
        register = getattr(engine_module, "register_lake", None)  # S3 lakes read in place (lake/s3_files.py)
        if register is not None:
            register(con, store)
        lock_down(con, lake_directories(store))
        for table, keys in candidates.items():
            found, count = _search_table(con, store, table, keys, pattern, searched, shown, groups, time_range, limit)
            plan.message_bytes_read += message_bytes(con, store, keys)
            rows += found
            matches += count
    finally:
        con.close()
    rows.sort(key=lambda row: (row["timestamp"] is not None, row["timestamp"] or datetime.min), reverse=True)
    return SearchResult(["table", *shown], rows[:limit], matches, plan, time.monotonic() - started)


def _source(store: Store, table: str, keys: list[str], columns: list[str] | None) -> str:
    """The files' rows; a JSON-lines file's `timestamp` read as the table stores it (lake/clean_zone.py)."""
    paths = "[" + ", ".join(sql_string(store.glob(key)) for key in keys) + "]"
    if keys[0].endswith(".parquet"):
        return f"read_parquet({paths}, union_by_name = true, hive_partitioning = false)"
    types = {name: timestamp_type(table) if name == "timestamp" else "VARCHAR" for name in columns or []}
    return (
        f"read_json({paths}, format = 'newline_delimited', compression = 'gzip', columns = {sql_struct(types)}, "
        "hive_partitioning = false)"
    )


def _search_table(
    con: duckdb.DuckDBPyConnection,
    store: Store,
    table: str,
    keys: list[str],
    pattern: Pattern,
    searched: list[str],
    shown: list[str],
    groups: list[str] | None,
    time_range: TimeRange | None,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    found: list[dict[str, Any]] = []
    total = 0
    for part in (
        [k for k in keys if k.endswith(".parquet")],
        [k for k in keys if k.endswith(".json.gz")],
    ):
        if not part:
            continue
        if part[0].endswith(".parquet"):
            described = con.execute(f"DESCRIBE SELECT * FROM {_source(store, table, part, None)}").fetchall()
            present = {row[0] for row in described}
        else:
            present = set(shown)
        missing = [c for c in searched if c not in present]
        if len(missing) == len(searched):
            continue  # none of the searched columns is in these files: nothing can match here
        source = _source(store, table, part, shown)
        # every table's rows carry the event time as a TIMESTAMP (waf_logs stores epoch ms): one kind of time
        # to sort the tables' rows together and to show
        values = {c: f"CAST({quote_identifier(c)} AS VARCHAR)" for c in shown if c in present}
        if "timestamp" in present:
            values["timestamp"] = event_time_sql(table)
        select = ", ".join(f"{values.get(c, 'NULL')} AS {quote_identifier(c)}" for c in shown)
        matching = [pattern.where(f"CAST({values[c]} AS VARCHAR)") for c in searched if c in present]
        where = ["(" + " OR ".join(matching) + ")"]
        params: dict[str, Any] = {"pattern": pattern.parameter()}
        if time_range is not None:
            where += time_range.timestamp_sql(epoch_ms=timestamp_is_epoch_ms(table))
        if groups:
            where.append("(" + " OR ".join(f"log_group GLOB $group{i}" for i in range(len(groups))) + ")")
            params.update({f"group{i}": group for i, group in enumerate(groups)})
        sql = (
            f"SELECT {select}, count(*) OVER () AS __matches FROM {source} WHERE {' AND '.join(where)} "
            f'ORDER BY "timestamp" DESC NULLS LAST LIMIT {int(limit)}'
        )
        try:
            cursor = con.execute(sql, params)
            result = cursor.fetchall()
        except duckdb.Error as exc:
            message = " ".join(str(exc).split())
            if pattern.regex and "regex" in message.lower():
                raise QueryError(f"/{pattern.text}/ is not a valid RE2 regular expression: {message[:200]}") from None
            raise QueryError(f"search in {table} failed: {message[:300]}") from None
        total += int(result[0][-1]) if result else 0
        for row in result:
            found.append({"table": table, **dict(zip(shown, row[:-1], strict=True))})
    return found, total


def message_bytes(con: duckdb.DuckDBPyConnection, store: Store, keys: list[str]) -> int:
    """Compressed bytes of `message` in the Parquet files read (what a scan pays); JSON-lines files count whole."""
    parquet = [k for k in keys if k.endswith(".parquet")]
    total = 0
    if parquet:
        listed = "[" + ", ".join(sql_string(store.glob(k)) for k in parquet) + "]"
        total += int(
            con.execute(
                f"SELECT coalesce(sum(total_compressed_size), 0) FROM parquet_metadata({listed}) "
                "WHERE path_in_schema = 'message'"
            ).fetchall()[0][0]
        )
    for key in keys:
        if key.endswith(".json.gz"):
            with store.local_file(key) as path:
                total += path.stat().st_size
    return total
