"""Compaction (lake/compaction.py): small clean files of closed hours become large ones, and readers
count every event exactly once before, during (a compaction killed at random points) and after it,
through re-drives and late objects, on a local lake and on S3 (moto)."""

from __future__ import annotations

import contextlib
import gzip
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from conftest import T0, CliRun
from loglake.errors import LoglakeError
from loglake.lake import compaction
from loglake.lake.compaction import (
    PartitionRecord,
    compact,
    compact_partition,
    live_files,
    parse_duration,
    parse_size,
    record_key,
)
from loglake.lake.formats import FORMATS
from loglake.lake.keys import RawKey
from loglake.lake.local_store import CRASH_HOOK
from loglake.lake.open import Lake
from loglake.lake.s3_store import LEASE_PREFIX, S3Store
from loglake.lake.store import Lease, Store
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings, Route

HOUR_MS = 3_600_000
P0 = "dt=2025-11-28/hour=00"
P1 = "dt=2025-11-28/hour=01"


def _raw(store: Store, stream: str, events: list[tuple[str, int, str]], group: str = "/app") -> str:
    """Write one raw object as the CloudWatch collector does (its key names the stream and slice, so a
    rewrite with late events keeps the key); events are (id, timestamp ms, message)."""
    key = RawKey("cloudwatch", group, stream, f"{T0}-{T0 + 2 * HOUR_MS}-0").key
    lines = [
        orjson.dumps(
            {
                "log_group": group,
                "log_stream": stream,
                "event_id": event_id,
                "timestamp": ts,
                "ingestion_time": ts,
                "message": message,
                "source": "cloudwatch",
            }
        )
        for event_id, ts, message in events
    ]
    store.put(key, gzip.compress(b"\n".join(lines) + b"\n"))
    return key


def _events(stream: str, n: int, hour: int = 0, start: int = 0) -> list[tuple[str, int, str]]:
    base = T0 + hour * HOUR_MS
    return [
        (f"{stream}-{hour}-{i}", base + (i * 7919) % 3_000_000, f'{{"n": {i}, "s": "{stream}"}}')
        for i in range(start, n)
    ]


def _etl(lake: Lake, force: bool = False) -> None:
    keys = sorted(lake.store.list("raw/")) if force else pending_raw_objects(lake)
    run_etl(lake, keys, EtlSettings(), workers=1, force=force)


def _counts(lake: Lake) -> tuple[int, int]:
    with DuckDBEngine(lake.store) as engine:
        [(rows, distinct)] = engine.query("SELECT count(*), count(DISTINCT event_id) FROM logs").rows
    return int(rows), int(distinct)


def _files(store: Store, partition: str) -> list[str]:
    return [k.rsplit("/", 1)[1] for k in store.list(f"clean/logs/{partition}/")]


def _fill(lake: Lake, streams: int = 6) -> int:
    """`streams` raw objects, each with events in hour 0 and hour 1; returns the number of events."""
    total = 0
    for s in range(streams):
        events = _events(f"s{s}", 5 + s) + _events(f"s{s}", 3, hour=1)
        _raw(lake.store, f"s{s}", events)
        total += len(events)
    _etl(lake)
    return total


def _verify(lake: Lake) -> None:
    with DuckDBEngine(lake.store) as engine:
        report = check_conservation(engine, lake.store)
    assert report.ok, report.as_dict()


