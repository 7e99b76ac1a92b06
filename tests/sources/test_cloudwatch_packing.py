"""The collector packs the small streams of a log group into shared raw objects per slice, bounded by size,
and keeps every event in exactly one object across late events, re-runs, crashes and old lakes (moto server)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest

from loglake.lake.keys import RawKey, checkpoint_key, encode_segment
from loglake.lake.open import Lake, open_lake
from loglake.lake.raw_zone import decode_batch, list_raw_objects
from loglake.lake.store import Store
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.sources import cloudwatch_logs
from loglake.sources.cloudwatch_logs import CloudWatchCollector, CollectorOptions
from loglake.transform.settings import EtlSettings

MINUTE = 60_000
SLICE = 15 * MINUTE
NOW = 1_795_000_000_000 - 1_795_000_000_000 % SLICE + 10 * MINUTE
"""A fixed 'now', ten minutes into a slice: runs are repeatable whatever the clock says."""
BASE = NOW - 10 * MINUTE - 4 * SLICE
"""The start of the first of the four whole slices before NOW's."""


def put_events(group: str, stream: str, timestamps: list[int], tag: str = "", logs: Any = None) -> None:
    """`logs`, a client whose group already exists, saves a client and a call per stream (many streams)."""
    if logs is None:
        logs = boto3.client("logs")
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_group(logGroupName=group)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    events = [
        {"timestamp": t, "message": f'{{"stream":"{stream}","i":{i},"tag":"{tag}"}}'}
        for i, t in enumerate(sorted(timestamps))
    ]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def truth(group: str) -> set[str]:
    found: set[str] = set()
    for page in boto3.client("logs").get_paginator("filter_log_events").paginate(logGroupName=group):
        found |= {e["eventId"] for e in page["events"]}
    return found


def placement(store: Store, group: str) -> dict[str, str]:
    """eventId → the raw object holding it; fails if one is in two objects."""
    where: dict[str, str] = {}
    for key in list_raw_objects(store, f"raw/source=cloudwatch/log_group={encode_segment(group)}/"):
        for record in decode_batch(store.get(key)):
            assert record["event_id"] not in where, f"{record['event_id']} in {where.get(record['event_id'])} and {key}"
            where[record["event_id"]] = key
    return where


def collect(lake: Lake, group: str, *, now: int = NOW, start: int | None = BASE, **options: Any) -> Any:
    opts = CollectorOptions(log_groups=(group,), start_ms=start, calls_per_second=1000, **options)
    return CloudWatchCollector(lake.store, opts).collect(now_ms=now)


def landed(lake: Lake) -> list[str]:
    """Every clean event id (with repeats), after checking conservation."""
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    with DuckDBEngine(lake.store) as engine:
        assert check_conservation(engine, engine.store).ok
        return [row[0] for row in engine.query("SELECT event_id FROM logs").rows]


def test_many_small_streams_share_a_few_objects(aws: str, lake: Lake) -> None:
    group = "/aws/lambda/idle"
    # 200 streams, not 2,000 (the same code path: no bound is near either; 2,000 cost 98 s of moto calls in CI);
    # benchmarks/small_files.py measures 2,000.
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName=group)
    for s in range(200):  # three events per stream, spread over two slices
        times = [BASE + s * 4000, BASE + SLICE + s * 70, BASE + SLICE + s * 80]
        put_events(group, f"2026/11/29/[$LATEST]{s:032x}", times, logs=logs)
    report = collect(lake, group)
    assert (len(report.streams), report.events) == (200, 600)
    # One object per slice, not one per (stream, slice): 400 objects before.
    assert sorted(report.written) == [
        RawKey.of_streams("cloudwatch", group, f"{BASE:013d}-0000").key,
        RawKey.of_streams("cloudwatch", group, f"{BASE + SLICE:013d}-0000").key,
    ]
    where = placement(lake.store, group)
    assert len(where) == 600 and set(where) == truth(group)
    ids = landed(lake)
    assert len(ids) == len(set(ids)) == 600
    with DuckDBEngine(lake.store) as engine:
        streams = engine.query(
            "SELECT count(DISTINCT log_stream), count(*) FILTER (WHERE stream <> log_stream) FROM logs"
        )
    assert streams.rows == [(200, 0)]  # each record keeps its own stream


