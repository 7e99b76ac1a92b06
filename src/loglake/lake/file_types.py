"""Reading clean files whose column types differ from the schema registry's (widened) type.

The registry widens a column when two writers disagree (WAF's `labels` is STRUCT("name" VARCHAR)[], a JSON
record's `labels` a string: VARCHAR), but each file keeps the type it was written with. DuckDB's
union_by_name unifies files by its own rules, not the registry's: it reads STRUCT[] and VARCHAR files as
STRUCT[] and fails on the string, and reads BOOLEAN and BIGINT files as BIGINT (true becomes 1). So a view
compares the type DuckDB found for each column with the registry's; only where they differ does it read
each file's types, group the files that agree, and cast each group to the registry's type itself: a nested
value becomes the JSON text the ETL writes for nested values of open-schema formats (`to_json`, as
transform/redaction.py does). Where every file agrees (the common case) nothing more is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from loglake.errors import ColumnTypeError
from loglake.lake.formats import OutputFormat
from loglake.lake.schema_registry import as_varchar_sql, is_nested, widen
from loglake.lake.store import glob_unescape
from loglake.sql_quoting import quote_identifier


@dataclass(frozen=True)
class TypedRead:
    """One reader over files that agree on the columns that matter, with each registry column's expression."""

    source: str
    expressions: dict[str, str]
    """Column name -> SQL of its value in the registry's type (NULL cast for a column the files lack)."""
    present: frozenset[str]
    """The columns these files hold."""


def typed_reads(
    con: Any,
    fmt: OutputFormat,
    table: str,
    files: Sequence[str],
    columns: dict[str, str],
    partitions: dict[str, str],
    *,
    hive: bool,
    converted: frozenset[str] = frozenset(),
) -> list[TypedRead]:
    """Readers whose rows, UNION ALL, are `files` under `columns` (the registry's types) and `partitions`:
    one reader when DuckDB's types agree with the registry's, else one per group of files that agree with
    each other. Raises ColumnTypeError where a file's type cannot become the registry's. The `converted`
    columns (compaction's `timestamp` of any version) the caller converts itself: they are not compared."""
    typed = dict(columns, **partitions)
    compared = {n: t for n, t in columns.items() if n not in converted}
    source = fmt.reader(files, columns, hive=hive)
    try:
        found = _types(con, source)
    except duckdb.Error:  # union_by_name cannot unify the files at all (two different STRUCTs)
        found = None
    differing = set(compared) if found is None else _differing(con, compared, found)
    if not differing:
        assert found is not None
        return [TypedRead(source, _expressions(table, typed, found, set(), []), frozenset(found))]
    groups: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for path in files:  # per-file reads only here, where files disagree
        own = _types(con, fmt.reader([path], columns, hive=hive))
        groups.setdefault(tuple(sorted((n, t) for n, t in own.items() if n in differing)), []).append(path)
    reads = []
    for group in groups.values():
        group_source = fmt.reader(group, columns, hive=hive)
        group_types = _types(con, group_source)
        expressions = _expressions(table, typed, group_types, differing, group)
        reads.append(TypedRead(group_source, expressions, frozenset(group_types)))
    return reads


def _types(con: Any, source: str) -> dict[str, str]:
    return {str(row[0]): str(row[1]) for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}


def _differing(con: Any, columns: dict[str, str], found: dict[str, str]) -> set[str]:
    """Columns whose type DuckDB found is not the registry's. The registry spells some types its own way
    (STRUCT(name VARCHAR)[]): those DuckDB names once, in one query that reads no file."""
    unlike = [n for n in columns if n in found and found[n] not in (columns[n], *_ALL_NULL)]
    if not unlike:
        return set()
    spelled = con.execute("SELECT " + ", ".join(f"typeof(NULL::{columns[n]})" for n in unlike)).fetchall()[0]
    return {n for n, type_ in zip(unlike, spelled, strict=True) if found[n] != type_}


_ALL_NULL = ("NULL", '"NULL"')
"""How DESCRIBE names the type of a column the ETL wrote with no value at all (`level` of JSON records
without one): every type holds it."""


def _expressions(
    table: str, columns: dict[str, str], found: dict[str, str], differing: set[str], files: Sequence[str]
) -> dict[str, str]:
    expressions = {}
    for name, type_ in columns.items():
        column = quote_identifier(name)
        if name not in found:
            expressions[name] = f"CAST(NULL AS {type_})"
        elif name in differing:
            expressions[name] = _convert(table, name, column, found[name], type_, files)
        else:
            expressions[name] = f"CAST({column} AS {type_})"
    return expressions


def _convert(table: str, name: str, column: str, stored: str, wanted: str, files: Sequence[str]) -> str:
    """SQL: `column`, stored as `stored`, in the registry's `wanted` type; ColumnTypeError where no value
    of `stored` is sure to fit `wanted`."""
    if stored in _ALL_NULL:
        return f"CAST({column} AS {wanted})"
    if wanted == "VARCHAR":
        return as_varchar_sql(column, stored)
    if widen(stored, wanted) == wanted and not is_nested(stored):  # INTEGER in a BIGINT or DOUBLE column
        return f"CAST({column} AS {wanted})"
    first = glob_unescape(files[0])
    where = first if len(files) == 1 else f"{first} and {len(files) - 1} more files"
    raise ColumnTypeError(
        f"table {table}: column {name} is {wanted} in the schema registry but {stored} in {where}, which "
        f"{wanted} cannot hold; widen the registry from the raw zone with `loglake etl --force`"
    )
