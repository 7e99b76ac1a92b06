"""`loglake query --explain`: which partitions and files a query reads, and how many bytes.

Partition pruning is worked out from the WHERE conditions that only involve dt and hour, and the bytes
from the Parquet footers: the compressed column chunks of the columns the query names, in the files
that survive pruning. That is how Athena bills a query over Parquet, so it is also the estimate of
the scan on Athena. The embedded engine also leaves out the files whose skip index rules out a
`message LIKE '%term%'` every row must meet (query/pruning.py), and the plan says how many (Athena reads
them). Formats without column chunks (JSON lines: lake/formats) are left out of the count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loglake.errors import QueryError
from loglake.lake.clean_zone import FILES_PATTERN, PARTITIONS, table_prefix
from loglake.lake.formats import FORMATS
from loglake.lake.iceberg import in_s3tables
from loglake.lake.store import glob_unescape
from loglake.query.dialect import read_only_statement
from loglake.query.engine import DuckDBEngine
from loglake.query.pruning import TextCondition, text_conditions
from loglake.query.skip_candidates import SkipCount, may_match
from loglake.query.time_range import TimeRange


@dataclass
class ScanPlan:
    table: str
    partitions: list[tuple[str, int]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    bytes: int = 0
    table_files: int = 0
    table_bytes: int = 0
    columns: list[str] = field(default_factory=list)
    skip_conditions: list[str] = field(default_factory=list)
    """The text conditions the skip index was asked about (query/pruning.py's text_conditions); [] when none."""
    skipped_by_index: int = 0
    read_without_index: int = 0
    """Files read because they have no skip index, or a stale one."""


def _conjuncts(where: Any) -> list[Any]:
    from sqlglot import exp

    if where is None:
        return []
    condition = where.this
    return list(condition.flatten()) if isinstance(condition, exp.And) else [condition]


def explain(engine: DuckDBEngine, sql: str, time_range: TimeRange | None = None) -> list[ScanPlan]:
    """`time_range` (--since/--until) prunes as its dt/hour conditions would in the query's WHERE."""
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
        and {col.name for col in c.find_all(exp.Column)} <= set(PARTITIONS)
    ] + (time_range.partition_sql() if time_range else [])
    texts = text_conditions(sql, set(engine.tables)) if engine.use_skip_index else {}
    texts = {table: conditions for table, conditions in texts.items() if engine.has_message(table)}
    plans = []
    for table in tables:
        if in_s3tables(engine.store, table):
            raise QueryError(
                f"query --explain does not support the Iceberg table {table!r} in S3 Tables (its storage cannot "
                "be listed): run the query without --explain"
            )
        prefix = table_prefix(table)
        plan = ScanPlan(table)
        schema_columns = set(engine.schema().get(table, {}))
        plan.columns = sorted((schema_columns if star else named & schema_columns) - set(PARTITIONS))
        keys = list(engine.store.list(prefix))
        where = f"WHERE {' AND '.join(pruning)}" if pruning else ""
        for fmt in FORMATS.values():
            if not any(key.endswith(fmt.suffix) for key in keys) or not fmt.column_chunks:
                continue  # a format without footers (JSON lines) cannot say what a scan reads
            files = fmt.reader(engine.store.glob(prefix + FILES_PATTERN + fmt.suffix), {}, filename=True)
            rows = engine.con.execute(
                f"SELECT DISTINCT dt, hour, filename FROM {files} {where} ORDER BY 1, 2, 3"
            ).fetchall()
            chosen = [f for _dt, _hour, f in rows]
            if table in texts:
                chosen = _skip(engine, plan, table, texts[table], fmt.suffix, chosen)
            every = [r[0] for r in engine.con.execute(f"SELECT DISTINCT filename FROM {files}").fetchall()]
            kept = set(chosen)
            plan.partitions = sorted(set(plan.partitions) | {(str(dt), int(hour)) for dt, hour, f in rows if f in kept})
            plan.files += chosen
            plan.table_files += len(every)
            plan.table_bytes += fmt.scanned_bytes(engine.con, every, None) or 0
            plan.bytes += fmt.scanned_bytes(engine.con, chosen, plan.columns) or 0
        plans.append(plan)
    return plans


def _skip(
    engine: DuckDBEngine,
    plan: ScanPlan,
    table: str,
    conditions: frozenset[TextCondition],
    suffix: str,
    chosen: list[str],
) -> list[str]:
    """The files of `chosen` (paths as DuckDB names them) that the skip index does not rule out, as a query
    would read them (DuckDBEngine._prune), counted in the plan."""
    items = sorted({item for condition in conditions for item in condition.items()})
    if not items:
        return chosen
    pattern = FILES_PATTERN + suffix
    root = glob_unescape(engine.store.glob(table_prefix(table) + pattern)[: -len(pattern)])
    keys = {table_prefix(table) + path[len(root) :]: path for path in chosen if path.startswith(root)}
    count = SkipCount()
    kept = set(may_match(engine.store, sorted(keys), items, count))
    plan.skip_conditions = sorted({*plan.skip_conditions, *(c.sql() for c in conditions)})
    plan.skipped_by_index += count.skipped
    plan.read_without_index += count.read_without_index
    skipped = {path for key, path in keys.items() if key not in kept}
    return [path for path in chosen if path not in skipped]


def render_plan(plans: list[ScanPlan]) -> str:
    if not plans:
        return "no clean table is read by this query\n"
    lines = []
    for plan in plans:
        lines.append(
            f"{plan.table}: {len(plan.partitions)} partitions, {len(plan.files)} of {plan.table_files} files, "
            f"{plan.bytes:,} of {plan.table_bytes:,} bytes (columns: {', '.join(plan.columns) or 'none'})"
        )
        if plan.skip_conditions:
            lines.append(
                f"  skip index ({' AND '.join(plan.skip_conditions)}): {plan.skipped_by_index} of "
                f"{len(plan.files) + plan.skipped_by_index} files skipped, {plan.read_without_index} read without "
                "a current index"
            )
        for dt, hour in plan.partitions[:24]:
            lines.append(f"  dt={dt}/hour={hour:02d}")
        if len(plan.partitions) > 24:
            lines.append(f"  ... {len(plan.partitions) - 24} more")
    return "\n".join(lines) + "\n"
