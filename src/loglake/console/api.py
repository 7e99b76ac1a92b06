"""What each console page asks, answered with the project's modules; no HTTP here (server.py adds it).

Every query goes through a fresh engine of the kind `loglake query` uses (DuckDBEngine's read-only sandbox,
or AthenaEngine), so a page always sees the lake as it is now (after an ETL run or a re-drive), and a
request can be cancelled by interrupting its own engine. Time ranges are query/time_range.py's: their
dt/hour conditions prune partitions on both engines.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from loglake.catalog.duckdb_views import clean_tables
from loglake.catalog.glue_names import glue_database
from loglake.config import Config, load_config
from loglake.errors import QueryError
from loglake.lake.clean_zone import epoch_seconds_sql, event_time_sql, timestamp_is_epoch_ms
from loglake.lake.open import Lake
from loglake.lake.schema_registry import SchemaRegistry
from loglake.query.engine import DuckDBEngine, QueryEngine, QueryResult
from loglake.query.time_range import TimeRange, table_time_literal
from loglake.sql_quoting import quote_identifier, sql_string

PAGE_ROWS = 100
"""Rows per page of a query's result table."""
KEPT_RESULTS = 8
"""Results kept for paging and download (the newest; older ones are dropped)."""
ATHENA_USD_PER_TB = 5.0
BUCKET_SECONDS = (1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800)
"""Histogram bar widths: the smallest that gives at most TARGET_BARS bars over the range is used."""
TARGET_BARS = 60
NO_LEVEL = "NONE"
PLACEHOLDER_LOCATION = "s3://your-bucket/lake/"
QUARANTINE_REASON = "coalesce(reason, 'unknown')"
"""A quarantined record's reason as the counts show it and a re-drive selects it."""


def parse_range(since: str | None, until: str | None, now: datetime | None = None) -> TimeRange | None:
    """The page's range: empty strings are open ends; relative values (15m, 1h) count back from now."""
    return TimeRange.parse(since or None, until or None, now=now)


