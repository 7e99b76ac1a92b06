"""Partition pruning before any file is opened: the dt/hour partitions a query over one clean table reads.

DuckDB prunes hive partitions itself, but only after binding the view, and a view over Parquet files of
several schemas (union_by_name) reads every file's footer to bind: on an S3 lake, one GET per file of the
table. So when a query reads one clean table once (no join, subquery, CTE or set operation) and its WHERE
ANDs conditions on dt and hour alone, the view is made over the files of the partitions those conditions
keep, worked out by DuckDB on the partition values of the keys. The conditions still run in the query, so
the answer is the same; any other query's view lists every file, as before.
"""

from __future__ import annotations

from typing import Any

from loglake.errors import QueryError
from loglake.lake.clean_zone import PARTITIONS
from loglake.query.dialect import athena_to_duckdb, read_only_statement


def partition_condition(sql: str, tables: set[str]) -> tuple[str, list[str]] | None:
    """(table, its WHERE conditions on dt/hour in Athena SQL, unqualified) when pruning is safe, else None."""
    from sqlglot import exp

    statement = read_only_statement(sql)
    if not isinstance(statement, exp.Select) or statement.args.get("joins") or statement.args.get("with"):
        return None
    if any(statement.find_all(exp.Subquery, exp.Union, exp.Intersect, exp.Except, exp.Lateral, exp.Join)):
        return None
    refs = list(statement.find_all(exp.Table))
    where = statement.args.get("where")
    if len(refs) != 1 or refs[0].name not in tables or where is None:
        return None
    condition = where.this
    conjuncts = list(condition.flatten()) if isinstance(condition, exp.And) else [condition]
    kept = []
    for conjunct in conjuncts:
        names = {column.name for column in conjunct.find_all(exp.Column)}
        if names and names <= set(PARTITIONS):
            plain = conjunct.copy()
            for column in plain.find_all(exp.Column):
                column.set("table", None)
                column.set("db", None)
            kept.append(plain.sql(dialect="athena"))
    return (refs[0].name, kept) if kept else None


def kept_partitions(con: Any, partitions: list[tuple[str, int]], conditions: list[str]) -> set[tuple[str, int]] | None:
    """The partitions that satisfy every condition, evaluated as the query would (Athena SQL translated by
    the same dialect); None when DuckDB cannot evaluate them alone (the view then keeps every file)."""
    import duckdb

    if not partitions:
        return None
    where = " AND ".join(f"({condition})" for condition in conditions)
    try:
        # Only the conditions go through the translation (a year of hours as VALUES would take sqlglot seconds).
        text = athena_to_duckdb(f"SELECT dt, hour FROM __ll_partitions WHERE {where}", {"__ll_partitions": PARTITIONS})
        listed = "SELECT unnest(?::DATE[]) AS dt, unnest(?::INTEGER[]) AS hour"  # parameters: no SQL to parse
        days, hours = [dt for dt, _h in partitions], [hour for _dt, hour in partitions]
        rows = con.execute(f"WITH __ll_partitions AS ({listed}) {text}", [days, hours]).fetchall()
    except (duckdb.Error, QueryError):
        return None
    return {(str(dt), int(hour)) for dt, hour in rows}
