"""The Python API for notebooks and scripts: `lake = loglake.connect()`, then query, search, ingest, verify.

It is the CLI's engines and rules, without the terminal: the lake is found as the CLI finds it (argument,
$LOGLAKE_LAKE, loglake.toml, ./lake), queries are Athena SQL run read-only by DuckDB, `ingest` runs the
ETL so that `verify` holds afterwards, and every failure is a LoglakeError with the one-line message the
CLI would print. A result hands its rows to Arrow, pandas or polars from DuckDB directly; each of those
packages is an optional extra, and a missing one is named in the error.
"""

from __future__ import annotations

import importlib.util
import itertools
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from loglake.config import Config, load_config
from loglake.errors import ConfigError
from loglake.lake.open import Lake, open_lake
from loglake.query.conservation import ConservationReport
from loglake.query.search import DEFAULT_LIMIT, SearchResult
from loglake.sources.local_files import FileReport
from loglake.transform.etl import EtlResult

Moment = str | datetime | None
"""A --since/--until value: 15m, 2h, 3d, an ISO 8601 text, or a datetime (naive means UTC)."""

_EXTRAS = {"pyarrow": "arrow", "pandas": "pandas", "polars": "polars"}
_names = itertools.count()


def _need(module: str) -> None:
    """A one-line error naming the extra to install, rather than DuckDB's ImportError from deep inside."""
    if importlib.util.find_spec(module) is None:
        extra = _EXTRAS[module]
        raise ConfigError(f"this needs {module}, which is not installed: pip install 'loglake[{extra}]'")


