"""The pull collector: `loglake collect` and the scheduled Lambda read CloudWatch Logs into the raw zone.

How it stays exactly-once without Firehose or a public endpoint:

- Time is cut into aligned slices (default 15 minutes). One FilterLogEvents scan per group and slice
  (all streams, every page until the token is exhausted) gives every event whose timestamp falls in
  the slice. An event's timestamp decides its slice, so only that slice's objects can ever hold it.
- The events of a (group, slice) are packed into shared objects, bounded by size (PACK_EVENTS events,
  PACK_BYTES of records), not one object per stream: a thousand idle Lambda streams with a few events
  each make one object, not a thousand. Keys are
  `raw/source=cloudwatch/log_group=<g>/stream=%7Eshared/<slice start>-<n>.json.gz` (keys.RawKey.of_streams;
  every record keeps its own log_stream).
- **Placement rule: an event, once written to an object, stays in that object for good.** The objects of
  the slice are the record of where each event is: a re-read lists and reads them, keeps every event
  they hold where it is (an object is only ever rewritten with a superset of its events), and places
  only events no object holds yet. Those go, in (stream, timestamp, eventId) order, to the last object
  that already holds their stream if it has room, else to the slice's last object if it has room, else
  to a new object (next n). The placement depends only on the events and on the objects already there,
  so a re-run writes the same keys and bytes; a late event of a stream that is already packed lands in
  one object, and no event ever moves, so the ETL (which replaces an object's clean rows and
  de-duplicates within one object) never counts one twice nor loses one.
- Late events (ingestion delay) are caught by re-reading the slices of the last `overlap` (default 15
  minutes) on every run. An object whose content did not change is not rewritten (no new S3 event, no
  ETL run); one that gained events is rewritten and processed again, replacing its clean rows.
- Crashes and kills: objects are written one at a time, each a whole PUT. Events of an object that was
  not written yet are in no object, so the next run (which re-reads the same slices: the checkpoint
  `state/cloudwatch/<group>.json` moves only after every object of the run is written) places them
  again. A lease per log group keeps two runs from placing the same events at once.
- Lakes written before packing: the checkpoint records `packed_from_ms`, the first slice written as
  shared objects. A lake whose checkpoint lacks it keeps the old layout (one object per (stream, slice),
  parts of 10,000) for every slice up to the current one, so no event that an old run wrote is packed
  a second time; later slices are packed. A group with no checkpoint at all (new, or an old run that
  crashed before its first checkpoint) is listed once: slices up to the last one its per-stream objects
  hold stay per stream. A slice written per stream leaves out the events its shared objects already hold
  (a packing run that crashed before its checkpoint), so no event is in both layouts.
- The checkpoint also keeps the group's newest event time (`newest_ms`): the lag metric is reported on
  every run, growing while a group is silent, not only when a run read events.
- Stream metadata (lastEventTimestamp) is eventually consistent and never used. Events whose
  timestamp is older than the overlap when CloudWatch ingests them are not seen: widen --overlap (up
  to the 14 days CloudWatch accepts) where producers send old timestamps.
- Quotas: a client-side token bucket (default 5 calls/s, configurable) plus botocore's standard
  retry mode, exponential backoff with jitter on ThrottlingException and 5xx.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from loglake.errors import CollectError, ConfigError
from loglake.lake.keys import SHARED_STREAM_SEGMENT, RawKey, checkpoint_key, shared_prefix, stream_prefix
from loglake.lake.raw_zone import RawRecord, decode_batch, encode_batch, list_raw_objects
from loglake.lake.store import Lease, Store
from loglake.sources.rate_limit import RateLimiter

SOURCE = "cloudwatch"
PART_EVENTS = 10_000
"""Events per object of the per-stream layout (slices before `packed_from_ms`)."""
PACK_EVENTS = 50_000
"""At most this many events per shared object ..."""
PACK_BYTES = 32 << 20
"""... and at most this many bytes of NDJSON records (an event bigger than that is alone in its object)."""
MINUTE_MS = 60_000


@dataclass(frozen=True)
class CollectorOptions:
    log_groups: tuple[str, ...]
    """Exact names, or prefixes ending in '*' (`/aws/lambda/*`)."""
    start_ms: int | None = None
    """Backfill from here instead of the checkpoint."""
    end_ms: int | None = None
    """Stop here instead of now (a backfill does not move the checkpoint past it)."""
    slice_ms: int = 15 * MINUTE_MS
    overlap_ms: int = 15 * MINUTE_MS
    first_run_lookback_ms: int = 60 * MINUTE_MS
    calls_per_second: float = 5.0
    max_attempts: int = 8
    lease: bool = True
    """Hold a lease per log group while collecting it, so that two runs never place the same events in two
    objects. The scheduled Lambda runs with a reserved concurrency of 1 instead (its role may not delete)."""

    def __post_init__(self) -> None:
        if not self.log_groups:
            raise ConfigError("name at least one log group (or a prefix ending in '*')")
        if self.slice_ms < MINUTE_MS or 86_400_000 % self.slice_ms:
            raise ConfigError("the slice must be at least a minute and divide a day evenly")
        if self.start_ms is not None and self.end_ms is not None and self.start_ms >= self.end_ms:
            raise ConfigError("--start must be before --end")


@dataclass
class GroupCheckpoint:
    log_group: str
    next_start_ms: int
    """Slices from here on may still change; everything before was written completely."""
    packed_from_ms: int | None = None
    """Slices from here on are written as shared objects; earlier ones keep one object per stream (a lake
    collected before packing). None in a checkpoint written before packing."""
    newest_ms: int | None = None
    """The newest event time collected from the group so far: its lag, reported on every run."""


@dataclass
class CollectReport:
    groups: int = 0
    streams: set[tuple[str, str]] = field(default_factory=set)
    """(log group, stream) pairs seen."""
    events: int = 0
    bytes: int = 0
    """Compressed bytes written to the raw zone."""
    api_calls: int = 0
    throttles: int = 0
    """Calls CloudWatch throttled (each one retried by botocore after a backoff)."""
    newest_ms: dict[str, int] = field(default_factory=dict)
    """The newest event time of each log group collected so far (this run's, else its checkpoint's): the lag
    metric, so a silent group's lag keeps growing instead of going unreported."""
    written: list[str] = field(default_factory=list)
    unchanged: int = 0


