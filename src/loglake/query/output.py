"""Rendering query results: an aligned table for people, CSV and JSON for scripts."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import orjson

from loglake.errors import QueryError
from loglake.query.engine import QueryResult

FORMATS = ("table", "csv", "json")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def to_csv(result: QueryResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([_cell(v) for v in row] for row in result.rows)
    return buffer.getvalue()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def to_json(result: QueryResult) -> str:
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    return orjson.dumps(rows, default=_json_default, option=orjson.OPT_INDENT_2).decode() + "\n"


TABLE_ROW_LIMIT = 1_000
"""Rows a table shows unless --limit/--all say otherwise: a screen's worth many times over, not a million."""


def to_table(result: QueryResult, max_width: int = 60, limit: int | None = None) -> str:
    """Plain aligned text; numbers right-aligned. Long values are cut with '…' (use csv/json for all of it).

    With `limit`, only the first `limit` rows are drawn and the last line says how many there are in all.
    """
    total = len(result.rows)
    if limit is not None and total > limit:
        result = QueryResult(result.columns, result.types, result.rows[:limit], result.stats)
    numeric = [
        t.split("(")[0] in {"BIGINT", "INTEGER", "DOUBLE", "HUGEINT", "DECIMAL", "FLOAT", "SMALLINT"}
        for t in result.types
    ]
    cells = [[_cell(v).replace("\n", "⏎") for v in row] for row in result.rows]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in cells]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(result.columns)]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(result.columns), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    if len(result.rows) < total:
        out.append(f"(first {len(result.rows):,} of {total:,} rows)")
    else:
        out.append(f"({total} row{'s' if total != 1 else ''})")
    return "\n".join(out) + "\n"


def render(result: QueryResult, fmt: str, limit: int | None = None) -> str:
    """`limit` cuts only the table: csv and json are for programs, which get every row."""
    if fmt == "table":
        return to_table(result, limit=limit)
    return {"csv": to_csv, "json": to_json}[fmt](result)


def rows_not_shown_hint(total: int, limit: int) -> str:
    """The stderr line under a cut table: how many rows are missing and the three ways to see them."""
    return (
        f"{total - limit:,} of {total:,} rows not shown: raise the limit with --limit N, show all with --all, "
        "or save them with --out FILE (.csv, .json, .parquet)"
    )


_TIME_TYPES = ("TIMESTAMP", "DATE", "TIMESTAMP WITH TIME ZONE", "timestamp", "date")
_COUNT_TYPES = ("BIGINT", "INTEGER", "HUGEINT", "bigint", "integer")


def histogram(result: QueryResult, width: int = 40) -> str | None:
    """Bars for a result that is one time column and one count per row (errors per hour, ...), else None."""
    if len(result.columns) != 2 or not result.rows:
        return None
    kinds = [t.split("(")[0].strip() for t in result.types]
    if kinds[0] not in _TIME_TYPES or kinds[1] not in _COUNT_TYPES:
        return None
    rows = sorted((r for r in result.rows if r[0] is not None and r[1] is not None), key=lambda r: r[0])
    peak = max((int(r[1]) for r in rows), default=0) or 1
    lines = [
        f"{_cell(when):>19} │{'█' * round(int(count) * width / peak):<{width}} {int(count):,}" for when, count in rows
    ]
    return "\n".join(lines) + "\n"


def write_result(result: QueryResult, path: Path) -> None:
    """Save a result as Parquet, CSV or JSON, chosen by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        path.write_text(to_csv(result))
    elif suffix == ".json":
        path.write_text(to_json(result))
    elif suffix == ".parquet":
        _write_parquet(result, path)
    else:
        raise QueryError(f"--out {path}: use a .parquet, .csv or .json file")


def _write_parquet(result: QueryResult, path: Path) -> None:
    """Write Parquet with DuckDB, never putting a column name into SQL text.

    Column names are whatever a query's aliases say (`x") TO '/tmp/pwn' --` included), so the rows go
    into a table of generated names c0, c1, ... by position, and the names arrive as a parameter: a
    struct of NULLs with those field names. coalesce() of the typed unnamed row and that struct takes
    the row's types and the struct's names, and unnest() makes them the columns. The connection may
    write only the output file, and its settings are locked.
    """
    folded: dict[str, str] = {}
    for name in result.columns:
        if not name:
            raise QueryError(f"--out {path}: a column has no name; give it one with AS")
        if name.lower() in folded:
            raise QueryError(
                f"--out {path}: two columns are named {folded[name.lower()]!r} and {name!r} (DuckDB's names "
                "ignore case); give them different aliases with AS"
            )
        folded[name.lower()] = name
    target = path.resolve()
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        # DuckDB writes tmp_<name> first when the file exists, then renames it over the file.
        con.execute("SET allowed_paths = ?", [[str(target), str(target.with_name("tmp_" + target.name))]])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        columns = [f"c{i}" for i in range(len(result.columns))]
        types = [_duckdb_type(con, t) for t in result.types]
        con.execute(f"CREATE TABLE result ({', '.join(f'{c} {t}' for c, t in zip(columns, types, strict=True))})")
        appender = con.appender("result")  # 50,000 rows of 3 columns: 0.24 s, where executemany took 54 s
        appender.append_rows(result.rows)
        appender.flush()
        con.execute(
            f"COPY (SELECT unnest(coalesce(row({', '.join(columns)}), $names)) FROM result) "
            "TO $path (FORMAT parquet, COMPRESSION zstd)",
            {"names": dict.fromkeys(result.columns), "path": str(target)},
        )
    except duckdb.Error as exc:
        raise QueryError(f"--out {path}: cannot write Parquet: {' '.join(str(exc).split())[:300]}") from None
    finally:
        con.close()


_ATHENA_TYPES = {"varchar": "VARCHAR", "bigint": "BIGINT", "integer": "INTEGER", "double": "DOUBLE",
                 "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP", "real": "FLOAT"}  # fmt: skip


def _duckdb_type(con: duckdb.DuckDBPyConnection, type_: str) -> str:
    """A DuckDB column type for a result type (DuckDB's, embedded; Athena's): VARCHAR when it is neither.

    The text that reaches CREATE TABLE is DuckDB's own rendering of a type its type parser accepted,
    so a type string can only ever be a type.
    """
    base = type_.split("(")[0].strip()
    if base.lower() in _ATHENA_TYPES:
        return _ATHENA_TYPES[base.lower()]
    if not base.isupper():
        return "VARCHAR"
    try:
        parsed = str(con.sqltype(type_))
    except duckdb.Error:  # a type DuckDB cannot parse is saved as text
        return "VARCHAR"
    return "INTEGER" if parsed == '"NULL"' else parsed  # an all-NULL column, as CREATE TABLE AS makes it
