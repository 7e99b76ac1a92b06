"""Scheduled Iceberg maintenance on AWS (EventBridge): compaction and snapshot expiry by the engine that owns
the tables, Athena, in the stack's workgroup.

For each Iceberg table of the Glue database (a Glue table whose `table_type` is ICEBERG; hive tables are
left alone: Athena cannot compact them exactly-once, docs/lake-layout.md), it runs lake/iceberg_athena.py's
maintenance statements one after the other, waiting for each: the grace period
(`vacuum_max_snapshot_age_seconds`, only when the Glue table's Parameters do not hold it already; never under
MIN_GRACE_S, so VACUUM cannot delete an ETL invocation's files before it commits them), `OPTIMIZE ... REWRITE
DATA USING BIN_PACK` over the closed hours of the last LOGLAKE_MAINTENANCE_DAYS days (a bounded run however
large the backlog), then `VACUUM`. A statement that fails, or a table loglake cannot name, ends that table's
run (the next statements assume it) and the others go on;
any failure then fails the invocation, so Lambda's Errors metric (the MaintenanceErrorsAlarm) sees it, after
the EMF metrics and the run record (state/runs/maintenance.json) are written. Athena does the reads and
writes with the function's role: its grants are in the deploy template (deploy/operations.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from loglake.aws_calls import glue_tables
from loglake.catalog.glue_names import glue_database
from loglake.errors import ConfigError, LoglakeError, QueryError, first_line
from loglake.handlers.environment import lake_from_environment
from loglake.handlers.metrics import Metrics, Stopwatch
from loglake.lake.compaction import DEFAULT_OLDER_THAN_S
from loglake.lake.iceberg_athena import DEFAULT_DAYS, DEFAULT_GRACE_S, MIN_GRACE_S, maintenance_sql
from loglake.lake.runs import now_ms, record_run
from loglake.query.athena_engine import AthenaEngine, athena_client

RUN_KIND = "maintenance"
MARGIN_S = 30.0
"""Left of the invocation's time when a statement is stopped: enough to stop it, report and record the run.
A table is not started with less than twice that left (it is reported as not run)."""


@dataclass
class MaintenanceReport:
    """What one run did: the Iceberg tables maintained, the tables left alone, and each failure."""

    tables: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    statements: int = 0
    bytes_scanned: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(table, the first line of the error)."""


def utc_now() -> datetime:
    """The run's clock: the closed hours OPTIMIZE rewrites end an hour (the setting) before it."""
    return datetime.now(UTC)


def _seconds(name: str, default: float, minimum: int = 0, why: str = "", unit: str = "seconds") -> int:
    text = os.environ.get(name) or str(int(default))
    if not text.isdecimal():
        raise ConfigError(f"{name} must be a whole number of {unit}, not {text!r}")
    if int(text) < minimum:
        raise ConfigError(f"{name} must be at least {minimum} {unit}, not {text}: {why}")
    return int(text)


GRACE_WHY = (
    "VACUUM would delete the files an ETL invocation (up to 900 s) has written but not yet committed; "
    f"set the stack's MaintenanceGraceSeconds to {MIN_GRACE_S} or more (loglake deploy)"
)


def iceberg_tables(glue: Any, database: str) -> tuple[dict[str, dict[str, str]], list[str]]:
    """(Iceberg tables with their Glue Parameters, other tables) of the Glue database, by name, sorted."""
    iceberg: dict[str, dict[str, str]] = {}
    other: list[str] = []
    for table in glue_tables(glue, database, QueryError) or []:
        parameters = {str(k): str(v) for k, v in table.get("Parameters", {}).items()}
        if parameters.get("table_type", "").upper() == "ICEBERG":
            iceberg[table["Name"]] = parameters
        else:
            other.append(table["Name"])
    return dict(sorted(iceberg.items())), sorted(other)


