"""The scheduled conservation check (EventBridge): `loglake verify` on Athena over the last N hours.

It checks the raw objects holding an event from the last LOGLAKE_CONSERVATION_HOURS hours (default 26,
a little more than the default daily schedule, so no object falls between two runs), each one whole:
clean + quarantined rows = distinct raw events. The result goes to state/conservation/last.json (the
non-reconciling objects by name), the run to state/runs/verify.json, and the figures to EMF metrics;
ConservationFailures (objects that do not reconcile, or 1 when the check could not run) is what the
stack's ConservationAlarm watches. Objects still pending (not processed yet) are counted, not failures.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from loglake.catalog.glue_names import glue_database
from loglake.errors import ConfigError, first_line
from loglake.handlers.environment import lake_from_environment
from loglake.handlers.metrics import Stopwatch, conservation_metrics
from loglake.lake.keys import STATE_PREFIX
from loglake.lake.runs import now_ms, record_run
from loglake.query.athena_engine import AthenaEngine
from loglake.query.conservation import check_conservation
from loglake.query.engine import QueryResult
from loglake.query.time_range import TimeRange

RESULT_KEY = f"{STATE_PREFIX}conservation/last.json"
FAILED = ("mismatch", "duplicates", "orphan")
LISTED = 1000
"""Objects named in the result, at most (the counts cover them all)."""


class GeneratedSql:
    """The Athena engine for the check's own SQL: the Lambda package has no sqlglot, the parser that screens
    users' SQL, and this SQL is loglake's (conservation_sql), not a user's."""

    def __init__(self, engine: AthenaEngine) -> None:
        self.engine = engine

    def query(self, sql: str, *, dialect: str = "athena") -> QueryResult:
        return self.engine.query(sql, dialect=dialect, generated=True)

    def close(self) -> None:
        self.engine.close()


def window_hours() -> int:
    text = os.environ.get("LOGLAKE_CONSERVATION_HOURS") or "26"
    if not text.isdecimal() or int(text) < 1:
        raise ConfigError(f"LOGLAKE_CONSERVATION_HOURS must be a whole number of hours, not {text!r}")
    return int(text)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    lake = lake_from_environment()
    started, watch = now_ms(), Stopwatch()
    now = datetime.now(UTC)
    try:
        hours = window_hours()
        since = now - timedelta(hours=hours)
        engine = GeneratedSql(
            AthenaEngine(
                workgroup=os.environ.get("LOGLAKE_ATHENA_WORKGROUP", "primary"),
                database=glue_database(),
            )
        )
        report = check_conservation(engine, lake.store, on_athena=True, time_range=TimeRange(since=since))
    except Exception as exc:  # a check that cannot run is a failure to alarm on, not silence
        conservation_metrics(None, watch.ms()).emit()
        record_run(lake.store, "verify", started, ok=False, where="lambda", error=first_line(exc))
        raise
    failed = [o for o in report.objects if o.status in FAILED]
    counts = {
        status: sum(1 for o in report.objects if o.status == status) for status in ("ok", "pending", "unreadable")
    }
    result = {
        "checked_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "since": since.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "hours": hours,
        "ok": not failed,
        "raw_objects": len(report.objects),
        **{f"{status}_objects": count for status, count in counts.items()},
        "failed_objects": len(failed),
        **report.totals(),
        "failed": [{k: v for k, v in vars(o).items() if k != "reason" or v} for o in failed[:LISTED]],
    }
    lake.store.put(RESULT_KEY, orjson.dumps(result, option=orjson.OPT_INDENT_2))
    conservation_metrics(report, watch.ms()).emit()
    figures: dict[str, float] = {
        "raw_objects": len(report.objects),
        "failed_objects": len(failed),
        **counts,
        **report.totals(),
    }
    error = "" if not failed else f"{len(failed)} raw objects do not reconcile (see {RESULT_KEY})"
    record_run(lake.store, "verify", started, ok=not failed, where="lambda", figures=figures, error=error)
    return {k: v for k, v in result.items() if k != "failed"}