def test_closed_hours_become_one_file_ordered_by_time_and_counts_stay_exact(lake: Lake) -> None:
    total = _fill(lake)
    assert total == 6 * 3 + sum(5 + s for s in range(6)) == 63
    assert len(_files(lake.store, P0)) == 6 and len(_files(lake.store, P1)) == 6
    assert _counts(lake) == (63, 63)

    report = compact(lake.store, ["logs"], older_than_s=0, grace_s=3600)

    assert [(p.partition, p.inputs, p.outputs, p.rows, p.status) for p in report.partitions] == [
        (P0, 6, 1, 45, "compacted"),
        (P1, 6, 1, 18, "compacted"),
    ]
    assert [k.rsplit("/", 1)[1].startswith("c-") for k in live_files(lake.store, "logs")] == [True, True]
    assert len(_files(lake.store, P0)) == 7  # the inputs stay for the grace period, unread
    assert _counts(lake) == (63, 63)
    _verify(lake)
    with DuckDBEngine(lake.store) as engine:
        times = engine.query("SELECT timestamp FROM logs WHERE hour = 0").rows
        assert [t for (t,) in times] == sorted(t for (t,) in times)  # the view reads the one file in order

    again = compact(lake.store, ["logs"], older_than_s=0, grace_s=0)
    assert [(p.status, p.deleted) for p in again.partitions] == [("nothing", 6), ("nothing", 6)]
    assert len(_files(lake.store, P0)) == 1 and len(_files(lake.store, P1)) == 1
    # Search's skip index (lake/skip_index.py) covers the compacted files, and left with the inputs.
    indexes = [k.rsplit("/", 1)[1] for k in lake.store.list(f"state/skip_index/logs/{P0}/")]
    assert indexes == [f"{_files(lake.store, P0)[0]}.bloom"]
    assert _counts(lake) == (63, 63)
    _verify(lake)
    # The ETL's "already done" check knows compacted outputs: nothing is processed again.
    results = run_etl(lake, sorted(lake.store.list("raw/")), EtlSettings(), workers=1)
    assert [r.skipped for r in results] == [True] * 6


def _codecs(lake: Lake) -> set[str]:
    """The compression codecs of the live clean files of `logs`, from their footers."""
    paths = [str(lake.store.root / key) for key in live_files(lake.store, "logs")]
    with duckdb.connect() as con:
        rows = con.execute("SELECT DISTINCT compression FROM parquet_metadata($paths)", {"paths": paths}).fetchall()
    return {str(codec) for (codec,) in rows}


def test_the_etl_writes_with_the_ingest_options_and_compaction_with_the_default(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ETL's files may trade bytes for CPU (zstd level 1, formats.Parquet.ingest_copy_options); compaction
    writes the files that stay with copy_options. A codec stands in for the level, which footers do not record:
    every write of the ETL takes the ingest options: one object's (the Lambda's, transform/hour_write.py: one hour
    in one file, or several) and a batch's (transform/etl_batch.py)."""
    monkeypatch.setattr(type(FORMATS["parquet"]), "ingest_copy_options", "FORMAT parquet, COMPRESSION snappy")
    for stream, events in (("one", _events("one", 4)), ("two", _events("two", 2) + _events("two", 2, hour=1))):
        process_raw_object(lake.store, _raw(lake.store, stream, events), EtlSettings())
    _fill(lake, streams=2)  # a batch of two objects, each with rows in two hours
    assert len(live_files(lake.store, "logs")) == 1 + 2 + 2 * 2
    assert _codecs(lake) == {"SNAPPY"}

    compact(lake.store, ["logs"], older_than_s=0, grace_s=3600)

    assert len(live_files(lake.store, "logs")) == 2
    assert _codecs(lake) == {"ZSTD"}
    assert _counts(lake) == (4 + 4 + 5 + 3 + 6 + 3, 25)


def test_hours_not_closed_and_single_files_are_left_alone(lake: Lake) -> None:
    _fill(lake, streams=1)
    now_ms = int(time.time() * 1000)
    _raw(lake.store, "recent", [(f"r{i}", now_ms - i, "recent") for i in range(3)])
    _etl(lake)

    report = compact(lake.store, ["logs"], older_than_s=3600, grace_s=0)

    assert [(p.partition, p.status) for p in report.partitions] == [(P0, "nothing"), (P1, "nothing")]
    assert not any(k.rsplit("/", 1)[1].startswith("c-") for k in lake.store.list("clean/"))
    assert _counts(lake) == (11, 11)


def test_target_size_splits_an_hour_into_several_files(lake: Lake) -> None:
    noise = random.Random(161)  # incompressible messages, the same bytes on every run
    for s in range(4):
        _raw(lake.store, f"big{s}", [(f"b{s}-{i}", T0 + i, noise.randbytes(200).hex()) for i in range(3000)])
    _etl(lake)

    [result] = compact(lake.store, ["logs"], older_than_s=0, grace_s=0, target_bytes=600_000).partitions

    assert (result.inputs, result.rows) == (4, 12000)
    assert result.outputs == 3  # 12,000 rows of 400 incompressible hex characters, 600 kB a file
    assert len(_files(lake.store, P0)) == result.outputs
    assert _counts(lake) == (12000, 12000)
    _verify(lake)


