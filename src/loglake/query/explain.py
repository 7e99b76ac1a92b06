"""`loglake query --explain`: which partitions and files a query reads, and how many bytes.

Partition pruning is worked out from the WHERE conditions that only involve dt and hour, and the bytes
from the Parquet footers: the compressed column chunks of the columns the query names, in the files
that survive pruning. That is how Athena bills a query over Parquet, so it is also the estimate of
the scan on Athena. JSON-lines tables have no column pruning: their whole files count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loglake.catalog.duckdb_views import HIVE_OPTIONS
from loglake.lake.keys import CLEAN_PREFIX
from loglake.query.dialect import read_only_statement
from loglake.query.engine import DuckDBEngine
from loglake.sql_quoting import sql_string

PARTITION_COLUMNS = {"dt", "hour"}


@dataclass
class ScanPlan:
    table: str
    partitions: list[tuple[str, int]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    bytes: int = 0
    table_files: int = 0
    table_bytes: int = 0
    columns: list[str] = field(default_factory=list)


def _conjuncts(where: Any) -> list[Any]:
    from sqlglot import exp

    if where is None:
        return []
    condition = where.this
    return list(condition.flatten()) if isinstance(condition, exp.And) else [condition]


def explain(engine: DuckDBEngine, sql: str) -> list[ScanPlan]:
    from sqlglot import exp

    statement = read_only_statement(sql)
    tables = sorted({t.name for t in statement.find_all(exp.Table)} & set(engine.tables))
    engine.ensure_views(set(tables))
    named = {c.name for c in statement.find_all(exp.Column)}
    star = any(isinstance(p, exp.Star) or (isinstance(p, exp.Column) and isinstance(p.this, exp.Star))
               for select in statement.find_all(exp.Select) for p in select.expressions)  # fmt: skip
    pruning = [
        c.sql(dialect="duckdb")
        for c in _conjuncts(statement.args.get("where"))
        if {col.name for col in c.find_all(exp.Column)}
        and {col.name for col in c.find_all(exp.Column)} <= PARTITION_COLUMNS
    ]
    plans = []
    for table in tables:
        prefix = f"{CLEAN_PREFIX}{table}/"
        parquet_glob = engine.store.glob(prefix + "*/*/*.parquet")
        plan = ScanPlan(table)
        schema_columns = set(engine.schema().get(table, {}))
        plan.columns = sorted((schema_columns if star else named & schema_columns) - PARTITION_COLUMNS)
        if not any(key.endswith(".parquet") for key in engine.store.list(prefix)):
            plans.append(plan)
            continue
        files = f"read_parquet({sql_string(parquet_glob)}, filename = true, {HIVE_OPTIONS})"
        where = f"WHERE {' AND '.join(pruning)}" if pruning else ""
        rows = engine.con.execute(
            f"SELECT DISTINCT dt, hour, filename FROM {files} {where} ORDER BY 1, 2, 3"
        ).fetchall()
        plan.partitions = sorted({(str(dt), int(hour)) for dt, hour, _f in rows})
        plan.files = [f for _dt, _hour, f in rows]
        all_files = [r[0] for r in engine.con.execute(f"SELECT DISTINCT filename FROM {files}").fetchall()]
        plan.table_files = len(all_files)
        plan.table_bytes = _chunk_bytes(engine, all_files, None)
        plan.bytes = _chunk_bytes(engine, plan.files, plan.columns)
        plans.append(plan)
    return plans


def _chunk_bytes(engine: DuckDBEngine, files: list[str], columns: list[str] | None) -> int:
    if not files:
        return 0
    listed = "[" + ", ".join(sql_string(f) for f in files) + "]"
    where = ""
    if columns is not None:
        if not columns:
            return 0
        where = "WHERE path_in_schema IN (" + ", ".join(sql_string(c) for c in columns) + ")"
    (total,) = engine.con.execute(
        f"SELECT coalesce(sum(total_compressed_size), 0) FROM parquet_metadata({listed}) {where}"
    ).fetchall()[0]
    return int(total)


def render_plan(plans: list[ScanPlan]) -> str:
    if not plans:
        return "no clean table is read by this query\n"
    lines = []
    for plan in plans:
        lines.append(
            f"{plan.table}: {len(plan.partitions)} partitions, {len(plan.files)} of {plan.table_files} files, "
            f"{plan.bytes:,} of {plan.table_bytes:,} bytes (columns: {', '.join(plan.columns) or 'none'})"
        )
        for dt, hour in plan.partitions[:24]:
            lines.append(f"  dt={dt}/hour={hour:02d}")
        if len(plan.partitions) > 24:
            lines.append(f"  ... {len(plan.partitions) - 24} more")
    return "\n".join(lines) + "\n"
