"""One SQL dialect for users: Athena (Trino). Locally it is translated to DuckDB with sqlglot.

Known gaps between the engines (integer division, format_datetime, parse_datetime, url_extract_*,
date_add types) are not bridged yet; see docs/query.md.
"""

from __future__ import annotations

from loglake.errors import QueryError


def athena_to_duckdb(sql: str) -> str:
    """Translate one read-only statement; errors name the line and column."""
    import sqlglot
    from sqlglot import exp

    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except sqlglot.ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        reason = str(first.get("description") or exc).splitlines()[0]
        raise QueryError(f"SQL syntax error{where}: {reason}") from None
    if len(statements) != 1:
        raise QueryError(f"expected one SQL statement, got {len(statements)}")
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        raise QueryError(f"only read-only queries (SELECT, WITH, VALUES) can run here, not {statement.key.upper()}")
    return statement.sql(dialect="duckdb")