def test_force_redrive_after_compaction_is_exactly_once(lake: Lake) -> None:
    _fill(lake)
    compact(lake.store, ["logs"], older_than_s=0, grace_s=0)

    _etl(lake, force=True)

    assert _counts(lake) == (63, 63)
    _verify(lake)
    # Each re-run took its rows out of the compacted file and made its own file live again.
    live = live_files(lake.store, "logs")
    assert sum(1 for k in live if "/hour=00/" in k) == 6
    assert not any(k.rsplit("/", 1)[1].startswith("c-") for k in live)
    compact(lake.store, ["logs"], older_than_s=0, grace_s=0)
    assert len(_files(lake.store, P0)) == 1 and _counts(lake) == (63, 63)
    _verify(lake)


def test_rewritten_raw_object_after_compaction_replaces_its_rows(lake: Lake) -> None:
    """A collector slice that gained late events is processed again: its old rows leave the compacted
    file in the same commit that makes its new file live."""
    _fill(lake, streams=3)
    compact(lake.store, ["logs"], older_than_s=0, grace_s=0)
    assert _counts(lake) == (27, 27)

    _raw(lake.store, "s1", _events("s1", 6 + 4) + _events("s1", 3, hour=1))  # 4 late events in hour 0
    assert len(pending_raw_objects(lake)) == 1
    _etl(lake)

    assert _counts(lake) == (31, 31)
    _verify(lake)
    record = PartitionRecord.from_json(lake.store.get(record_key("logs", P0)))
    object_id = RawKey.parse(sorted(lake.store.list("raw/"))[1]).object_id
    assert f"clean/logs/{P0}/{object_id}.parquet" in record.live


def test_redrives_that_move_compacted_rows_to_quarantine_another_table_and_back(lake: Lake) -> None:
    """Rows of compacted objects leave the compacted files in the commit that puts them elsewhere."""
    _fill(lake, streams=2)
    compact(lake.store, ["logs"], older_than_s=0, grace_s=0)
    raw = sorted(lake.store.list("raw/"))

    def where() -> tuple[int, ...]:
        with DuckDBEngine(lake.store) as engine:
            [row] = engine.query(
                "SELECT (SELECT count(*) FROM logs), (SELECT count(*) FROM quarantine), "
                "(SELECT count(DISTINCT event_id) FROM logs)"
            ).rows
        return tuple(int(n) for n in row)

    forced = EtlSettings(routes=(Route("/app", format="access_log"),))  # JSON lines: format_mismatch
    run_etl(lake, raw, forced, workers=1, force=True)
    assert where() == (0, 17, 0)
    _verify(lake)
    assert not any(k.rsplit("/", 1)[1].startswith("c-") for k in live_files(lake.store, "logs"))

    run_etl(lake, raw, EtlSettings(), workers=1, force=True)  # the fix: re-driven out of quarantine
    assert where() == (17, 0, 17)
    _verify(lake)
    compact(lake.store, ["logs"], older_than_s=0, grace_s=0)

    run_etl(lake, raw, EtlSettings(routes=(Route("/app", table="apps"),)), workers=1, force=True)
    assert where() == (0, 0, 0)
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT count(*), count(DISTINCT event_id) FROM apps").rows == [(17, 17)]
    _verify(lake)


_ETL = (
    "import sys; from loglake.lake.open import open_lake; from loglake.pipeline import pending_raw_objects, run_etl; "
    "from loglake.transform.settings import EtlSettings; lake = open_lake(sys.argv[1]); "
    "run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)"
)