Progress = Callable[[CollectReport], None]
_ByStream = dict[str, dict[str, dict[str, Any]]]
"""A slice's events: stream → eventId → the event as FilterLogEvents returns it."""


def logs_client(max_attempts: int) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": max_attempts}, connect_timeout=5, read_timeout=30)
    return boto3.client("logs", config=config)


THROTTLE_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "LimitExceededException"}
)

_CREDENTIAL_ERRORS = {
    "403",
    "AccessDenied",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "ExpiredTokenException",
}


def _explain(exc: Exception) -> CollectError:
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "?"))
        message = " ".join(str(error.get("Message", "")).split())[:300]
        if code in _CREDENTIAL_ERRORS or "InvalidClientTokenId" in message:
            detail = "" if message.startswith("<") else f": {message}"  # moto answers some JSON APIs in XML
            return CollectError(
                f"CloudWatch Logs rejected the credentials or denied access ({code}) on {exc.operation_name}{detail}"
            )
        return CollectError(f"CloudWatch Logs refused {exc.operation_name}: {code}: {message}")
    if isinstance(exc, EndpointConnectionError):
        return CollectError(f"cannot reach the CloudWatch Logs endpoint: {exc}")
    if isinstance(exc, NoCredentialsError):
        return CollectError("no AWS credentials found (environment, profile or instance role)")
    return CollectError(f"CloudWatch Logs call failed: {exc}")