def test_objects_are_bounded_by_size(aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    group = "/bounded"
    for s in range(30):
        put_events(group, f"s{s:02d}", [BASE + s * 1000 + i for i in range(25)])  # 750 events, one slice
    monkeypatch.setattr(cloudwatch_logs, "PACK_EVENTS", 100)
    by_count = open_lake(str(tmp_path / "by-count"))
    report = collect(by_count, group)
    assert [len(decode_batch(by_count.store.get(key))) for key in report.written] == [100] * 7 + [50]

    monkeypatch.setattr(cloudwatch_logs, "PACK_EVENTS", 10_000)
    monkeypatch.setattr(cloudwatch_logs, "PACK_BYTES", 20_000)
    by_size = open_lake(str(tmp_path / "by-size"))
    written = collect(by_size, group).written
    sizes = [[len(orjson.dumps(r)) + 1 for r in decode_batch(by_size.store.get(k))] for k in written]
    largest = max(size for object_sizes in sizes for size in object_sizes)
    assert sum(len(object_sizes) for object_sizes in sizes) == 750 and len(sizes) > 1
    assert all(sum(object_sizes) <= 20_000 for object_sizes in sizes)
    assert all(sum(object_sizes) > 20_000 - largest for object_sizes in sizes[:-1])  # each one filled before the next


def test_a_late_event_of_a_packed_stream_lands_once_and_nothing_moves(
    aws: str, lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cloudwatch_logs, "PACK_EVENTS", 40)
    group = "/late"
    for s in range(10):
        put_events(group, f"s{s}", [BASE + s * 100 + i for i in range(10)])  # 100 events → 40 + 40 + 20
    collect(lake, group)
    before = placement(lake.store, group)
    assert sorted(set(before.values())) == [
        RawKey.of_streams("cloudwatch", group, f"{BASE:013d}-{n:04d}").key for n in range(3)
    ]
    assert len(landed(lake)) == 100

    # s1 sits in the full first object; s9 in the last, which has room. Late events of both, and of a new stream.
    put_events(group, "s1", [BASE + 5_000], tag="late")
    put_events(group, "s9", [BASE + 5_001], tag="late")
    put_events(group, "s-new", [BASE + 5_002, BASE + 5_003], tag="late")
    again = collect(lake, group, start=None)  # from the checkpoint: the overlap does not reach BASE
    assert again.written == []
    third = collect(lake, group)  # a re-read of the slice
    after = placement(lake.store, group)
    assert {k: after[k] for k in before} == before  # no event moved
    late = sorted(after[k] for k in set(after) - set(before))
    last = RawKey.of_streams("cloudwatch", group, f"{BASE:013d}-0002").key
    assert late == [last] * 4 and third.written == [last]
    ids = landed(lake)
    assert len(ids) == len(set(ids)) == 104 and set(ids) == truth(group)


def test_a_rerun_writes_the_same_keys_and_bytes(aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cloudwatch_logs, "PACK_EVENTS", 50)
    group = "/rerun"
    for s in range(12):
        put_events(group, f"s{s}", [BASE + (s * 37_000 + i * 131_000) % (3 * SLICE) for i in range(20)])
    lakes = [open_lake(str(tmp_path / name)) for name in ("a", "b")]
    first = collect(lakes[0], group)
    second = collect(lakes[0], group)
    assert second.written == [] and second.unchanged == len(first.written)
    collect(lakes[1], group)

    def contents(lake: Lake) -> dict[str, bytes]:
        return {key: lake.store.get(key) for key in list_raw_objects(lake.store)}

    assert contents(lakes[0]) == contents(lakes[1])
    assert len(contents(lakes[0])) == len(first.written) == 6  # 240 events over 3 slices
    assert sum(len(decode_batch(d)) for d in contents(lakes[0]).values()) == 240


class _Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs (not even `except Exception`)."""


class _DiesAfter:
    """The lake's store, dying just before its (n+1)th raw object write."""

    def __init__(self, store: Store, puts: int) -> None:
        self._store = store
        self._left = puts

    def put(self, key: str, data: bytes) -> None:
        if key.startswith("raw/"):
            if self._left == 0:
                raise _Killed
            self._left -= 1
        self._store.put(key, data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _killed_run(lake: Lake, group: str, puts: int) -> None:
    options = CollectorOptions(log_groups=(group,), start_ms=BASE, calls_per_second=1000)
    with pytest.raises(_Killed):
        CloudWatchCollector(_DiesAfter(lake.store, puts), options).collect(now_ms=NOW)


def test_a_kill_between_objects_then_a_resume_lands_every_event_once(
    aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cloudwatch_logs, "PACK_EVENTS", 30)
    for puts in range(4):
        group = f"/killed/{puts}"
        for s in range(8):  # 120 events over two slices: two objects each
            put_events(group, f"s{s}", [BASE + (s % 2) * SLICE + s * 60 + i for i in range(15)])
        lake = open_lake(str(tmp_path / f"kill-{puts}"))
        _killed_run(lake, group, puts)
        assert lake.store.read_versioned(checkpoint_key("cloudwatch", group))[0] is None  # not moved
        partial = landed(lake)  # the ETL runs on what the killed run wrote
        assert len(partial) == len(set(partial)) == 30 * puts
        resumed = collect(lake, group)
        assert len(resumed.written) == 4 - puts
        ids = landed(lake)
        assert len(ids) == len(set(ids)) == 120 and set(ids) == truth(group)

        # Late events in both slices (one of a packed stream, two of a new one); killed after its first object.
        put_events(group, "s1", [BASE + 900], tag="late")
        put_events(group, "s-new", [BASE + 901, BASE + SLICE + 901], tag="late")
        before = placement(lake.store, group)
        _killed_run(lake, group, 1)
        assert len(landed(lake)) == 122  # the first slice's late events are in, the second's not yet
        collect(lake, group)
        after = placement(lake.store, group)
        assert {k: after[k] for k in before} == before and set(after) == truth(group)
        ids = landed(lake)
        assert len(ids) == len(set(ids)) == 123 and set(ids) == truth(group)


def test_a_lake_collected_before_packing_keeps_one_object_per_stream_for_its_slices(
    aws: str, lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = "/old"
    for s in range(3):
        put_events(group, f"s{s}", [BASE + s * 10 + i for i in range(5)])

    def per_stream(self: CloudWatchCollector, group: str, slice_start: int, by_stream: Any) -> None:
        for stream, events in sorted(by_stream.items()):
            self._write_stream_slice(group, stream, slice_start, events)

    with monkeypatch.context() as old_code:
        old_code.setattr(CloudWatchCollector, "_write_packed_slice", per_stream)
        collect(lake, group, now=BASE + SLICE + MINUTE)
    ckpt = checkpoint_key("cloudwatch", group)
    state = orjson.loads(lake.store.get(ckpt))
    del state["packed_from_ms"]  # the checkpoint an old loglake wrote
    lake.store.put(ckpt, orjson.dumps(state))
    assert len(landed(lake)) == 15

    put_events(group, "s1", [BASE + 600], tag="late")  # late, in a slice the old code wrote
    put_events(group, "s1", [BASE + SLICE + 2 * MINUTE, BASE + 2 * SLICE + 60])  # a later slice, and the next
    report = collect(lake, group, start=None, now=BASE + SLICE + 3 * MINUTE)
    assert sorted(k.split("/stream=")[1] for k in report.written) == [
        f"s1/{BASE:013d}-0000.json.gz",  # the run's slices stay per stream
        f"s1/{BASE + SLICE:013d}-0000.json.gz",
    ]
    assert orjson.loads(lake.store.get(ckpt))["packed_from_ms"] == BASE + 2 * SLICE
    later = collect(lake, group, start=None, now=BASE + 2 * SLICE + 5 * MINUTE)
    assert [k.split("/stream=")[1] for k in later.written] == [f"%7Eshared/{BASE + 2 * SLICE:013d}-0000.json.gz"]
    where = placement(lake.store, group)
    assert set(where) == truth(group) and len(where) == 18
    ids = landed(lake)
    assert len(ids) == len(set(ids)) == 18


def test_a_shared_key_never_names_a_real_stream() -> None:
    shared = RawKey.of_streams("cloudwatch", "/g", "0000000000000-0000")
    assert shared.key == "raw/source=cloudwatch/log_group=%2Fg/stream=%7Eshared/0000000000000-0000.json.gz"
    assert RawKey.parse(shared.key) == shared and RawKey.parse(shared.key).shared
    for name in ("~shared", "%7Eshared", "%7eshared", "~"):
        real = RawKey("cloudwatch", "/g", name, "0000000000000-0000")
        assert real.key != shared.key and RawKey.parse(real.key) == real and not RawKey.parse(real.key).shared
    assert shared.object_id != RawKey("cloudwatch", "/g", "~shared", "0000000000000-0000").object_id


def _old_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """The collector before packing: every slice written one object per stream."""

    def per_stream(self: CloudWatchCollector, group: str, slice_start: int, by_stream: Any) -> None:
        for stream, events in sorted(by_stream.items()):
            self._write_stream_slice(group, stream, slice_start, events)

    monkeypatch.setattr(CloudWatchCollector, "_write_packed_slice", per_stream)


def test_an_old_run_that_crashed_before_its_checkpoint_is_not_packed_again(
    aws: str, lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = "/old/crashed"
    for s in range(3):
        put_events(group, f"s{s}", [BASE + s * 10 + i for i in range(5)])
    with monkeypatch.context() as old:
        _old_code(old)
        collect(lake, group, now=BASE + SLICE + MINUTE)
    lake.store.delete(checkpoint_key("cloudwatch", group))  # it crashed before writing one
    assert len(placement(lake.store, group)) == 15
    put_events(group, "s1", [BASE + 600, BASE + 2 * SLICE + 60], tag="late")  # the old slice, and a later one
    report = collect(lake, group, now=BASE + 2 * SLICE + 5 * MINUTE)
    assert sorted(k.split("/stream=")[1] for k in report.written) == [
        f"%7Eshared/{BASE + 2 * SLICE:013d}-0000.json.gz",  # after the old objects' last slice: packed
        f"s1/{BASE:013d}-0000.json.gz",  # the old slice stays per stream, with its late event
    ]
    where = placement(lake.store, group)  # fails if an event is in two objects
    assert set(where) == truth(group) and len(where) == 17
    ids = landed(lake)
    assert len(ids) == len(set(ids)) == 17


def test_a_slice_written_per_stream_leaves_out_what_a_crashed_packing_run_placed(
    aws: str, lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = "/old/both"
    put_events(group, "s0", [BASE + i for i in range(5)])
    put_events(group, "s1", [BASE + SLICE + i for i in range(5)])
    with monkeypatch.context() as old:
        _old_code(old)
        collect(lake, group, start=BASE + SLICE, now=BASE + SLICE + MINUTE)  # the old code: slice 2 only
    collect(lake, group, start=BASE, now=BASE + SLICE)  # a packing run: slice 1, in a shared object
    lake.store.delete(checkpoint_key("cloudwatch", group))  # neither left a checkpoint
    put_events(group, "s0", [BASE + 100], tag="late")
    collect(lake, group, now=BASE + SLICE + 2 * MINUTE)  # both slices per stream now
    where = placement(lake.store, group)
    assert set(where) == truth(group) and len(where) == 11
    assert sorted({key.split("/stream=")[1] for key in where.values()}) == [
        f"%7Eshared/{BASE:013d}-0000.json.gz",  # its five events stay where they were placed
        f"s0/{BASE:013d}-0000.json.gz",  # the late one only
        f"s1/{BASE + SLICE:013d}-0000.json.gz",
    ]
    ids = landed(lake)
    assert len(ids) == len(set(ids)) == 11
