"""Iceberg compaction killed (lake/iceberg.compact, then expire): readers count every event exactly once
during and after a `loglake compact` that is SIGKILLed at seeded points, among them inside the catalog's
commit and during snapshot expiry; a run to the end leaves one file per hour and no orphan, `verify` holds,
and a re-drive after it stays exactly once. The hive twin is in test_compaction.py."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from test_compaction import P0, P1, _events, _raw

from loglake.lake import iceberg, skip_index
from loglake.lake.compaction import compact, live_files
from loglake.lake.open import Lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings

ICEBERG = EtlSettings(table_format="iceberg")
CHILD = Path(__file__).with_name("iceberg_kill_child.py")
GRACE_S = 2.0
"""Expiry deletes what commits removed more than this ago; a query here plans and reads its files in about 0.2 s
(0.6 s at most on 2 loaded cores), well within it."""
COMPACT_POINTS = {
    "compact:put": (2, 2),
    "compact:index": (1, 2),
    "compact:metadata": (1, 8),
    "compact:sql": (1, 2),
    "compact:committed": (1, 2),
}
"""Kill points of the rewrite (iceberg_kill_child.py), each with the range of N (the Nth time a run reaches it)
drawn from: per hour, its compacted file and skip index put, then its commit (manifests, manifest list,
metadata.json, the catalog's transaction). Not before the first put: that run would leave the next round's
expiry nothing to delete."""
EXPIRE_POINTS = {
    "expire:metadata": (1, 1),
    "expire:sql": (1, 1),
    "expire:committed": (1, 1),
    "expire:delete": (1, 2),
    "expire:unindex": (1, 2),
}
"""Kill points of expiry: its commit (metadata.json, the catalog's transaction), then the deletion of each file that
no retained snapshot references, and of its skip index (between the two: the index gone, the file not yet)."""


def _etl(lake: Lake, force: bool = False) -> None:
    keys = sorted(lake.store.list("raw/")) if force else pending_raw_objects(lake)
    run_etl(lake, keys, ICEBERG, workers=1, force=force)


def _counts(lake: Lake) -> tuple[int, int]:
    with DuckDBEngine(lake.store) as engine:
        [(rows, distinct)] = engine.query("SELECT count(*), count(DISTINCT event_id) FROM logs").rows
    return int(rows), int(distinct)


def _verify(lake: Lake) -> None:
    with DuckDBEngine(lake.store) as engine:
        report = check_conservation(engine, lake.store)
    assert report.ok, report.as_dict()


def _late(lake: Lake, name: str) -> int:
    """One raw object with events in both hours, through the ETL; returns its number of events."""
    events = _events(name, 2) + _events(name, 1, hour=1)
    _raw(lake.store, name, events)
    _etl(lake)
    return len(events)


def _unindexed(lake: Lake) -> list[str]:
    """The live files without their skip index."""
    return [k for k in live_files(lake.store, "logs") if not lake.store.exists(skip_index.index_key(k))]


def _data_files(lake: Lake) -> list[str]:
    return sorted(k for k in lake.store.list("clean/logs/dt=") if k.endswith(".parquet"))


def test_queries_count_exactly_while_iceberg_compaction_is_killed_at_seeded_points(lake: Lake, tmp_path: Path) -> None:
    """10 rounds: a late object lands in each hour, then `compact` runs in a subprocess that SIGKILLs itself at
    a seeded point (the Nth time it reaches a kind of point; the rewrite's and expiry's alternate) while this
    process queries in a loop, and once more after the kill: every answer is exact. Then a run to the end."""
    rng = random.Random(12)
    total = sum(_late(lake, f"s{s}") for s in range(3))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGLAKE_")}
    rewrite, expiry = rng.sample(sorted(COMPACT_POINTS), 5), rng.sample(sorted(EXPIRE_POINTS), 5)
    schedule = [point for pair in zip(rewrite, expiry, strict=True) for point in pair]
    answers: list[tuple[int, int]] = []
    expected: list[int] = []
    killed: list[str] = []
    ended = time.time()
    for round_, point in enumerate(schedule):
        total += _late(lake, f"late{round_}")
        nth = rng.randint(*{**COMPACT_POINTS, **EXPIRE_POINTS}[point])
        # Expiry waits until what the last run removed or left behind is older than the grace.
        expire_after = ended + GRACE_S + 0.5 if point in EXPIRE_POINTS else 0.0
        log = tmp_path / f"points-{round_}.log"
        args = [str(lake.store.uri), str(GRACE_S), "20000", point, str(nth), str(log), str(expire_after)]
        child = subprocess.Popen([sys.executable, str(CHILD), *args], env=env, stderr=subprocess.PIPE)
        while child.poll() is None:
            answers.append(_counts(lake))
            expected.append(total)
        _out, err = child.communicate()
        ended = time.time()
        reached = log.read_text().splitlines()
        assert child.returncode == -signal.SIGKILL, (point, nth, reached, err.decode()[-2000:])
        assert reached[-1] == "killed" and reached[:-1].count(point) == nth
        killed.append(point)
        answers.append(_counts(lake))
        expected.append(total)
        assert _unindexed(lake) == [], point  # search reads such a file whole, now and for as long as it lives

    assert sorted(killed) == sorted([*COMPACT_POINTS, *EXPIRE_POINTS])
    assert len(answers) >= 16
    assert answers == [(n, n) for n in expected]
    _verify(lake)

    report = compact(lake.store, ["logs"], older_than_s=0, grace_s=0)  # to the end, nothing kept
    assert {p.status for p in report.partitions} <= {"compacted", "nothing"}
    live = live_files(lake.store, "logs")
    assert [k.split("/")[3] for k in live] == [P0.split("/")[1], P1.split("/")[1]]  # one file per hour
    assert _data_files(lake) == live  # what the kills left behind is deleted: no orphan data file
    assert sorted(lake.store.list(skip_index.INDEX_PREFIX)) == [skip_index.index_key(k) for k in live]
    assert len(iceberg.snapshot_summaries(lake.store, "logs")) == 1
    assert _counts(lake) == (total, total) == (39, 39)
    _verify(lake)

    _etl(lake, force=True)  # a re-drive of every object: its rows leave the compacted files, its new files come in
    assert _counts(lake) == (39, 39)
    _verify(lake)
    compact(lake.store, ["logs"], older_than_s=0, grace_s=0)
    assert len(live_files(lake.store, "logs")) == 2
    assert _counts(lake) == (39, 39)
    _verify(lake)
