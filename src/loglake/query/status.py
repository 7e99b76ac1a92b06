"""`loglake status`: how the pipeline is doing, from the lake itself.

- Sources: per (source, log group) the raw objects, those still pending, the newest event the ETL has
  made queryable and its lag (now - that event's time). Read from the ETL manifests (state/etl/), which
  `pending` reads anyway: no query.
- Pending and unreadable raw objects: what `loglake etl` would process, and what it has set aside.
- Quarantine over a range of event time (--since/--until): counts by reason and the share of all events,
  by one query on the engine (DuckDB on the local or S3 lake, or Athena), pruned by the dt partitions.
- The last run of each stage (state/runs/, see lake/runs.py) and how long it took.

Rendered as text, JSON, or Prometheus's text exposition format (for node_exporter's textfile collector).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from loglake.catalog.duckdb_views import clean_tables
from loglake.lake.keys import RAW_PREFIX, STATE_PREFIX, RawKey
from loglake.lake.manifests import Manifest
from loglake.lake.open import Lake
from loglake.lake.runs import RunRecord, read_runs
from loglake.lake.store import listed_versions
from loglake.lake.unreadable import unreadable_objects
from loglake.query.engine import QueryEngine
from loglake.query.time_range import TimeRange
from loglake.sql_quoting import quote_identifier


@dataclass
class SourceStatus:
    source: str
    log_group: str
    raw_objects: int = 0
    pending: int = 0
    newest_event_ms: int | None = None
    """The newest event time in this group's processed raw objects (None: none processed with a record of it)."""
    lag_seconds: float | None = None


@dataclass
class QuarantineStatus:
    since_ms: int
    until_ms: int
    clean_events: int = 0
    quarantined_events: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        total = self.clean_events + self.quarantined_events
        return self.quarantined_events / total if total else 0.0


@dataclass
class LakeStatus:
    lake: str
    now_ms: int
    sources: list[SourceStatus]
    pending: list[str]
    unreadable: list[str]
    quarantine: QuarantineStatus
    runs: dict[str, RunRecord]

    def as_dict(self) -> dict[str, Any]:
        return {
            "lake": self.lake,
            "now": _iso(self.now_ms),
            "sources": [dict(asdict(s), newest_event=_iso(s.newest_event_ms)) for s in self.sources],
            "pending_raw_objects": len(self.pending),
            "pending": self.pending[:100],
            "unreadable_raw_objects": len(self.unreadable),
            "unreadable": self.unreadable[:100],
            "quarantine": {
                "since": _iso(self.quarantine.since_ms),
                "until": _iso(self.quarantine.until_ms),
                "clean_events": self.quarantine.clean_events,
                "quarantined_events": self.quarantine.quarantined_events,
                "rate": round(self.quarantine.rate, 6),
                "by_reason": self.quarantine.by_reason,
            },
            "runs": {
                kind: dict(
                    asdict(run), started=_iso(run.started_ms), finished=_iso(run.finished_ms), seconds=run.seconds
                )
                for kind, run in sorted(self.runs.items())
            },
        }


def read_manifests(lake: Lake) -> dict[str, Manifest]:
    """raw key → its committed ETL manifest (one read per manifest, as `pending` does)."""
    manifests = {}
    for key in lake.store.list(f"{STATE_PREFIX}etl/"):
        if key.endswith(".json"):
            data = orjson.loads(lake.store.get(key))
            known = {k: v for k, v in data.items() if k in Manifest.__dataclass_fields__}
            manifest = Manifest(**known)
            manifests[manifest.raw_object] = manifest
    return manifests


def lake_status(
    lake: Lake, engine: QueryEngine, since: datetime, until: datetime, now: datetime | None = None
) -> LakeStatus:
    moment = now or datetime.now(UTC)
    now_ms = _ms(moment)
    manifests = read_manifests(lake)
    aside = unreadable_objects(lake.store)
    sources: dict[tuple[str, str], SourceStatus] = {}
    pending = []
    for key, version in listed_versions(lake.store, RAW_PREFIX):  # S3: the listing's ETags, no HEAD per object
        if not key.endswith(".json.gz"):  # as list_raw_objects
            continue
        parts = RawKey.parse(key)
        status = sources.setdefault((parts.source, parts.log_group), SourceStatus(parts.source, parts.log_group))
        status.raw_objects += 1
        manifest = manifests.get(key)
        if key not in aside and (manifest is None or manifest.raw_version != version):
            status.pending += 1
            pending.append(key)
        if manifest is not None and manifest.newest_event_ms is not None:
            status.newest_event_ms = max(manifest.newest_event_ms, status.newest_event_ms or manifest.newest_event_ms)
    for status in sources.values():
        if status.newest_event_ms is not None:
            status.lag_seconds = max(0.0, (now_ms - status.newest_event_ms) / 1000)
    return LakeStatus(
        lake=lake.store.uri,
        now_ms=now_ms,
        sources=[sources[k] for k in sorted(sources)],
        pending=pending,
        unreadable=sorted(aside),
        quarantine=quarantine_status(engine, clean_tables(lake.store), since, until),
        runs=read_runs(lake.store),
    )


