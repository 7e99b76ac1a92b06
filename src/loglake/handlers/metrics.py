"""The functions' own metrics, as CloudWatch Embedded Metric Format (EMF) lines in their logs.

A Lambda function's stdout goes to its log group; CloudWatch Logs turns each EMF line (one JSON object
with an `_aws` metadata member) into metric data points. So metrics cost log ingestion only: no
PutMetricData call, no extra permission, nothing to fail in the function's hot path.

The documents follow AWS's specification ("Specification: Embedded metric format"):
`_aws` holds Timestamp (ms since epoch) and CloudWatchMetrics, a list of one directive
{Namespace, Dimensions: [[dimension names]], Metrics: [{Name, Unit}]} (at most 100 metrics per
directive, at most 30 dimensions per set, units from CloudWatch's list); the dimension values and the
metric values are the document's top-level members.

Dimensions are few and bounded, since every distinct value is a new metric that is billed:
- every metric has `Function` (collector, etl, subscription, firehose, conservation, maintenance);
- quarantine counts add `Reason` (a code from lake/quarantine.Reason: a handful of values);
- lag adds `LogGroup` (collector, subscription) or `Table` (etl), for at most MAX_LABELLED values per
  invocation, the ones furthest behind; the `Function`-only lag is the maximum over all of them.
No stream names, messages or other record content are ever put in an EMF line: only counts, sizes,
times, and the names above.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from loglake.query.conservation import ConservationReport
    from loglake.sources.cloudwatch_logs import CollectReport
    from loglake.transform.etl import EtlResult

NAMESPACE = "loglake"
MAX_METRICS_PER_DIRECTIVE = 100
MAX_DIMENSIONS_PER_SET = 30
MAX_DIMENSION_VALUE = 1024
MAX_LABELLED = 10
"""Log groups or tables that get their own lag metric per invocation (the furthest behind)."""

UNITS = frozenset(
    {
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    }
)
"""CloudWatch's standard units, the only values EMF accepts in a MetricDefinition's Unit."""

DIMENSION_NAMES = frozenset({"Function", "Reason", "LogGroup", "Table"})
"""The only dimensions loglake uses: each has few values (see the module's docstring)."""


def dimension_value(value: str) -> str:
    """CloudWatch takes ASCII dimension values of 1 to 1024 characters: anything else is replaced, not sent."""
    text = "".join(c if " " <= c <= "~" else "?" for c in value)[:MAX_DIMENSION_VALUE]
    return text if text.strip() else "(none)"


@dataclass
class Metrics:
    """The metrics of one invocation of one function, printed as EMF lines by `emit`."""

    function: str
    namespace: str = field(default_factory=lambda: os.environ.get("LOGLAKE_METRICS_NAMESPACE") or NAMESPACE)
    """The stack's NamePrefix on AWS (the template sets LOGLAKE_METRICS_NAMESPACE), so stacks keep theirs apart."""
    timestamp_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    _values: dict[tuple[tuple[str, str], ...], dict[str, tuple[float, str]]] = field(default_factory=dict)

    def add(self, name: str, value: float, unit: str = "Count", **dimensions: str) -> None:
        """One value of `name`, with `Function` and the extra `dimensions`; a second add of the same
        name and dimensions adds to the first (counts over a loop)."""
        if unit not in UNITS:
            raise ValueError(f"{unit!r} is not a CloudWatch unit")
        if not 1 <= len(name) <= 255 or name in DIMENSION_NAMES or name == "_aws":
            raise ValueError(f"bad metric name {name!r}")
        unknown = set(dimensions) - DIMENSION_NAMES
        if unknown:
            raise ValueError(f"unbounded dimensions are not allowed: {sorted(unknown)}")
        dims = (("Function", self.function), *sorted((k, dimension_value(v)) for k, v in dimensions.items()))
        metrics = self._values.setdefault(dims, {})
        previous = metrics.get(name, (0.0, unit))[0]
        metrics[name] = (previous + value, unit)

    def add_lag(self, name: str, newest_ms: Mapping[str, int], dimension: str, now_ms: int | None = None) -> None:
        """Lag in seconds (now - newest event time): the maximum, and one value for each of the
        MAX_LABELLED labels (log groups or tables) furthest behind."""
        if not newest_ms:
            return
        now = self.timestamp_ms if now_ms is None else now_ms
        lags = {label: max(0.0, (now - newest) / 1000) for label, newest in newest_ms.items()}
        self.add(name, max(lags.values()), "Seconds")
        for label, lag in sorted(lags.items(), key=lambda item: (-item[1], item[0]))[:MAX_LABELLED]:
            self.add(name, lag, "Seconds", **{dimension: label})

    def documents(self) -> list[dict[str, object]]:
        """One EMF document per dimension set (and per 100 metrics)."""
        documents: list[dict[str, object]] = []
        for dims, metrics in self._values.items():
            names = sorted(metrics)
            for start in range(0, len(names), MAX_METRICS_PER_DIRECTIVE):
                chunk = names[start : start + MAX_METRICS_PER_DIRECTIVE]
                directive = {
                    "Namespace": self.namespace,
                    "Dimensions": [[key for key, _value in dims]],
                    "Metrics": [{"Name": name, "Unit": metrics[name][1]} for name in chunk],
                }
                document: dict[str, object] = {
                    "_aws": {"Timestamp": self.timestamp_ms, "CloudWatchMetrics": [directive]},
                    **dict(dims),
                }
                document.update({name: _number(metrics[name][0]) for name in chunk})
                documents.append(document)
        return documents

    def lines(self) -> list[str]:
        return [orjson.dumps(document).decode() for document in self.documents()]

    def emit(self, write: Callable[[str], object] | None = None) -> int:
        """Print the EMF lines (to stdout: Lambda sends it to the function's log); returns the bytes written."""
        out = write or _print
        size = 0
        for line in self.lines():
            out(line)
            size += len(line) + 1
        return size


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)