class Result:
    """One query's answer, kept in DuckDB (in memory) until the result is dropped, so `.rows`, `.to_arrow()`,
    `.to_pandas()` and `.to_polars()` all show the same rows, read once from the lake."""

    def __init__(self, engine: Any, table: str, sql: str, seconds: float) -> None:
        self._engine = engine
        self._table = table
        self.sql = sql
        """The SQL that ran (Athena dialect, with the time range applied)."""
        self.seconds = seconds
        cursor = engine.con.execute(f"SELECT * FROM {table}")
        self.rows: list[tuple[Any, ...]] = cursor.fetchall()
        description = cursor.description or []
        self.columns: list[str] = [d[0] for d in description]
        self.types: list[str] = [str(d[1]) for d in description]
        self._finalizer = weakref.finalize(self, engine.close)

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"<loglake.Result {len(self.rows):,} rows × {len(self.columns)} columns: {', '.join(self.columns)}>"

    def _relation(self) -> duckdb.DuckDBPyRelation:
        if not self._finalizer.alive:
            raise ConfigError("this result was closed; run the query again")
        relation: duckdb.DuckDBPyRelation = self._engine.con.table(self._table)
        return relation

    def to_arrow(self) -> Any:
        """A pyarrow.Table (extra: arrow)."""
        _need("pyarrow")
        return self._relation().to_arrow_table()

    def to_pandas(self) -> Any:
        """A pandas.DataFrame (extra: pandas)."""
        _need("pandas")
        return self._relation().df()

    def to_polars(self) -> Any:
        """A polars.DataFrame (extra: polars)."""
        _need("polars")
        return self._relation().pl()

    def dicts(self) -> list[dict[str, Any]]:
        """The rows as {column: value} dictionaries."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def close(self) -> None:
        """Free the DuckDB memory now rather than when the result is garbage-collected."""
        self._finalizer()


@dataclass
class IngestReport:
    files: list[FileReport]
    etl: list[EtlResult] = field(default_factory=list)

    @property
    def events(self) -> int:
        return sum(report.events for report in self.files)

    @property
    def clean_rows(self) -> int:
        return sum(result.manifest.clean_rows for result in self.etl if not result.skipped)

    @property
    def quarantined_rows(self) -> int:
        return sum(result.manifest.quarantined_rows for result in self.etl if not result.skipped)


class Loglake:
    """A lake, as `loglake.connect()` opens it. Cheap to keep: every call opens what it needs and closes it."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.lake: Lake = open_lake(config.lake, config.raw, config.table_bucket_arn)

    @property
    def uri(self) -> str:
        return self.lake.store.uri

    def __repr__(self) -> str:
        return f"<loglake.Loglake {self.uri} ({self.config.lake_origin_text()})>"

    def _existing(self) -> Lake:
        """As the CLI: a reading call on a folder with no lake is an error, not 0 rows."""
        if not self.lake.exists():
            raise ConfigError(
                f"no lake at {self.uri} ({self.config.lake_origin_text()}); pass connect(lake=...) (or set "
                f"$LOGLAKE_LAKE, or lake in loglake.toml), or create this one with lake.ingest([...])"
            )
        return self.lake

    def query(self, sql: str, *, since: Moment = None, until: Moment = None, dialect: str = "athena") -> Result:
        """Run one read-only query (Athena SQL by default). since/until keep, in every lake table it reads,
        only the rows in [since, until), with partition pruning, as `loglake query --since/--until` does."""
        import time

        from loglake.catalog.duckdb_views import clean_tables
        from loglake.query.engine import DuckDBEngine
        from loglake.query.time_range import TimeRange, apply_time_range

        lake = self._existing()
        started = time.monotonic()
        period = TimeRange.parse(since, until)
        if period is not None:
            sql = apply_time_range(sql, period, clean_tables(lake.store), dialect=dialect)
        engine = DuckDBEngine(lake.store)
        try:
            text = engine.prepare(sql, dialect=dialect).strip().rstrip(";")
            table = f"loglake_result_{next(_names)}"
            try:
                engine.execute(f"CREATE TEMP TABLE {table} AS {text}")
            except duckdb.Error as exc:
                raise engine._error(exc, sql) from None
            return Result(engine, table, sql, time.monotonic() - started)
        except BaseException:
            engine.close()
            raise

    def saved(self, name: str, *, since: Moment = None, until: Moment = None, **params: str | int) -> Result:
        """Run a saved query (`loglake saved` lists them) with its parameters as keyword arguments."""
        from loglake.query.saved_queries import saved_query
        from loglake.query.time_range import TimeRange

        period = TimeRange.parse(since, until)
        return self.query(saved_query(name, {k: str(v) for k, v in params.items()}, period))

    def search(
        self,
        pattern: str,
        *,
        since: Moment = None,
        until: Moment = None,
        groups: list[str] | None = None,
        tables: list[str] | None = None,
        columns: list[str] | None = None,
        limit: int = DEFAULT_LIMIT,
        ignore_case: bool = False,
    ) -> SearchResult:
        """The newest `limit` events whose message matches text or `/regex/`, as `loglake search` finds them
        (skip index included); `.matches` counts all of them, `.rows` are dictionaries."""
        from loglake.query.search import Pattern, search
        from loglake.query.time_range import TimeRange

        lake = self._existing()
        if limit < 1:
            raise ConfigError(f"limit must be 1 or more, not {limit}")
        return search(
            lake.store,
            Pattern.parse(pattern, ignore_case=ignore_case),
            columns=columns,
            tables=tables,
            groups=groups,
            time_range=TimeRange.parse(since, until),
            limit=limit,
        )

    def ingest(
        self,
        paths: str | Iterable[str],
        *,
        log_group: str | None = None,
        multiline_start: str | None = None,
        etl: bool = True,
        workers: int | None = None,
    ) -> IngestReport:
        """Read files (paths or globs; resumes where the last run stopped) into the raw zone, then run the ETL
        on every pending raw object, so that `verify()` holds and the events are queryable when it returns."""
        from loglake.sources.local_files import FileSource, FileSourceOptions, expand_paths
        from loglake.sources.multiline import EventBoundary

        source = FileSource(
            self.lake.store,
            FileSourceOptions(
                log_group=log_group or self.config.ingest.get("log_group", "local"),
                boundary=EventBoundary.from_regex(multiline_start or self.config.ingest.get("multiline_start")),
            ),
        )
        files = expand_paths([paths] if isinstance(paths, str) else list(paths))
        refusals = [reason for path in files if (reason := source.refusal(path))]
        if refusals:  # before anything is read, as the CLI
            raise ConfigError(refusals[0])
        report = IngestReport([source.ingest(path) for path in files])
        if etl:
            report.etl = self.etl(workers=workers)
        return report

    def etl(self, *, workers: int | None = None) -> list[EtlResult]:
        """Run the ETL on every raw object without a committed run; raises the run's error after doing the rest."""
        from loglake.pipeline import pending_raw_objects, run_etl_objects

        keys = pending_raw_objects(self.lake)
        if not keys:
            return []
        run = run_etl_objects(self.lake, keys, self.config.etl, workers=workers)
        error = run.error()
        if error is not None:
            raise error
        return run.results

    def verify(self, *, since: Moment = None, until: Moment = None) -> ConservationReport:
        """Conservation, with SQL: `.ok` is True when clean + quarantined = distinct raw events for every raw
        object (`.objects` says which do not, and why)."""
        from loglake.query.conservation import check_conservation
        from loglake.query.engine import DuckDBEngine
        from loglake.query.time_range import TimeRange

        lake = self._existing()
        with DuckDBEngine(lake.store) as engine:
            return check_conservation(engine, lake.store, time_range=TimeRange.parse(since, until))

    def tables(self) -> list[str]:
        """The clean tables (each is a view of its name in queries)."""
        from loglake.catalog.duckdb_views import clean_tables

        return clean_tables(self._existing().store)


def connect(lake: str | None = None, *, raw: str | None = None) -> Loglake:
    """Open a lake: `lake` is a folder or s3://bucket/prefix; None finds it as the CLI does ($LOGLAKE_LAKE,
    then `lake` in loglake.toml here or in a folder above, then ./lake)."""
    return Loglake(load_config(lake, raw_flag=raw))
