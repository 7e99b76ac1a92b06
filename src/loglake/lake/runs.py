"""The last run of each pipeline stage, in `state/runs/<kind>.json`: what `loglake status` shows.

Each stage writes its record when it finishes (collect, etl, verify, compaction, ...), from the CLI
or from its Lambda function, whether it succeeded or not, so an operator can see when the pipeline
last moved, how long it took and what it did without reading function logs. One object per kind,
overwritten: concurrent ETL invocations race, and the last one to finish is the one shown.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import orjson

from loglake.errors import first_line
from loglake.lake.keys import STATE_PREFIX
from loglake.lake.store import Store

if TYPE_CHECKING:
    from loglake.sources.cloudwatch_logs import CollectReport
    from loglake.transform.etl import EtlResult

RUNS_PREFIX = f"{STATE_PREFIX}runs/"
_KIND = frozenset("abcdefghijklmnopqrstuvwxyz_-")


@dataclass
class RunRecord:
    kind: str
    """collect, etl, verify, compaction, ..."""
    started_ms: int
    finished_ms: int
    ok: bool
    where: str
    """cli or lambda."""
    figures: dict[str, float] = field(default_factory=dict)
    """Counts and timings of the run (events, raw_objects, seconds, ...)."""
    error: str = ""
    """The first line of the error, when it failed."""

    @property
    def seconds(self) -> float:
        return (self.finished_ms - self.started_ms) / 1000


def run_key(kind: str) -> str:
    if not kind or not set(kind) <= _KIND:
        raise ValueError(f"bad run kind {kind!r}")
    return f"{RUNS_PREFIX}{kind}.json"


def record_run(
    store: Store,
    kind: str,
    started_ms: int,
    *,
    ok: bool = True,
    where: str = "cli",
    figures: dict[str, float] | None = None,
    error: str = "",
) -> RunRecord:
    """Write the record of a run that started at `started_ms` and finishes now."""
    record = RunRecord(kind, started_ms, int(time.time() * 1000), ok, where, dict(figures or {}), error)
    store.put(run_key(kind), orjson.dumps(asdict(record), option=orjson.OPT_INDENT_2))
    return record


@contextmanager
def recording(store: Store, kind: str, where: str = "cli") -> Iterator[dict[str, float]]:
    """Record the run of the block: the figures the block puts in the dict, and its error if it raises one."""
    figures: dict[str, float] = {}
    started = now_ms()
    try:
        yield figures
    except Exception as exc:
        record_run(store, kind, started, ok=False, where=where, figures=figures, error=first_line(exc))
        raise
    record_run(store, kind, started, where=where, figures=figures)


def read_runs(store: Store) -> dict[str, RunRecord]:
    """kind → its last run, for every kind that has recorded one."""
    runs = {}
    for key in store.list(RUNS_PREFIX):
        if key.endswith(".json"):
            record = RunRecord(**orjson.loads(store.get(key)))
            runs[record.kind] = record
    return runs


def now_ms() -> int:
    return int(time.time() * 1000)


def collect_figures(report: CollectReport) -> dict[str, float]:
    return {
        "log_groups": report.groups,
        "events": report.events,
        "raw_objects_written": len(report.written),
        "bytes_written": report.bytes,
        "api_calls": report.api_calls,
        "throttles": report.throttles,
    }


def etl_figures(results: list[EtlResult]) -> dict[str, float]:
    done = [r for r in results if not r.skipped]
    return {
        "raw_objects": len(done),
        "already_done": len(results) - len(done),
        "events": sum(r.manifest.events for r in done),
        "clean_rows": sum(r.manifest.clean_rows for r in done),
        "quarantined_rows": sum(r.manifest.quarantined_rows for r in done),
    }
