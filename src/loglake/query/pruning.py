"""Partition pruning before any file is opened: the dt/hour partitions a query over one clean table reads.

DuckDB prunes hive partitions itself, but only after binding the view, and a view over Parquet files of
several schemas (union_by_name) reads every file's footer to bind: on an S3 lake, one GET per file of the
table. So when a query reads one clean table once (no join, subquery, CTE or set operation) and its WHERE
ANDs conditions on dt and hour alone, the view is made over the files of the partitions those conditions
keep, worked out by DuckDB on the partition values of the keys. The conditions still run in the query, so
the answer is the same; any other query's view lists every file, as before.

Text conditions on `message` (LIKE, ILIKE, regexp_like with a literal pattern) that every row a table
gives the query must satisfy let the view also leave out the files whose skip index rules them out
(text_conditions; the engine asks query/skip_candidates.py). A wrong skip is a silent wrong answer, so
anything that is not plainly such a condition (OR, NOT, CASE, outer joins, a table read twice with
different conditions, a CTE of the table's name) leaves every file in the view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loglake.errors import QueryError
from loglake.lake.clean_zone import PARTITIONS
from loglake.query import skip_candidates
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


@dataclass(frozen=True)
class TextCondition:
    """`message LIKE 'p'` (ESCAPE 'e'), `message ILIKE 'p'` or `regexp_like(message, 'p')`: a WHERE conjunct
    every row read from a table must satisfy, so a file whose skip index rules it out holds no such row."""

    kind: str
    """like, ilike or regex"""
    pattern: str
    escape: str | None = None

    def sql(self) -> str:
        """The condition as the query states it (for --explain)."""
        quoted = "'" + self.pattern.replace("'", "''") + "'"
        if self.kind == "regex":
            return f"regexp_like(message, {quoted})"
        escape = "" if self.escape is None else " ESCAPE '" + self.escape.replace("'", "''") + "'"
        return f"message {self.kind.upper()} {quoted}{escape}"

    def items(self) -> list[str]:
        """What the skip index is asked (query/skip_candidates.py); [] when it cannot help."""
        if self.kind == "regex":
            return skip_candidates.regex_items(self.pattern, ignore_case=False)
        pieces = skip_candidates.like_pieces(self.pattern, self.escape)
        return skip_candidates.pieces_items(pieces) if pieces else []


def text_conditions(sql: str, tables: set[str]) -> dict[str, frozenset[TextCondition]]:
    """table → the text conditions on its `message` that every row it gives the query must satisfy.

    A view serves every reference to its table in the query, so a table qualifies only when each reference
    has the same non-empty set. A reference's conditions are the top-level AND conjuncts of the WHERE of the
    SELECT that reads it directly (`alias.message`, or `message` when it is that SELECT's only source),
    followed outward through `(SELECT * FROM t WHERE ...) AS a` (what --since makes of a table). Nothing
    under OR, NOT or CASE qualifies, nor a SELECT with an outer, semi or anti join, nor a table that a CTE
    name shadows: there a skipped file could change the answer."""
    from sqlglot import exp

    statement = read_only_statement(sql)
    shadowed = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    named = {table.lower(): table for table in tables}  # DuckDB and Athena match names in any case
    found: dict[str, list[frozenset[TextCondition]]] = {}
    for ref in statement.find_all(exp.Table):
        name = ref.name.lower()
        if name in named:
            found.setdefault(name, []).append(_reference_conditions(ref))
    return {
        named[name]: sets[0] for name, sets in found.items() if name not in shadowed and sets[0] and len(set(sets)) == 1
    }


def _reference_conditions(ref: Any) -> frozenset[TextCondition]:
    from sqlglot import exp

    if any(ref.args.get(arg) for arg in ("sample", "pivots", "joins", "laterals", "when", "version")):
        return frozenset()
    if _renames_columns(ref):
        return frozenset()
    found: set[TextCondition] = set()
    node, alias = ref, ref.alias_or_name.lower()
    while alias:
        select = _select_reading(node)
        if select is None:
            break
        where = select.args.get("where")
        # `message` unqualified is the table's only when nothing else in the FROM can name one: a LATERAL VIEW
        # can (`t AS message`, or inline() of a struct with a message field)
        single = not select.args.get("joins") and not select.args.get("laterals")
        for conjunct in _conjuncts_of(where.this) if where is not None else []:
            if (condition := _text_condition(conjunct, alias, single)) is not None:
                found.add(condition)
        used = {key for key, value in select.args.items() if value}
        star = len(select.expressions) == 1 and isinstance(select.expressions[0], exp.Star)
        star = star and not any(select.expressions[0].args.values())  # * REPLACE (... AS message), * EXCEPT
        parent = select.parent
        if not (star and used <= {"expressions", "from_", "where"} and isinstance(parent, exp.Subquery)):
            break
        if any(parent.args.get(arg) for arg in ("sample", "pivots", "joins", "laterals")) or _renames_columns(parent):
            break
        node, alias = parent, parent.alias_or_name.lower()
    return frozenset(found)


def _renames_columns(source: Any) -> bool:
    """`AS a(x, y, message)` names the columns by position: `a.message` may be another column."""
    alias = source.args.get("alias")
    return bool(alias is not None and alias.args.get("columns"))


def _select_reading(node: Any) -> Any:
    """The SELECT whose FROM or inner/cross JOIN reads `node` directly, or None."""
    from sqlglot import exp

    parent = node.parent
    if not (isinstance(parent, exp.From) or (isinstance(parent, exp.Join) and parent.this is node)):
        return None
    parent = parent.parent
    if not isinstance(parent, exp.Select):
        return None
    for join in parent.args.get("joins") or []:
        if join.args.get("side") or (join.args.get("kind") or "INNER").upper() not in ("INNER", "CROSS"):
            return None
        if join.args.get("method"):  # NATURAL, ASOF, ...
            return None
    return parent


def _conjuncts_of(condition: Any) -> list[Any]:
    from sqlglot import exp

    if isinstance(condition, exp.Paren):
        return _conjuncts_of(condition.this)
    if isinstance(condition, exp.And):
        return _conjuncts_of(condition.this) + _conjuncts_of(condition.expression)
    return [condition]


def _text_condition(conjunct: Any, alias: str, single: bool) -> TextCondition | None:
    from sqlglot import exp

    escape = None
    if isinstance(conjunct, exp.Escape):
        given = conjunct.expression
        if not (isinstance(given, exp.Literal) and given.is_string):
            return None
        escape, conjunct = str(given.this), conjunct.this
    if isinstance(conjunct, exp.Like | exp.ILike):
        kind = "like" if isinstance(conjunct, exp.Like) else "ilike"
        extra = {key for key, value in conjunct.args.items() if value} - {"this", "expression"}
    elif isinstance(conjunct, exp.RegexpLike) and escape is None:
        kind = "regex"
        extra = {key for key, value in conjunct.args.items() if value} - {"this", "expression"}
    else:
        return None
    column, pattern = conjunct.this, conjunct.expression
    if extra or not (isinstance(pattern, exp.Literal) and pattern.is_string):
        return None  # NOT LIKE (negate), a regex flag, LIKE ANY, a pattern that is not a literal
    if not isinstance(column, exp.Column) or column.name.lower() != "message" or column.args.get("db"):
        return None
    if (column.table.lower() != alias) if column.table else not single:
        return None
    return TextCondition(kind, str(pattern.this), escape)