def _print(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Stopwatch:
    """Milliseconds since it was made: stage durations for the Duration metrics."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


def collector_metrics(report: CollectReport, duration_ms: float, metrics: Metrics | None = None) -> Metrics:
    """One collector run: what it read and wrote, its CloudWatch calls and throttles, and each group's lag."""
    m = metrics or Metrics("collector")
    m.add("LogGroups", report.groups)
    m.add("EventsRead", report.events)
    m.add("RawObjectsWritten", len(report.written))
    m.add("RawObjectsUnchanged", report.unchanged)
    m.add("BytesOut", report.bytes, "Bytes")
    m.add("CloudWatchApiCalls", report.api_calls)
    m.add("CloudWatchThrottles", report.throttles)
    m.add("Duration", duration_ms, "Milliseconds")
    m.add_lag("LagSeconds", report.newest_ms, "LogGroup")
    return m


def etl_metrics(results: list[EtlResult], stage_ms: dict[str, float], metrics: Metrics | None = None) -> Metrics:
    """One ETL invocation (one S3 notification: usually one raw object).

    `stage_ms` adds the invocation's own stages (catalog, total) to the per-object read/write/commit times.
    """
    m = metrics or Metrics("etl")
    done = [r for r in results if not r.skipped]
    m.add("RawObjectsProcessed", len(done))
    m.add("RawObjectsSkipped", len(results) - len(done))
    m.add("EventsRead", sum(r.manifest.events for r in done))
    m.add("DuplicateEvents", sum(r.manifest.duplicates for r in done))
    m.add("EventsClean", sum(r.manifest.clean_rows for r in done))
    m.add("EventsQuarantined", sum(r.manifest.quarantined_rows for r in done))
    m.add("BytesIn", sum(r.manifest.raw_bytes or 0 for r in done), "Bytes")
    m.add("BytesOut", sum(r.manifest.output_bytes or 0 for r in done), "Bytes")
    for r in done:
        for reason, count in r.manifest.quarantine_reasons.items():
            m.add("QuarantinedEvents", count, Reason=reason)
    for stage in ("read", "write", "commit"):
        m.add(f"{stage.capitalize()}Duration", sum(r.stage_ms.get(stage, 0.0) for r in done), "Milliseconds")
    for stage, ms in stage_ms.items():
        m.add(f"{stage.capitalize()}Duration" if stage != "total" else "Duration", ms, "Milliseconds")
    newest: dict[str, int] = {}
    for r in done:
        for table, ms in r.manifest.table_newest_ms.items():
            newest[table] = max(ms, newest.get(table, ms))
    m.add_lag("LagSeconds", newest, "Table")
    return m


def delivery_metrics(
    function: str,
    log_group: str | None,
    timestamps: list[int],
    raw_objects: int,
    bytes_in: int,
    duration_ms: float,
    metrics: Metrics | None = None,
) -> Metrics:
    """A push delivery (subscription or Firehose): events in, raw objects written, and the lag of its group."""
    m = metrics or Metrics(function)
    m.add("EventsRead", len(timestamps))
    m.add("RawObjectsWritten", raw_objects)
    m.add("BytesIn", bytes_in, "Bytes")
    m.add("Duration", duration_ms, "Milliseconds")
    if log_group is not None and timestamps:
        m.add_lag("LagSeconds", {log_group: max(timestamps)}, "LogGroup")
    return m


def conservation_metrics(report: ConservationReport | None, duration_ms: float) -> Metrics:
    """The scheduled conservation check: ConservationFailures counts raw objects that do not reconcile
    (mismatch, duplicates, orphan) plus 1 when the check itself could not run (`report` None)."""
    m = Metrics("conservation")
    m.add("Duration", duration_ms, "Milliseconds")
    if report is None:
        m.add("ConservationFailures", 1)
        m.add("CheckErrors", 1)
        return m
    statuses = [o.status for o in report.objects]
    m.add("RawObjectsChecked", len(statuses))
    m.add("EventsChecked", report.totals()["raw_events"])
    m.add("ConservationFailures", sum(1 for s in statuses if s not in ("ok", "pending", "unreadable")))
    m.add("PendingRawObjects", statuses.count("pending"))
    m.add("UnreadableRawObjects", statuses.count("unreadable"))
    m.add("CheckErrors", 0)
    return m