def quarantine_status(engine: QueryEngine, tables: list[str], since: datetime, until: datetime) -> QuarantineStatus:
    """Clean and quarantined events with an event time in [since, until), in one query (Athena SQL), each
    table cut by the shared time-range conditions (dt/hour pruning, then the exact timestamp)."""
    status = QuarantineStatus(_ms(since), _ms(until))
    window = TimeRange(since, until)
    parts = [
        f"SELECT 'clean' AS zone, '' AS reason, count(*) AS n FROM {quote_identifier(t)} WHERE {window.table_sql(t)}"
        for t in tables
    ]
    parts.append(
        "SELECT 'quarantine' AS zone, coalesce(reason, 'unknown') AS reason, count(*) AS n FROM quarantine "
        f"WHERE {window.table_sql('quarantine')} GROUP BY coalesce(reason, 'unknown')"
    )
    for zone, reason, count in engine.query(" UNION ALL ".join(parts)).rows:
        if zone == "clean":
            status.clean_events += int(count)
        else:
            status.by_reason[str(reason)] = status.by_reason.get(str(reason), 0) + int(count)
            status.quarantined_events += int(count)
    status.by_reason = dict(sorted(status.by_reason.items()))
    return status


def render_text(status: LakeStatus) -> str:
    lines = [f"lake {status.lake} at {_iso(status.now_ms)}"]
    if not status.sources:
        lines.append("sources: none yet (no raw objects)")
    else:
        lines.append("sources (newest event the ETL has processed, and its lag):")
        width = max(len(s.log_group) for s in status.sources)
        for s in status.sources:
            newest = (
                f"newest {_iso(s.newest_event_ms)}, lag {_duration(s.lag_seconds)}"
                if s.newest_event_ms
                else "no processed events"
            )
            lines.append(
                f"  {s.source:<12} {s.log_group:<{width}}  {newest}; {s.raw_objects} raw objects, {s.pending} pending"
            )
    lines.append(f"pending raw objects: {len(status.pending)}")
    lines.append(f"unreadable raw objects: {len(status.unreadable)}")
    q = status.quarantine
    lines.append(
        f"quarantine, events from {_iso(q.since_ms)} to {_iso(q.until_ms)}: {q.quarantined_events:,} of "
        f"{q.clean_events + q.quarantined_events:,} events ({q.rate:.2%})"
    )
    lines += [f"  {reason:<20} {count:,}" for reason, count in q.by_reason.items()]
    if not status.runs:
        lines.append("last runs: none recorded")
    else:
        lines.append("last runs:")
        for kind, run in sorted(status.runs.items()):
            verdict = "ok" if run.ok else f"FAILED: {run.error}"
            figures = ", ".join(f"{k} {_figure(v)}" for k, v in run.figures.items())
            lines.append(
                f"  {kind:<12} {_iso(run.finished_ms)} ({run.where}) {run.seconds:.2f} s {verdict}"
                + (f"; {figures}" if figures else "")
            )
    return "\n".join(lines) + "\n"


def render_json(status: LakeStatus) -> str:
    return orjson.dumps(status.as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n"


def render_prometheus(status: LakeStatus) -> str:
    """Prometheus text exposition format 0.0.4: # HELP and # TYPE once per metric, then its samples."""
    out: list[str] = []

    def metric(name: str, help_text: str, samples: list[tuple[dict[str, str], float]]) -> None:
        out.append(f"# HELP loglake_{name} {_escape_help(help_text)}")
        out.append(f"# TYPE loglake_{name} gauge")
        for labels, value in samples:
            text = ",".join(f'{key}="{_escape_label(val)}"' for key, val in labels.items())
            out.append(f"loglake_{name}{{{text}}} {_sample(value)}" if text else f"loglake_{name} {_sample(value)}")

    def source(s: SourceStatus) -> dict[str, str]:
        return {"source": s.source, "log_group": s.log_group}

    q = status.quarantine
    metric("status_timestamp_seconds", "When this status was taken (Unix time).", [({}, status.now_ms / 1000)])
    metric(
        "raw_objects",
        "Raw objects in the lake, per source and log group.",
        [(source(s), s.raw_objects) for s in status.sources],
    )
    metric(
        "pending_raw_objects",
        "Raw objects the ETL has not processed (at their current version); `loglake etl` processes them.",
        [(source(s), s.pending) for s in status.sources],
    )
    metric("unreadable_raw_objects", "Raw objects set aside as unreadable.", [({}, len(status.unreadable))])
    newest = [s for s in status.sources if s.newest_event_ms is not None]
    metric(
        "newest_event_timestamp_seconds",
        "The newest event time the ETL has processed, per source and log group (Unix time).",
        [(source(s), (s.newest_event_ms or 0) / 1000) for s in newest],
    )
    metric(
        "lag_seconds",
        "Now minus the newest processed event time, per source and log group.",
        [(source(s), s.lag_seconds or 0.0) for s in newest],
    )
    metric(
        "range_seconds",
        "The length of the range the event counts cover (--since to --until).",
        [({}, (q.until_ms - q.since_ms) / 1000)],
    )
    metric("clean_events", "Clean events with an event time in the range.", [({}, q.clean_events)])
    metric(
        "quarantined_events",
        "Quarantined events with an event time in the range, per reason.",
        [({"reason": reason}, count) for reason, count in q.by_reason.items()],
    )
    metric("quarantine_ratio", "Quarantined / (clean + quarantined) events in the range.", [({}, q.rate)])
    runs = sorted(status.runs.items())
    metric(
        "last_run_timestamp_seconds",
        "When the last run of each stage finished (Unix time).",
        [({"kind": k}, r.finished_ms / 1000) for k, r in runs],
    )
    metric(
        "last_run_duration_seconds",
        "How long the last run of each stage took.",
        [({"kind": k}, r.seconds) for k, r in runs],
    )
    metric(
        "last_run_success",
        "1 when the last run of each stage succeeded, 0 when it failed.",
        [({"kind": k}, float(r.ok)) for k, r in runs],
    )
    return "\n".join(out) + "\n"


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _sample(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _figure(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
