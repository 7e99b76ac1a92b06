"""Hints for an empty answer: where the rows a user looked for went, when they are in another table.

Formats have tables of their own (Apache lines land in `apache_logs`, not `logs`), so `SELECT ... FROM logs
WHERE log_group = '/my/app'` can answer nothing while the lake holds that group's events elsewhere. An
empty answer is right for the SQL given, but the user's question had another answer: say where it is.
Paid only when an answer is empty.
"""

from __future__ import annotations

from typing import Any

from loglake.errors import StaleTableError
from loglake.query.engine import QueryEngine, QueryResult
from loglake.sql_quoting import quote_identifier, sql_string


def is_empty_answer(result: QueryResult) -> bool:
    """No rows, or one row of zeros and NULLs (`SELECT count(*) ...` over nothing)."""
    if not result.rows:
        return True
    return len(result.rows) == 1 and all(value in (0, None) for value in result.rows[0])


def log_groups_named(sql: str) -> list[str]:
    """The log groups a query filters on with `log_group = '...'` or `log_group IN (...)`."""
    from sqlglot import exp, parse_one
    from sqlglot.errors import SqlglotError

    try:
        tree = parse_one(sql, dialect="athena")
    except SqlglotError:
        return []
    groups: list[str] = []

    def literal(node: Any) -> None:
        if isinstance(node, exp.Literal) and node.is_string and node.this not in groups:
            groups.append(node.this)

    for node in tree.find_all(exp.EQ, exp.In):
        column = node.this if isinstance(node.this, exp.Column) else node.expression
        if not (isinstance(column, exp.Column) and column.name == "log_group"):
            continue
        for value in node.expressions if isinstance(node, exp.In) else [node.this, node.expression]:
            literal(value)
    return groups


def empty_answer_hint(engine: QueryEngine, sql: str, read: set[str], tables: list[str]) -> str | None:
    """Name the other clean tables that hold the log groups the query filters on (or any rows, when the
    tables it read are empty). `read` is the tables the query reads, `tables` every clean table.

    A table an earlier loglake wrote (StaleTableError) is not counted, and is named with its re-run, on a
    line of its own: it cannot turn the hint for another table into its refusal."""
    others = [t for t in tables if t not in read]
    searched = [t for t in tables if t in read]
    if not others or not searched:
        return None
    groups = log_groups_named(sql)
    where = f" WHERE log_group IN ({', '.join(sql_string(g) for g in groups)})" if groups else ""
    stale: dict[str, str] = {}
    if not groups:
        total = sum(_count(engine, t, "", stale) for t in searched)
        if total:
            return None  # the tables it read hold rows: the filter excluded them, as asked
    found = {t: n for t in others if (n := _count(engine, t, where, stale))}
    lines = [f"hint: {table} not searched: {reason}" for table, reason in stale.items()]
    if found:
        where_text = f"log group {', '.join(repr(g) for g in groups)} has" if groups else "the lake has"
        holdings = ", ".join(f"{n:,} in {t}" for t, n in found.items())
        lines.insert(
            0,
            f"hint: no rows from {', '.join(searched)}, but {where_text} events in other tables ({holdings}); "
            "formats have tables of their own, see `loglake tables`",
        )
    return "\n".join(lines) or None


def _count(engine: QueryEngine, table: str, where: str, stale: dict[str, str]) -> int:
    """The table's rows that match `where`; 0, with the reason in `stale`, for a table that must be rewritten."""
    try:
        rows = engine.query(f"SELECT count(*) FROM {quote_identifier(table)}{where}").rows
    except StaleTableError as exc:
        stale[table] = str(exc)
        return 0
    return int(rows[0][0]) if rows else 0