def test_an_etl_rerun_killed_at_every_write_never_shows_old_and_new_rows_together(lake: Lake) -> None:
    """A collector rewrite of a compacted object (4 late events) is processed in a subprocess killed before
    its 1st, 2nd, ... atomic write: after each kill a query sees the object's old rows or its new ones,
    never both and never neither; the run that finishes leaves the new ones, and verify holds."""
    _fill(lake, streams=3)
    compact(lake.store, ["logs"], older_than_s=0, grace_s=0)
    _raw(lake.store, "s1", _events("s1", 6 + 4) + _events("s1", 3, hour=1))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGLAKE_")}
    seen = []
    for n in range(1, 40):
        child = subprocess.run(
            [sys.executable, "-c", _ETL, str(lake.store.uri)], env=env | {CRASH_HOOK: str(n)}, capture_output=True
        )
        seen.append(_counts(lake))
        if child.returncode != -signal.SIGKILL:
            assert child.returncode == 0, child.stderr.decode()[-2000:]
            break
    assert len(seen) >= 5  # killed at four writes or more before one run finished
    assert set(seen[:-1]) <= {(27, 27), (31, 31)} and seen[-1] == (31, 31)
    assert pending_raw_objects(lake) == []
    _verify(lake)


def test_late_object_after_compaction_adds_a_file_that_the_next_run_takes(lake: Lake) -> None:
    _fill(lake, streams=2)
    compact(lake.store, ["logs"], older_than_s=0, grace_s=0)
    assert len(_files(lake.store, P0)) == 1

    _raw(lake.store, "late", _events("late", 4))
    _etl(lake)
    assert len(_files(lake.store, P0)) == 2 and _counts(lake) == (21, 21)

    [p0, p1] = compact(lake.store, ["logs"], older_than_s=0, grace_s=0).partitions
    assert (p0.status, p0.inputs, p0.outputs, p0.rows) == ("compacted", 2, 1, 15)
    assert p1.status == "nothing"
    assert len(_files(lake.store, P0)) == 1 and _counts(lake) == (21, 21)
    _verify(lake)
    # The late object's re-drive still finds its rows, now in the second compacted file.
    _etl(lake, force=True)
    assert _counts(lake) == (21, 21)
    _verify(lake)


def test_an_uncommitted_compacted_file_is_never_read_and_the_next_run_deletes_it(lake: Lake) -> None:
    _fill(lake, streams=2)
    [first] = [k for k in lake.store.list(f"clean/logs/{P0}/")][:1]
    orphan = f"clean/logs/{P0}/c-0000000000000deadbeef.parquet"
    lake.store.put(orphan, lake.store.get(first))  # a crashed run's output: rows that would count twice

    assert orphan not in live_files(lake.store, "logs")
    assert _counts(lake) == (17, 17)
    result = compact_partition(lake.store, "logs", P0, grace_s=0)
    assert (result.status, result.inputs) == ("compacted", 2)
    assert not lake.store.exists(orphan)
    assert _counts(lake) == (17, 17)


def test_two_compactions_of_one_hour_do_not_both_run(lake: Lake) -> None:
    _fill(lake, streams=4)
    with lake.store.lease(f"compact/logs/{P0}") as held:
        assert held
        assert compact_partition(lake.store, "logs", P0).status == "busy"

    results: list[str] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.extend(p.status for p in compact(lake.store, ["logs"], older_than_s=0, grace_s=0).partitions)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results).count("compacted") == 2  # each hour once; the other run found it busy or done
    assert set(results) <= {"compacted", "busy", "nothing"}
    assert len(_files(lake.store, P0)) == 1 and len(_files(lake.store, P1)) == 1
    assert _counts(lake) == (4 * 3 + 5 + 6 + 7 + 8, 38)
    _verify(lake)