class Console:
    """One lake, one engine kind; requests may run side by side (each with its own engine)."""

    def __init__(
        self,
        lake: Lake,
        engine: str = "duckdb",
        config_loader: Callable[[], Config] | None = None,
        engine_factory: Callable[[], QueryEngine] | None = None,
    ) -> None:
        if engine not in ("duckdb", "athena"):
            raise QueryError(f"unknown engine {engine!r}: use duckdb or athena")
        self.lake = lake
        self.engine_kind = engine
        self._config_loader = config_loader or load_config
        self._engine_factory = engine_factory
        self._running: dict[str, QueryEngine] = {}
        self._cancelled: set[str] = set()
        self._results: OrderedDict[str, QueryResult] = OrderedDict()
        self._lock = threading.Lock()

    # engines and cancellation

    def _new_engine(self) -> QueryEngine:
        if self._engine_factory is not None:
            return self._engine_factory()
        if self.engine_kind == "duckdb":
            return DuckDBEngine(self.lake.store)
        from loglake.query.athena_engine import AthenaEngine

        athena = self._config_loader().athena
        return AthenaEngine(
            workgroup=athena.get("workgroup", "primary"),
            database=glue_database(None, athena),
            output_location=athena.get("output_location") or None,
        )

    @contextmanager
    def engine(self, request_id: str | None = None) -> Iterator[QueryEngine]:
        """A fresh engine for one request, registered under `request_id` so cancel() can interrupt it."""
        runner = self._new_engine()
        try:
            with self._cancellable(request_id) as register:
                register(runner)
                yield runner
        finally:
            runner.close()

    @contextmanager
    def _cancellable(self, request_id: str | None) -> Iterator[Callable[[Any], None]]:
        """A request that cancel() can interrupt once it registers what it runs on (an engine, or anything
        with a DuckDB `con`); an interrupt then becomes the one-line "cancelled" error."""

        def register(runner: Any) -> None:
            if request_id:
                with self._lock:
                    self._running[request_id] = runner

        try:
            yield register
        except Exception as exc:
            with self._lock:
                cancelled = request_id in self._cancelled
            if cancelled:  # DuckDB's InterruptException is no duckdb.Error, so the engine passes it on as is
                raise QueryError("cancelled: the query was interrupted; run it again to get its answer") from exc
            raise
        finally:
            with self._lock:
                self._running.pop(request_id or "", None)
                self._cancelled.discard(request_id or "")

    def cancel(self, request_id: str) -> bool:
        """Interrupt the request's queries until it ends (DuckDB's con.interrupt() stops only the statement
        running at that moment; the request may be between statements). False when no such request runs."""
        with self._lock:
            runner = self._running.get(request_id)
            if runner is None:
                return False
            self._cancelled.add(request_id)
        con = getattr(runner, "con", None)
        if con is None:  # Athena: its queries end by themselves; the page stops waiting for the answer
            return False
        threading.Thread(target=self._interrupt_until_done, args=(request_id, runner), daemon=True).start()
        return True

    def _interrupt_until_done(self, request_id: str, runner: QueryEngine) -> None:
        while True:
            with self._lock:
                if self._running.get(request_id) is not runner:
                    return
            with contextlib.suppress(duckdb.Error):  # closed just now: the request has ended
                runner.con.interrupt()  # type: ignore[attr-defined]
            time.sleep(0.05)

    # Query page

    def saved_queries(self) -> list[dict[str, Any]]:
        from loglake.query.saved_queries import SAVED_QUERIES

        return [
            {
                "name": q.name,
                "description": q.description,
                "sql": q.sql,
                "params": [
                    {"name": n, "kind": p.kind, "default": p.default, "help": p.help} for n, p in q.params.items()
                ],
            }
            for q in SAVED_QUERIES.values()
        ]

    def _sql(self, sql: str | None, saved: str | None, params: dict[str, str], period: TimeRange | None) -> str:
        """The Athena SQL to run: a saved query rendered with its typed parameters, or the editor's text, each
        limited to the range (partition pruning, as `loglake query --since/--until`)."""
        if (sql is None or not sql.strip()) == (saved is None or not saved):
            raise QueryError("give either SQL or a saved query")
        if saved:
            from loglake.query.saved_queries import saved_query

            return saved_query(saved, params, period)
        assert sql is not None
        if period is None:
            return sql
        from loglake.query.time_range import apply_time_range

        return apply_time_range(sql, period, clean_tables(self.lake.store))

    def run_query(
        self,
        sql: str | None,
        saved: str | None = None,
        params: dict[str, str] | None = None,
        period: TimeRange | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        text = self._sql(sql, saved, params or {}, period)
        with self.engine(request_id) as runner:
            result = runner.query(text)
        result_id = uuid.uuid4().hex
        with self._lock:
            self._results[result_id] = result
            while len(self._results) > KEPT_RESULTS:
                self._results.popitem(last=False)
        return {"id": result_id, "sql": str(text), "stats": result.stats, **self.page(result_id, 0)}

    def result(self, result_id: str) -> QueryResult:
        with self._lock:
            found = self._results.get(result_id)
        if found is None:
            raise QueryError("that result is no longer kept (only the last few are); run the query again")
        return found

    def page(self, result_id: str, offset: int, limit: int = PAGE_ROWS) -> dict[str, Any]:
        result = self.result(result_id)
        offset = max(0, offset)
        return {
            "columns": result.columns,
            "types": result.types,
            "rows": [list(row) for row in result.rows[offset : offset + limit]],
            "offset": offset,
            "total": len(result.rows),
        }

    def download(self, result_id: str, fmt: str) -> bytes:
        """The whole result (never cut) as CSV or Parquet, written by query/output.py as `--out` does."""
        from loglake.query.output import to_csv, write_result

        result = self.result(result_id)
        if fmt == "csv":
            return to_csv(result).encode()
        if fmt != "parquet":
            raise QueryError(f"download as csv or parquet, not {fmt!r}")
        with tempfile.TemporaryDirectory(prefix="loglake-console-") as folder:
            path = Path(folder) / "result.parquet"
            write_result(result, path)
            return path.read_bytes()

    def explain(
        self, sql: str | None, saved: str | None = None, params: dict[str, str] | None = None,
        period: TimeRange | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """query/explain.py's figures (partitions, files, bytes), and what Athena would charge for them."""
        from loglake.query.explain import explain as plan_scan

        text = self._sql(sql, saved, params or {}, None)
        with DuckDBEngine(self.lake.store) as local:
            plans = plan_scan(local, text, period)
        total = sum(plan.bytes for plan in plans)
        return {
            "plans": [asdict(plan) for plan in plans],
            "bytes": total,
            "athena_usd": round(total / 1e12 * ATHENA_USD_PER_TB, 8),
        }

    # Events over time

    def histogram(
        self, period: TimeRange | None, text: str | None = None, request_id: str | None = None
    ) -> dict[str, Any]:
        """Events per bar and level over the range (every clean table), one query; `text` keeps the messages
        that contain it. Open ends of the range become the lake's first and last event."""
        tables = clean_tables(self.lake.store)
        if not tables:
            return {"since": None, "until": None, "bucket_seconds": 0, "bars": [], "levels": [], "total": 0}
        registry = SchemaRegistry(self.lake.store)
        with self.engine(request_id) as runner:
            since, until = self._extent(runner, tables, period, text)
            if since is None or until is None:
                return {"since": None, "until": None, "bucket_seconds": 0, "bars": [], "levels": [], "total": 0}
            window = TimeRange(since, until)
            span = (until - since).total_seconds()
            width = next((w for w in BUCKET_SECONDS if span / w <= TARGET_BARS), BUCKET_SECONDS[-1])
            start = int(since.timestamp()) // width * width
            # Embedded, the statement is DuckDB SQL run as is (no translation: a third of the time on a whole
            # day); DuckDB prunes the views' hive partitions by the same dt/hour conditions. Athena gets Athena SQL.
            local = isinstance(runner, DuckDBEngine)
            parts = []
            for table in tables:
                seconds = epoch_seconds_sql(table, dialect="duckdb" if local else "athena")
                schema = registry.get(table)
                level = "level" if schema is not None and schema.column("level") is not None else "NULL"
                where = [window.table_sql(table), *self._text_filter(text)]
                parts.append(
                    f"SELECT CAST(floor(({seconds} - {start}) / {width}) AS BIGINT) AS bar, "
                    f"coalesce(CAST({level} AS varchar), '{NO_LEVEL}') AS level, count(*) AS n "
                    f"FROM {quote_identifier(table)} WHERE {' AND '.join(where)} GROUP BY 1, 2"
                )
            rows = runner.query(
                f"SELECT bar, level, sum(n) AS n FROM ({' UNION ALL '.join(parts)}) AS t GROUP BY 1, 2 ORDER BY 1, 2",
                dialect="duckdb" if local else "athena",
            ).rows
        bars: dict[int, dict[str, int]] = {}
        for bar, level, count in rows:
            bars.setdefault(int(bar), {})[str(level)] = int(count)
        levels = sorted({level for counts in bars.values() for level in counts}, key=_level_order)
        return {
            "since": _iso(since),
            "until": _iso(until),
            "bucket_seconds": width,
            "levels": levels,
            "bars": [
                {
                    "start": _iso(datetime.fromtimestamp(start + bar * width, UTC)),
                    "counts": counts,
                    "total": sum(counts.values()),
                }
                for bar, counts in sorted(bars.items())
            ],
            "total": sum(sum(counts.values()) for counts in bars.values()),
        }

    @staticmethod
    def _text_filter(text: str | None) -> list[str]:
        return [f"strpos(message, {sql_string(text)}) > 0"] if text else []

    def _extent(
        self, runner: QueryEngine, tables: list[str], period: TimeRange | None, text: str | None
    ) -> tuple[datetime | None, datetime | None]:
        """The range with its open ends closed: at the first and last partition's hour, or with a text filter
        at the first and last matching event (a bar's end is exclusive)."""
        if period is not None and period.since is not None and period.until is not None:
            return period.since, period.until
        window = period or TimeRange()
        if not text:
            found = self._extent_from_partitions(tables, window)
            if found is not None:
                return found
        parts = []
        dialect = "duckdb" if isinstance(runner, DuckDBEngine) else "athena"
        for table in tables:
            where = [w for w in [window.table_sql(table), *self._text_filter(text)] if w]
            condition = f" WHERE {' AND '.join(where)}" if where else ""
            time = event_time_sql(table, dialect=dialect)  # a TIMESTAMP in every table (waf_logs: from its ms)
            parts.append(f"SELECT min({time}) AS lo, max({time}) AS hi FROM {quote_identifier(table)}{condition}")
        lo, hi = runner.query(f"SELECT min(lo), max(hi) FROM ({' UNION ALL '.join(parts)}) AS t", dialect=dialect).rows[
            0
        ]
        if lo is None or hi is None:
            return None, None
        since = window.since or _utc(lo)
        until = window.until or _utc(hi) + timedelta(seconds=1)
        return since, until

    def _extent_from_partitions(self, tables: list[str], window: TimeRange) -> tuple[datetime, datetime] | None:
        """The start of the first and the end of the last dt/hour partition in the window, from the partitions
        alone (a hive listing, an Iceberg snapshot's files; no query: a whole day's histogram is then one
        query); None when no partition is in it."""
        from loglake.lake.compaction import table_partitions

        found = sorted(
            part for table in tables for part in table_partitions(self.lake.store, table) if window.hours_overlap(*part)
        )
        if not found:
            return None
        (first_dt, first_hour), (last_dt, last_hour) = found[0], found[-1]
        first = datetime.fromisoformat(first_dt).replace(hour=first_hour, tzinfo=UTC)
        last = datetime.fromisoformat(last_dt).replace(hour=last_hour, tzinfo=UTC) + timedelta(hours=1)
        return window.since or first, window.until or last

    # Search

    def search(
        self, pattern: str, period: TimeRange | None, limit: int = 100, ignore_case: bool = False,
        request_id: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """query/search.py (skip index, pruning), with each message's match spans for highlighting; its
        DuckDB connection is registered under `request_id`, so the page's Cancel interrupts it."""
        from types import SimpleNamespace

        from loglake.query.search import Pattern, search

        found = Pattern.parse(pattern, ignore_case=ignore_case)
        with self._cancellable(request_id) as register:
            result = search(
                self.lake.store, found, time_range=period, limit=limit,
                on_connection=lambda con: register(SimpleNamespace(con=con)),
            )  # fmt: skip
        document = result.as_dict()
        spans = found.spans_of([str(row.get("message") or "") for row in document["rows"]])
        for row, marks in zip(document["rows"], spans, strict=True):
            row["spans"] = marks
        return document

    def event(
        self, table: str, log_group: str, log_stream: str, timestamp: str, message: str, around: int = 5,
        request_id: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Every field of one event (as search shows it: its time, stream and message), and the `around`
        events just before and after it in its stream. The event is looked up in the millisecond of its time
        (an engine may keep only milliseconds, Athena does); its neighbours around the time it has there."""
        if table not in clean_tables(self.lake.store):
            raise QueryError(f"no table {table!r} in this lake; see the Tables page")
        try:
            moment = _utc(datetime.fromisoformat(timestamp))
        except ValueError:
            raise QueryError(f"{timestamp!r} is not an ISO 8601 time") from None
        window = TimeRange(moment - timedelta(days=1), moment + timedelta(days=1))
        name = quote_identifier(table)
        pruned = window.table_sql(table)
        start = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        epoch_ms = timestamp_is_epoch_ms(table)
        within = " AND ".join(TimeRange(start, start + timedelta(milliseconds=1)).timestamp_sql(epoch_ms=epoch_ms))
        same = f"{pruned} AND log_group = {sql_string(log_group)} AND log_stream = {sql_string(log_stream)}"
        with self.engine(request_id) as runner:
            found = runner.query(
                f"SELECT * FROM {name} WHERE {same} AND {within} AND message = {sql_string(message)} "
                f'ORDER BY "timestamp" = {table_time_literal(table, moment)} DESC, event_id LIMIT 1'
            )
            if not found.rows:
                raise QueryError(f"that event of {log_group} is no longer in {table}; search again")
            fields = dict(zip(found.columns, found.rows[0], strict=True))
            kept = fields.get("timestamp")
            if epoch_ms and isinstance(kept, int):  # the table's own milliseconds
                at = str(kept)
            else:
                at = table_time_literal(table, _utc(kept) if isinstance(kept, datetime) else moment)
            event_id = str(fields.get("event_id"))
            key = sql_string(event_id)
            shown = '"timestamp", level, event_id, message' if "level" in fields else '"timestamp", event_id, message'
            before = runner.query(
                f'SELECT {shown} FROM {name} WHERE {same} AND ("timestamp" < {at} OR ("timestamp" = {at} '
                f'AND event_id < {key})) ORDER BY "timestamp" DESC, event_id DESC LIMIT {int(around)}'
            )
            after = runner.query(
                f'SELECT {shown} FROM {name} WHERE {same} AND ("timestamp" > {at} OR ("timestamp" = {at} '
                f'AND event_id > {key})) ORDER BY "timestamp", event_id LIMIT {int(around)}'
            )
        return {
            "fields": fields,
            "before": [dict(zip(before.columns, row, strict=True)) for row in reversed(before.rows)],
            "after": [dict(zip(after.columns, row, strict=True)) for row in after.rows],
        }

    # Tables

    def tables(self) -> list[dict[str, Any]]:
        """The schema registry's tables: columns, types, sources, each column's history, and the Athena DDL."""
        from loglake.catalog import athena_ddl

        registry = SchemaRegistry(self.lake.store)
        location, note = self.lake.store.uri, ""
        if not location.startswith("s3://"):  # Athena reads S3: show where the tables would be once uploaded
            location = PLACEHOLDER_LOCATION
            note = f"this lake is local: the DDL names {location}; `loglake ddl --location s3://…` prints it for yours"
        documents = []
        for name in sorted(registry.tables()):
            schema = registry.get(name)
            assert schema is not None
            documents.append(
                {
                    "name": name,
                    "formats": list(schema.formats),
                    "version": schema.version,
                    "columns": [asdict(column) for column in schema.columns],
                    "ddl": athena_ddl.clean_table_ddl(schema, location),
                    "ddl_note": note,
                }
            )
        return documents

    # Quarantine

    def quarantine(self, period: TimeRange | None, samples: int = 20, request_id: str | None = None) -> dict[str, Any]:
        """Quarantined records by reason and log group, and the newest samples."""
        where = f"WHERE {period.table_sql('quarantine')}" if period is not None else ""
        with self.engine(request_id) as runner:
            if not self._has_quarantine():
                return {"total": 0, "counts": [], "samples": []}
            counts = runner.query(
                f"SELECT {QUARANTINE_REASON} AS reason, log_group, count(*) AS n FROM quarantine {where} "
                "GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
            )
            newest = runner.query(
                f'SELECT reason, detail, log_group, log_stream, event_id, "timestamp", message, raw_object, stage '
                f'FROM quarantine {where} ORDER BY "timestamp" DESC, event_id LIMIT {int(samples)}'
            )
        return {
            "total": sum(int(n) for _r, _g, n in counts.rows),
            "counts": [{"reason": r, "log_group": g, "count": int(n)} for r, g, n in counts.rows],
            "samples": [dict(zip(newest.columns, row, strict=True)) for row in newest.rows],
        }

    def _has_quarantine(self) -> bool:
        from loglake.lake.keys import QUARANTINE_PREFIX

        return next(iter(self.lake.store.list(QUARANTINE_PREFIX)), None) is not None

    def redrive(self, reason: str | None, log_group: str | None) -> dict[str, Any]:
        """Re-run the ETL (as `loglake etl --force` does, with the configuration as it is now) on the raw
        objects that hold the quarantined records of one row of the counts (`reason` as the counts show it,
        NULL as 'unknown'; a None log group is the NULL one); the counts before and after say what moved."""
        from loglake.pipeline import run_etl_objects

        conditions = [  # import refusals name an s3:// object, not a raw one
            "raw_object LIKE 'raw/%'",
            f"{QUARANTINE_REASON} = {sql_string(reason)}" if reason is not None else "reason IS NULL",
            f"log_group = {sql_string(log_group)}" if log_group is not None else "log_group IS NULL",
        ]
        before = self.quarantine(None, samples=0)["total"]
        if before == 0:
            return {"raw_objects": 0, "before": 0, "after": 0, "failures": []}
        with self.engine() as runner:
            keys = [
                str(row[0])
                for row in runner.query(
                    f"SELECT DISTINCT raw_object FROM quarantine WHERE {' AND '.join(conditions)} ORDER BY 1"
                ).rows
            ]
        started = time.monotonic()
        run = run_etl_objects(self.lake, keys, self._config_loader().etl, force=True)
        after = self.quarantine(None, samples=0)["total"]
        return {
            "raw_objects": len(keys),
            "before": before,
            "after": after,
            "seconds": round(time.monotonic() - started, 3),
            "failures": [f"{failure.raw_object}: {failure.reason}" for failure in run.failures],
        }

    # Health

    def health(self, request_id: str | None = None, now: datetime | None = None) -> dict[str, Any]:
        """loglake status (lag per source, pending, runs, quarantine over the last 24 h) and loglake verify
        (conservation per raw object), on the console's engine."""
        from loglake.query.conservation import check_conservation
        from loglake.query.status import lake_status

        moment = now or datetime.now(UTC)
        with self.engine(request_id) as runner:
            status = lake_status(self.lake, runner, moment - timedelta(days=1), moment, moment)
            report = check_conservation(runner, self.lake.store, on_athena=self.engine_kind == "athena")
        document = status.as_dict()
        document["conservation"] = report.as_dict()
        return document


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return _utc(moment).isoformat().replace("+00:00", "Z")


_LEVELS = ("FATAL", "CRITICAL", "ERROR", "WARN", "WARNING", "NOTICE", "INFO", "DEBUG", "TRACE")


def _level_order(level: str) -> tuple[int, str]:
    return (_LEVELS.index(level) if level in _LEVELS else len(_LEVELS), level)