def maintain(
    glue: Any,
    athena: Any,
    *,
    workgroup: str,
    database: str,
    older_than_s: int,
    grace_s: int,
    remaining_s: Callable[[], float] | None = None,
    now: datetime | None = None,
    days: int = DEFAULT_DAYS,
) -> MaintenanceReport:
    """Run the maintenance statements of every Iceberg table; `remaining_s()` bounds each statement's wait.
    A table loglake cannot maintain (a name it refuses, made by another tool) is that table's failure only."""
    report = MaintenanceReport()
    properties, report.skipped = iceberg_tables(glue, database)
    report.tables = list(properties)
    now = now or utc_now()
    for index, table in enumerate(report.tables):
        if remaining_s is not None and remaining_s() < 2 * MARGIN_S:
            why = "not run: the invocation ran out of time (raise the function's Timeout, or run it more often)"
            report.failures += [(later, why) for later in report.tables[index:]]
            break
        try:
            statements = maintenance_sql(
                table, database, older_than_s, grace_s, now, days=days, properties=properties[table]
            )
        except LoglakeError as exc:
            report.failures.append((table, first_line(exc)))
            continue
        for sql in statements:
            wait = 1800.0 if remaining_s is None else max(1.0, remaining_s() - MARGIN_S)
            engine = AthenaEngine(workgroup=workgroup, database=database, client=athena, max_wait_s=wait)
            report.statements += 1
            try:
                result = engine.query(sql, generated=True)  # loglake's own SQL; no sqlglot in the Lambda package
            except QueryError as exc:
                report.failures.append((table, f"{sql.split(None, 1)[0]}: {first_line(exc)}"))
                break
            report.bytes_scanned += int((result.stats or {}).get("bytes_scanned", 0))
    return report


def maintenance_metrics(report: MaintenanceReport | None, duration_ms: float) -> Metrics:
    """MaintenanceFailures: tables whose maintenance failed, or 1 when the run itself could not start."""
    m = Metrics(RUN_KIND)
    m.add("Duration", duration_ms, "Milliseconds")
    if report is None:
        m.add("MaintenanceFailures", 1)
        return m
    m.add("IcebergTables", len(report.tables))
    m.add("TablesLeftAlone", len(report.skipped))
    m.add("StatementsRun", report.statements)
    m.add("BytesScanned", report.bytes_scanned, "Bytes")
    m.add("MaintenanceFailures", len(report.failures))
    return m


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    import boto3

    lake = lake_from_environment()
    started, watch = now_ms(), Stopwatch()
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    try:
        report = maintain(
            boto3.client("glue"),
            athena_client(),  # the retry config the conservation check's queries use
            workgroup=os.environ.get("LOGLAKE_ATHENA_WORKGROUP", "primary"),
            database=glue_database(),
            older_than_s=_seconds("LOGLAKE_MAINTENANCE_OLDER_THAN_S", DEFAULT_OLDER_THAN_S),
            grace_s=_seconds("LOGLAKE_MAINTENANCE_GRACE_S", DEFAULT_GRACE_S, MIN_GRACE_S, GRACE_WHY),
            days=_seconds("LOGLAKE_MAINTENANCE_DAYS", DEFAULT_DAYS, 1, "OPTIMIZE needs a day to cover", "days"),
            remaining_s=(lambda: float(remaining()) / 1000) if callable(remaining) else None,
            now=utc_now(),
        )
    except Exception as exc:  # a run that cannot start is a failure to alarm on, not silence
        maintenance_metrics(None, watch.ms()).emit()
        record_run(lake.store, RUN_KIND, started, ok=False, where="lambda", error=first_line(exc))
        raise
    maintenance_metrics(report, watch.ms()).emit()
    figures: dict[str, float] = {
        "iceberg_tables": len(report.tables),
        "tables_left_alone": len(report.skipped),
        "statements": report.statements,
        "bytes_scanned": report.bytes_scanned,
        "failed_tables": len(report.failures),
    }
    error = "; ".join(f"{table}: {why}" for table, why in report.failures)
    record_run(lake.store, RUN_KIND, started, ok=not report.failures, where="lambda", figures=figures, error=error)
    if report.failures:
        failed = f"{len(report.failures)} of {len(report.tables)}"
        raise QueryError(f"Iceberg maintenance failed for {failed} tables: {error}")
    return {"tables": report.tables, "left_alone": report.skipped, "statements": report.statements}