def test_a_redrive_waits_for_a_compaction_of_its_hour_and_commits_nothing_if_it_never_ends(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(lake, streams=2)
    compact(lake.store, ["logs"], older_than_s=0, grace_s=0)
    monkeypatch.setattr(compaction, "LEASE_WAIT_S", 0.2)
    raw = sorted(lake.store.list("raw/"))
    before = {k: lake.store.version(k) for k in lake.store.list("state/etl/")}
    with lake.store.lease(f"compact/logs/{P0}") as held:  # a compaction of hour 0, still running
        assert held
        with pytest.raises(LoglakeError, match=r"a compaction of clean/logs/dt=2025-11-28/hour=00 held it"):
            run_etl(lake, raw, EtlSettings(), workers=1, force=True)
        assert {k: lake.store.version(k) for k in lake.store.list("state/etl/")} == before  # no manifest moved
        assert _counts(lake) == (17, 17)  # the new files stayed hidden; the compacted rows still count once
    _etl(lake, force=True)
    assert _counts(lake) == (17, 17)
    _verify(lake)


def test_a_pruned_reader_reads_only_its_hours_records(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(lake, streams=2)
    compact(lake.store, ["logs"], older_than_s=0, grace_s=0)
    read: list[str] = []
    original = lake.store.read_versioned
    monkeypatch.setattr(lake.store, "read_versioned", lambda key: (read.append(key), original(key))[1])

    kept = live_files(lake.store, "logs", keep=lambda key: "/hour=01/" in key)

    assert [k.split("/")[3] for k in kept] == ["hour=01"] and len(kept) == 1
    assert read == [record_key("logs", P1)]


_COMPACT = (
    "import sys; from loglake.lake.open import open_lake; from loglake.lake.compaction import compact; "
    "compact(open_lake(sys.argv[1]).store, ['logs'], older_than_s=0, grace_s=float(sys.argv[2]), "
    "target_bytes=int(sys.argv[3]))"
)


def test_queries_count_exactly_while_compaction_is_killed_at_random_points(lake: Lake, tmp_path: Path) -> None:
    """20 rounds: a late object lands in each hour, then a compaction runs in a subprocess killed with
    SIGKILL at a random point (before its Nth atomic write, or after a random delay) while this process
    queries in a loop; every answer is exact. Then a run to the end: one file per hour, verify holds."""
    rng = random.Random(12)
    total = _fill(lake, streams=3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGLAKE_")}
    root = str(lake.store.uri)
    answers: list[tuple[int, int]] = []
    expected: list[int] = []
    kills = 0
    for round_ in range(20):
        events = _events(f"late{round_}", 2) + _events(f"late{round_}", 1, hour=1)
        _raw(lake.store, f"late{round_}", events)
        total += len(events)
        _etl(lake)
        crash = {CRASH_HOOK: str(rng.randint(1, 4))} if round_ % 2 == 0 else {}
        # A small target makes several files per hour, so a kill can fall between two of them.
        child = subprocess.Popen(
            [sys.executable, "-c", _COMPACT, root, "3600", "20000"], env=env | crash, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + rng.uniform(0.3, 1.5)
        while child.poll() is None:
            answers.append(_counts(lake))
            expected.append(total)
            if not crash and time.monotonic() > deadline:
                child.send_signal(signal.SIGKILL)
        child.wait()
        kills += child.returncode == -signal.SIGKILL
        answers.append(_counts(lake))
        expected.append(total)
    assert kills >= 10
    assert len(answers) >= 40
    assert answers == [(n, n) for n in expected]

    report = compact(lake.store, ["logs"], older_than_s=0, grace_s=0)  # resume: to the end, nothing kept
    assert {p.status for p in report.partitions} <= {"compacted", "nothing"}
    assert len(_files(lake.store, P0)) == 1 and len(_files(lake.store, P1)) == 1
    assert _counts(lake) == (total, total)
    _verify(lake)


def test_compaction_on_an_s3_lake(s3_lake: Lake) -> None:
    total = _fill(s3_lake, streams=4)
    assert _counts(s3_lake) == (total, total) == (38, 38)

    report = compact(s3_lake.store, ["logs"], older_than_s=0, grace_s=0)

    assert [(p.inputs, p.outputs, p.rows, p.deleted) for p in report.partitions] == [(4, 1, 26, 4), (4, 1, 12, 4)]
    assert len(_files(s3_lake.store, P0)) == 1
    assert _counts(s3_lake) == (38, 38)
    _verify(s3_lake)
    _etl(s3_lake, force=True)
    assert _counts(s3_lake) == (38, 38)
    _verify(s3_lake)
    _raw(s3_lake.store, "late", _events("late", 3))
    _etl(s3_lake)
    compact(s3_lake.store, ["logs"], older_than_s=0, grace_s=0)
    assert len(_files(s3_lake.store, P0)) == 1 and _counts(s3_lake) == (41, 41)
    _verify(s3_lake)
    with s3_lake.store.lease(f"compact/logs/{P1}") as held:
        assert held and compact_partition(s3_lake.store, "logs", P1).status == "busy"


def test_compact_command(lake: Lake, run_cli: CliRun) -> None:
    _fill(lake, streams=3)
    where = str(lake.store.uri)

    code, out, err = run_cli("compact", "--lake", where, "--older-than", "0", "--grace", "0")

    assert (code, err) == (0, "")
    assert out == "compacted 2 table-hours: 6 files into 2 (27 rows); deleted 6 replaced files\n"
    assert _counts(lake) == (27, 27)
    code, out, err = run_cli("compact", "--lake", where, "--target-size", "lots")
    assert (code, out) == (1, "")
    assert err.strip() == "error: --target-size must be a size such as 128MB or 1GiB, not 'lots'"
    code, out, err = run_cli("compact", "--lake", where, "--table", "nope")
    assert code == 1 and "no clean table 'nope'" in err


def test_durations_and_sizes() -> None:
    assert [parse_duration(t, "x") for t in ("0", "90s", "30m", "1h", "2d")] == [0, 90, 1800, 3600, 172800]
    assert [parse_size(t, "x") for t in ("128MB", "64MiB", "1gb", "500")] == [128_000_000, 67_108_864, 10**9, 500]
    with pytest.raises(Exception, match="duration"):
        parse_duration("soon", "--older-than")


@pytest.fixture(params=["UTC", "Asia/Tokyo"])
def local_tz(request: pytest.FixtureRequest) -> Iterator[str]:
    """The process's time zone (TZ) for one test, restored after it."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield str(request.param)
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_a_redrive_of_one_jsonl_object_leaves_the_others_values_as_they_were(lake: Lake, local_tz: str) -> None:
    """A string that looks like a time stays that string in the other objects' rows of a JSON-lines
    compacted file that a re-drive rewrites (read with the registry's types, written in UTC)."""
    jsonl = EtlSettings(output_format="jsonl")
    for stream in ("a", "b"):
        _raw(lake.store, stream, [(f"{stream}-1", T0, '{"t": "2026-11-26T10:00:00.5Z"}')])
    run_etl(lake, pending_raw_objects(lake), jsonl, workers=1)
    [result] = compact(lake.store, ["logs"], older_than_s=0, grace_s=0).partitions
    assert (result.status, result.inputs, result.outputs) == ("compacted", 2, 1)

    [only_a] = [k for k in lake.store.list("raw/") if "/stream=a/" in k]
    run_etl(lake, [only_a], jsonl, workers=1, force=True)

    with DuckDBEngine(lake.store) as engine:
        rows = engine.query("SELECT log_stream, t, CAST(timestamp AS VARCHAR) FROM logs ORDER BY 1").rows
    assert [(s, t) for s, t, _ts in rows] == [("a", "2026-11-26T10:00:00.5Z"), ("b", "2026-11-26T10:00:00.5Z")]
    assert rows[0][2] == rows[1][2]
    _verify(lake)


def test_a_registered_format_survives_a_redrive_of_a_compacted_object(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compaction reads and writes through the format plug-in: the test-only CSV format works by registration."""
    from test_formats import _Csv  # tests/lake/test_formats.py: the test-only CSV plug-in

    monkeypatch.setitem(FORMATS, "csv", _Csv())
    csv = EtlSettings(output_format="csv")
    for stream in ("a", "b", "c"):
        _raw(lake.store, stream, [(f"{stream}-{i}", T0 + i, f'{{"n": {i}, "s": "{stream}"}}') for i in range(3)])
    run_etl(lake, pending_raw_objects(lake), csv, workers=1)
    [result] = compact(lake.store, ["logs"], older_than_s=0, grace_s=0).partitions
    assert (result.status, result.inputs, result.outputs, result.rows) == ("compacted", 3, 1, 9)

    [only_b] = [k for k in lake.store.list("raw/") if "/stream=b/" in k]
    run_etl(lake, [only_b], csv, workers=1, force=True)

    assert all(k.endswith(".csv.gz") for k in live_files(lake.store, "logs"))
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query("SELECT s, n FROM logs ORDER BY s, n").rows
    assert rows == [(s, n) for s in ("a", "b", "c") for n in range(3)]
    _verify(lake)


def test_a_young_uncommitted_compacted_file_is_left_for_the_grace_period(lake: Lake) -> None:
    """An orphan c-* file named less than the grace period ago may be another run's that lost its lease
    and has not found out yet: only an older one is deleted."""
    _fill(lake, streams=2)
    first = next(iter(lake.store.list(f"clean/logs/{P0}/")))
    now = int(time.time() * 1000)
    young = f"clean/logs/{P0}/c-{now - 60_000:013d}deadbeef.parquet"
    old = f"clean/logs/{P0}/c-{now - 7_200_000:013d}deadbeef.parquet"
    for orphan in (young, old):
        lake.store.put(orphan, lake.store.get(first))

    result = compact_partition(lake.store, "logs", P0, grace_s=3600)

    assert (result.status, result.inputs, result.deleted) == ("compacted", 2, 1)
    assert lake.store.exists(young) and not lake.store.exists(old)
    assert young not in live_files(lake.store, "logs")
    assert _counts(lake) == (17, 17)
    _verify(lake)


def _losing_lease(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[Lease]:
    """Make `store`'s leases ones the test can mark lost (as a failed S3 renewal does); returns them."""
    taken: list[Lease] = []
    original = store.lease

    @contextlib.contextmanager
    def lease(name: str, *, wait: float = 0.0) -> Iterator[Lease]:
        with original(name, wait=wait) as held:
            mine = Lease(name, bool(held))
            taken.append(mine)
            yield mine

    monkeypatch.setattr(store, "lease", lease)
    return taken


def test_a_compaction_that_lost_its_lease_commits_nothing(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(lake, streams=3)
    taken = _losing_lease(lake.store, monkeypatch)
    original = compaction._raw_objects_by_file

    def then_lose(*args: Any) -> dict[str, list[str]]:
        taken[-1].mark_lost("another run took it over after it expired")
        return original(*args)

    monkeypatch.setattr(compaction, "_raw_objects_by_file", then_lose)
    with pytest.raises(
        LoglakeError,
        match=r"^lost the lease 'compact/logs/dt=2025-11-28/hour=00' \(another run took it over after it expired\) "
        r"before committing the compaction of clean/logs/dt=2025-11-28/hour=00/; nothing written: "
        r"run loglake compact again$",
    ):
        compact_partition(lake.store, "logs", P0, grace_s=3600)
    assert not lake.store.exists(record_key("logs", P0))
    assert sum(1 for name in _files(lake.store, P0) if name.startswith("c-")) == 1  # left for the grace period
    assert _counts(lake) == (27, 27)
    monkeypatch.setattr(compaction, "_raw_objects_by_file", original)

    result = compact_partition(lake.store, "logs", P0, grace_s=3600)  # the next run: the young orphan stays

    assert (result.status, result.inputs, result.outputs, result.deleted) == ("compacted", 3, 1, 0)
    assert _counts(lake) == (27, 27)
    _verify(lake)


def test_an_s3_lease_that_cannot_be_renewed_or_was_taken_over_is_lost(
    s3_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import EndpointConnectionError

    store = s3_lake.store
    assert isinstance(store, S3Store)
    # Renewed every third of the TTL and held for two thirds after each renewal was sent: the renewal that finds
    # the lease taken over has a third of the TTL, less its take and its renewal PUTs, to get moto's answer before
    # the lease expires here as "not renewed". With 1.5 s, 0.2 s slower PUTs (a loaded machine) made that the
    # reason; 6 s leaves two seconds.
    store.lease_ttl = 6.0
    with store.lease("etl/x") as held:
        assert held and not held.lost
        [key] = store.list(LEASE_PREFIX)
        store.put(key, b'{"owner": "another run", "ttl_s": 6.0}')  # taken over after it expired
        deadline = time.monotonic() + 10
        while not held.lost and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held.lost
        with pytest.raises(
            LoglakeError,
            match=r"^lost the lease 'etl/x' \(another run took it over after it expired\) before committing x; "
            r"nothing written: run it again$",
        ):
            held.check("committing x", "run it again")

    calls: list[str] = []
    put_object = store.client.put_object
    store.lease_ttl = 3.0  # valid 2 s after it was taken: still held 0.5 s later, even with slow PUTs
    with store.lease("etl/y") as held:
        assert held

        def unreachable(**kwargs: Any) -> Any:
            if kwargs["Key"].startswith(store.prefix + LEASE_PREFIX):
                calls.append(kwargs["Key"])
                raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
            return put_object(**kwargs)

        monkeypatch.setattr(store.client, "put_object", unreachable)
        time.sleep(0.5)
        assert not held.lost  # valid for two thirds of the TTL after its last renewal
        deadline = time.monotonic() + 10
        while not held.lost and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held.lost
        assert len(calls) >= 2  # a failed renewal is retried before the lease counts as lost
        monkeypatch.setattr(store.client, "put_object", put_object)


def test_files_of_an_etl_run_without_a_manifest_are_not_compacted(lake: Lake) -> None:
    """An ETL run that crashed before its manifest (or is still running) may be rewriting its files without
    the partition lease: compaction leaves them alone until a manifest lists them."""
    _fill(lake, streams=3)
    [raw_s1] = [k for k in lake.store.list("raw/") if "/stream=s1/" in k]
    object_id = RawKey.parse(raw_s1).object_id
    lake.store.delete(f"state/etl/{object_id}.json")  # as a run killed before its manifest leaves it

    result = compact_partition(lake.store, "logs", P0, grace_s=3600)

    assert (result.status, result.inputs, result.outputs, result.rows) == ("compacted", 2, 1, 12)
    own = f"clean/logs/{P0}/{object_id}.parquet"
    record = PartitionRecord.from_json(lake.store.get(record_key("logs", P0)))
    assert own not in record.replaced and own in live_files(lake.store, "logs")
    assert _counts(lake) == (27, 27)

    _etl(lake)  # the re-run commits it
    again = compact_partition(lake.store, "logs", P0, grace_s=3600)
    assert (again.status, again.inputs, again.rows) == ("compacted", 2, 18)
    assert _counts(lake) == (27, 27)
    _verify(lake)


def test_a_redrive_that_moves_events_to_other_keys_shows_them_twice_until_its_commit(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What is guaranteed when a re-run's output keys change (here quarantine -> clean): the new keys are
    live once written and the old ones go at its commit, so a run killed in between leaves the events
    counted twice; verify reports the object, and the re-drive run again counts them once."""
    from loglake.transform import etl

    _fill(lake, streams=2)
    raw = sorted(lake.store.list("raw/"))
    run_etl(lake, raw, EtlSettings(routes=(Route("/app", format="access_log"),)), workers=1, force=True)
    compact(lake.store, ["logs"], older_than_s=0, grace_s=0)

    def killed(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt  # as a kill after the outputs are written, before the hook and the manifest

    monkeypatch.setattr(etl, "settle_outputs", killed)
    with pytest.raises(KeyboardInterrupt):
        etl.process_raw_object(lake.store, raw[0], EtlSettings(), force=True)
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT (SELECT count(*) FROM logs), (SELECT count(*) FROM quarantine)").rows == [(8, 17)]
        report = check_conservation(engine, lake.store)
    assert [(o.raw_object, o.status) for o in report.objects if o.status != "ok"] == [(raw[0], "duplicates")]

    monkeypatch.undo()
    run_etl(lake, raw[:1], EtlSettings(), workers=1, force=True)
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT (SELECT count(*) FROM logs), (SELECT count(*) FROM quarantine)").rows == [(8, 9)]
    _verify(lake)


def test_compaction_keeps_each_files_value_of_a_widened_column(lake: Lake, deliver: Any) -> None:
    """A BOOLEAN file and a BIGINT file of one hour whose column the registry widened to VARCHAR: the compacted
    file holds 'true' and '5' (a CAST over DuckDB's union_by_name wrote the BOOLEAN as '1')."""
    import json

    from loglake.query.engine import DuckDBEngine

    deliver([json.dumps({"f": True})], log_group="/app/a")
    deliver([json.dumps({"f": 5})], log_group="/app/b")
    result = compact_partition(lake.store, "logs", P0, grace_s=0)
    assert (result.status, result.inputs, result.outputs, result.rows) == ("compacted", 2, 1, 2)
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT log_group, f FROM logs ORDER BY log_group").rows == [
            ("/app/a", "true"),
            ("/app/b", "5"),
        ]
