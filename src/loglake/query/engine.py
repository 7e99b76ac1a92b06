"""The embedded query engine: DuckDB over the lake's views."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

import duckdb

from loglake.catalog.duckdb_views import ZONE_VIEWS, clean_tables, create_views
from loglake.errors import QueryError
from loglake.lake.store import Store
from loglake.query.dialect import URL_MACROS, athena_to_duckdb, referenced_tables


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


class DuckDBEngine:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(URL_MACROS)
        self.tables = clean_tables(store)
        self._views: set[str] = set()

    def ensure_views(self, names: set[str] | None) -> None:
        """Create the views a query reads (all of them for None) that do not exist yet."""
        missing = None if names is None else names - self._views
        if missing is None or missing & (set(self.tables) | set(ZONE_VIEWS)):
            self._views |= set(create_views(self.con, self.store, missing))

    def query(self, sql: str, *, dialect: str = "athena") -> QueryResult:
        started = time.monotonic()
        if dialect == "athena":
            self.ensure_views(referenced_tables(sql))
            text = athena_to_duckdb(sql, self.schema())
        else:
            self.ensure_views(None)
            text = sql
        try:
            cursor = self.con.execute(text)
            rows = cursor.fetchall()
        except duckdb.Error as exc:
            message = str(exc).strip().splitlines()
            raise QueryError(" ".join(line.strip() for line in message if line.strip())[:500]) from None
        description = cursor.description or []
        stats = {"engine": "duckdb", "seconds": round(time.monotonic() - started, 3)}
        return QueryResult([d[0] for d in description], [str(d[1]) for d in description], rows, stats)

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

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