class CloudWatchCollector:
    def __init__(self, store: Store, options: CollectorOptions, client: Any = None) -> None:
        self.store = store
        self.options = options
        self.client = client or logs_client(options.max_attempts)
        self.limiter = RateLimiter(options.calls_per_second)
        self.report = CollectReport()
        self._lease: Lease | None = None
        """The group's lease while it is collected: checked before each PUT, so a collector that lost it
        (S3 unreachable for its renewals) stops instead of writing beside the run that took it over."""
        events = getattr(getattr(self.client, "meta", None), "events", None)
        if events is not None:  # a botocore client: see every attempt, also those its retries hide
            events.register("needs-retry.cloudwatch-logs", self._count_throttle)

    def _count_throttle(self, response: Any = None, **_kwargs: Any) -> None:
        """botocore's needs-retry event, once per attempt; returning None leaves the retry decision to it."""
        if response is not None and response[1].get("Error", {}).get("Code") in THROTTLE_CODES:
            self.report.throttles += 1

    def _call(self, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        self.limiter.acquire()
        self.report.api_calls += 1
        try:
            return getattr(self.client, operation)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise _explain(exc) from None

    def resolve_groups(self) -> list[str]:
        groups: list[str] = []
        for wanted in self.options.log_groups:
            prefix = wanted[:-1] if wanted.endswith("*") else wanted
            found: list[str] = []
            token = None
            while True:
                page = self._call(
                    "describe_log_groups", logGroupNamePrefix=prefix, **({"nextToken": token} if token else {})
                )
                found += [g["logGroupName"] for g in page.get("logGroups", [])]
                token = page.get("nextToken")
                if not token:
                    break
            matched = found if wanted.endswith("*") else [g for g in found if g == wanted]
            if not matched:
                raise CollectError(f"log group {wanted!r} does not exist (or is not visible to these credentials)")
            groups += [g for g in matched if g not in groups]
        return groups

    def collect(self, progress: Progress | None = None, now_ms: int | None = None) -> CollectReport:
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        for group in self.resolve_groups():
            self.report.groups += 1
            self._collect_group(group, now, progress)
        return self.report

    def _collect_group(self, group: str, now: int, progress: Progress | None) -> None:
        if not self.options.lease:
            self._collect_held_group(group, now, progress)
            return
        with self.store.lease(f"collect/{SOURCE}/{group}") as held:
            if not held:
                raise CollectError(
                    f"another collect of log group {group!r} is running; run `loglake collect {group}` "
                    "again once it has finished"
                )
            self._lease = held
            try:
                self._collect_held_group(group, now, progress)
            finally:
                self._lease = None

    def _put(self, key: str, data: bytes) -> None:
        if self._lease is not None:
            group = self._lease.name.removeprefix(f"collect/{SOURCE}/")
            self._lease.check(f"writing {key}", f"run `loglake collect {group}` again")
        self.store.put(key, data)

    def _collect_held_group(self, group: str, now: int, progress: Progress | None) -> None:
        opts = self.options
        ckpt_key = checkpoint_key("cloudwatch", group)
        checkpoint = self._load(ckpt_key)
        if opts.start_ms is not None:
            start = opts.start_ms
        elif checkpoint is not None:
            start = checkpoint.next_start_ms
        else:
            start = now - opts.first_run_lookback_ms
        end = min(opts.end_ms, now) if opts.end_ms is not None else now
        if checkpoint is None:  # a new group, or an old run's that crashed before its first checkpoint
            packed_from = self._after_per_stream_slices(group, opts.slice_ms)
        elif checkpoint.packed_from_ms is None:
            # Collected before packing: any slice up to now may hold per-stream objects; pack after it.
            packed_from = now - now % opts.slice_ms + opts.slice_ms
        else:
            packed_from = checkpoint.packed_from_ms
        # Whole slices only (the last one up to now): a slice is always read complete, never in part.
        first_slice = start - start % opts.slice_ms
        for slice_start in range(first_slice, end, opts.slice_ms):
            slice_end = min(slice_start + opts.slice_ms, now)
            by_stream = self._read_slice(group, slice_start, slice_end)
            if slice_start >= packed_from:
                self._write_packed_slice(group, slice_start, by_stream)
            else:
                packed = self._ids_in(shared_prefix(SOURCE, group) + f"{slice_start:013d}-")
                for stream, events in sorted(by_stream.items()):
                    kept = {event_id: e for event_id, e in events.items() if event_id not in packed}
                    self._write_stream_slice(group, stream, slice_start, kept)
            if progress is not None:
                progress(self.report)
        # Slices from `end - overlap` on may still gain late events: read them again next time. The
        # checkpoint only moves forward, so a backfill of an old range leaves it where it was.
        resume = max(first_slice, end - opts.overlap_ms)
        resume -= resume % opts.slice_ms
        if checkpoint is not None:
            resume = max(resume, checkpoint.next_start_ms)
        seen = [t for t in (self.report.newest_ms.get(group), checkpoint and checkpoint.newest_ms) if t]
        if seen:
            self.report.newest_ms[group] = max(seen)
        self._save(ckpt_key, GroupCheckpoint(group, resume, packed_from, max(seen) if seen else None))

    def _after_per_stream_slices(self, group: str, slice_ms: int) -> int:
        """The first slice to pack for a group without a checkpoint: after the last slice that per-stream
        objects (an old loglake's) hold, so none of their events is packed a second time; 0 if none."""
        folder = shared_prefix(SOURCE, group).removesuffix(f"stream={SHARED_STREAM_SEGMENT}/")
        ranges = (RawKey.parse(key) for key in list_raw_objects(self.store, folder))
        last = max(
            (int(k.range[:13]) for k in ranges if not k.shared and _SLICE_RANGE.fullmatch(k.range)), default=None
        )
        return 0 if last is None else last - last % slice_ms + slice_ms

    def _ids_in(self, prefix: str) -> set[str]:
        """The event ids the objects under `prefix` hold."""
        return {
            str(r["event_id"])
            for key in list_raw_objects(self.store, prefix)
            for r in decode_batch(self.store.get(key))
        }

    def _read_slice(self, group: str, start: int, end: int) -> dict[str, dict[str, dict[str, Any]]]:
        """Every event of the group with start <= timestamp < end, per stream, keyed by eventId."""
        by_stream: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        token = None
        while True:
            kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start, "endTime": end - 1, "limit": 10_000}
            if token:
                kwargs["nextToken"] = token
            page = self._call("filter_log_events", **kwargs)
            for event in page.get("events", []):
                if start <= event["timestamp"] < end:
                    by_stream[event["logStreamName"]][event["eventId"]] = event
                    if event["timestamp"] > self.report.newest_ms.get(group, -1):
                        self.report.newest_ms[group] = int(event["timestamp"])
            new_token = page.get("nextToken")
            if not new_token or new_token == token:  # the token comes back unchanged at the end
                return by_stream
            token = new_token

    def _write_stream_slice(self, group: str, stream: str, slice_start: int, events: dict[str, dict[str, Any]]) -> None:
        """Write the (stream, slice) objects; only ever a superset of what they held (retention may have
        expired events since, and those must not vanish from the lake)."""
        self.report.streams.add((group, stream))
        self.report.events += len(events)
        prefix = stream_prefix(SOURCE, group, stream) + f"{slice_start:013d}-"
        existing: dict[str, bytes] = {}
        for key in list_raw_objects(self.store, prefix):
            existing[key] = self.store.get(key)
            for record in decode_batch(existing[key]):
                events.setdefault(str(record["event_id"]), _as_event(record))
        ordered = sorted(events.values(), key=lambda e: (e["timestamp"], str(e["eventId"])))
        for part, offset in enumerate(range(0, len(ordered), PART_EVENTS)):
            records: list[RawRecord] = [
                {
                    "log_group": group,
                    "log_stream": stream,
                    "event_id": str(e["eventId"]),
                    "timestamp": int(e["timestamp"]),
                    "ingestion_time": e.get("ingestionTime"),
                    "message": str(e["message"]),
                    "source": SOURCE,
                }
                for e in ordered[offset : offset + PART_EVENTS]
            ]
            key = RawKey(SOURCE, group, stream, f"{slice_start:013d}-{part:04d}").key
            data = encode_batch(records)
            if existing.get(key) == data:
                self.report.unchanged += 1
                continue
            self._put(key, data)
            self.report.bytes += len(data)
            self.report.written.append(key)

    def _write_packed_slice(
        self, group: str, slice_start: int, by_stream: dict[str, dict[str, dict[str, Any]]]
    ) -> None:
        """Place the slice's events in its shared objects (the rule is in the module docstring) and write the
        objects that gained events."""
        self.report.streams.update((group, stream) for stream in by_stream)
        self.report.events += sum(len(events) for events in by_stream.values())
        prefix = shared_prefix(SOURCE, group) + f"{slice_start:013d}-"
        existing: dict[str, bytes] = {}
        packs: list[_Pack] = []
        placed: set[str] = set()
        for key in sorted(list_raw_objects(self.store, prefix)):
            existing[key] = self.store.get(key)
            pack = _Pack(key)
            for held in decode_batch(existing[key]):
                pack.add(held)
                placed.add(str(held["event_id"]))
            packs.append(pack)
        fresh = sorted(
            (stream, int(e["timestamp"]), str(e["eventId"]), e)
            for stream, events in by_stream.items()
            for event_id, e in events.items()
            if event_id not in placed
        )
        last_of_stream: dict[str, _Pack] = {}
        for pack in packs:
            for stream in pack.streams:
                last_of_stream[stream] = pack
        changed: list[_Pack] = []
        for stream, timestamp, event_id, event in fresh:
            record: RawRecord = {
                "log_group": group,
                "log_stream": stream,
                "event_id": event_id,
                "timestamp": timestamp,
                "ingestion_time": event.get("ingestionTime"),
                "message": str(event["message"]),
                "source": SOURCE,
            }
            size = len(orjson.dumps(record)) + 1
            own = last_of_stream.get(stream)
            if own is not None and own.has_room(size):
                pack = own
            elif packs and packs[-1].has_room(size):
                pack = packs[-1]
            else:
                pack = _Pack(RawKey.of_streams(SOURCE, group, f"{slice_start:013d}-{len(packs):04d}").key)
                packs.append(pack)
            pack.add(record, size)
            last_of_stream[stream] = pack
            if pack not in changed:
                changed.append(pack)
        for pack in sorted(changed, key=lambda p: p.key):
            data = encode_batch(sorted(pack.records, key=_record_order))
            if existing.get(pack.key) == data:
                self.report.unchanged += 1
                continue
            self._put(pack.key, data)
            self.report.bytes += len(data)
            self.report.written.append(pack.key)
        self.report.unchanged += len(packs) - len(changed)

    def _load(self, key: str) -> GroupCheckpoint | None:
        data, _version = self.store.read_versioned(key)
        return GroupCheckpoint(**orjson.loads(data)) if data else None

    def _save(self, key: str, checkpoint: GroupCheckpoint) -> None:
        self._put(key, orjson.dumps(asdict(checkpoint), option=orjson.OPT_INDENT_2))


_SLICE_RANGE = re.compile(r"[0-9]{13}-[0-9]{4}")
"""The range of a collector's object: its slice start, then its part (or pack) number."""


def _as_event(record: RawRecord) -> dict[str, Any]:
    """A raw record back in FilterLogEvents' shape, to merge with a fresh read."""
    return {
        "eventId": record["event_id"],
        "timestamp": record["timestamp"],
        "ingestionTime": record.get("ingestion_time"),
        "message": record["message"],
    }


def _record_order(record: RawRecord) -> tuple[str, int, str]:
    return (record["log_stream"], record["timestamp"], record["event_id"])


class _Pack:
    """One shared object of a slice while it is being filled: its records, streams and size."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.records: list[RawRecord] = []
        self.streams: set[str] = set()
        self.bytes = 0

    def add(self, record: RawRecord, size: int | None = None) -> None:
        self.records.append(record)
        self.streams.add(record["log_stream"])
        self.bytes += size if size is not None else len(orjson.dumps(record)) + 1

    def has_room(self, size: int) -> bool:
        return not self.records or (len(self.records) < PACK_EVENTS and self.bytes + size <= PACK_BYTES)
