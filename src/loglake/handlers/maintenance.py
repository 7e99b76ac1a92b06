"""Scheduled Iceberg maintenance on AWS (EventBridge): compaction and snapshot expiry by the engine that owns
the tables, Athena, in the stack's workgroup.

For each Iceberg table of the Glue database (a Glue table whose `table_type` is ICEBERG; hive tables are
left alone: Athena cannot compact them exactly-once, docs/lake-layout.md), it runs lake/iceberg_athena.py's
maintenance statements one after the other, waiting for each: the grace period
(`vacuum_max_snapshot_age_seconds`), `OPTIMIZE ... REWRITE DATA USING BIN_PACK` over the closed hours, then
`VACUUM`. A statement that fails ends that table's run (the next statements assume it) and the others go on;
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

from loglake.aws_calls import call_aws
from loglake.errors import ConfigError, QueryError, first_line
from loglake.handlers.environment import lake_from_environment
from loglake.handlers.metrics import Metrics, Stopwatch
from loglake.lake.compaction import DEFAULT_OLDER_THAN_S
from loglake.lake.iceberg_athena import DEFAULT_GRACE_S, maintenance_sql
from loglake.lake.runs import now_ms, record_run
from loglake.query.athena_engine import AthenaEngine

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


def _seconds(name: str, default: float) -> int:
    text = os.environ.get(name) or str(int(default))
    if not text.isdecimal():
        raise ConfigError(f"{name} must be a whole number of seconds, not {text!r}")
    return int(text)


def iceberg_tables(glue: Any, database: str) -> tuple[list[str], list[str]]:
    """(Iceberg tables, other tables) of the Glue database, by name, sorted."""
    iceberg: list[str] = []
    other: list[str] = []
    token = None
    while True:
        page = call_aws(
            glue, "Glue", QueryError, "get_tables", DatabaseName=database, **({"NextToken": token} if token else {})
        )
        for table in page.get("TableList", []):
            kind = str(table.get("Parameters", {}).get("table_type", "")).upper()
            (iceberg if kind == "ICEBERG" else other).append(table["Name"])
        token = page.get("NextToken")
        if not token:
            return sorted(iceberg), sorted(other)


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
) -> MaintenanceReport:
    """Run the maintenance statements of every Iceberg table; `remaining_s()` bounds each statement's wait."""
    report = MaintenanceReport()
    report.tables, report.skipped = iceberg_tables(glue, database)
    now = now or utc_now()
    for index, table in enumerate(report.tables):
        if remaining_s is not None and remaining_s() < 2 * MARGIN_S:
            why = "not run: the invocation ran out of time (raise the function's Timeout, or run it more often)"
            report.failures += [(later, why) for later in report.tables[index:]]
            break
        for sql in maintenance_sql(table, database, older_than_s, grace_s, now):
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
            boto3.client("athena"),
            workgroup=os.environ.get("LOGLAKE_ATHENA_WORKGROUP", "primary"),
            database=os.environ.get("LOGLAKE_GLUE_DATABASE", "loglake"),
            older_than_s=_seconds("LOGLAKE_MAINTENANCE_OLDER_THAN_S", DEFAULT_OLDER_THAN_S),
            grace_s=_seconds("LOGLAKE_MAINTENANCE_GRACE_S", DEFAULT_GRACE_S),
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
