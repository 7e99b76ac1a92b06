"""Two runs on one lake share the raw objects instead of both processing all of them (issue 10, item 12)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from loglake.lake.local_store import LocalStore
from loglake.lake.open import Lake, open_lake
from loglake.lake.s3_store import LEASE_PREFIX, S3Store
from loglake.sources.local_files import FileSource

RUN = """
import os, sys, time, orjson
from pathlib import Path
from loglake.lake.open import open_lake
from loglake.pipeline import pending_raw_objects, run_etl_objects
from loglake.transform.settings import EtlSettings
lake = open_lake(sys.argv[1])
keys = pending_raw_objects(lake)
go = Path(sys.argv[2])
go.with_name(f"ready-{os.getpid()}").touch()
while not go.exists():  # both runs start together, with the same list in the same order
    time.sleep(0.01)
run = run_etl_objects(lake, keys, EtlSettings(), workers=1, lease_wait=float(sys.argv[3]))
print(orjson.dumps({
    "processed": [r.manifest.raw_object for r in run.results if not r.skipped],
    "skipped": [r.manifest.raw_object for r in run.results if r.skipped],
    "busy": run.busy,
    "failures": [f.raw_object for f in run.failures],
}).decode())
"""


def etl_process(lake: Path, go: Path, lease_wait: float = 60.0) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGLAKE_")}
    args = [sys.executable, "-c", RUN, str(lake), str(go), str(lease_wait)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, env=env)


def outcome(process: subprocess.Popen[bytes]) -> dict[str, list[str]]:
    out, _err = process.communicate(timeout=120)
    assert process.returncode == 0
    result: dict[str, list[str]] = orjson.loads(out)
    return result


def raw_objects(lake: Lake, folder: Path, count: int) -> list[str]:
    for i in range(count):
        log = folder / f"app-{i}.log"
        log.write_bytes(b"".join(b'{"n": %d, "file": %d}\n' % (j, i) for j in range(20)))
        FileSource(lake.store).ingest(str(log))
    return list(lake.store.list("raw/"))


def test_two_etl_runs_at_once_process_each_object_once(tmp_path: Path) -> None:
    lake_dir, go = tmp_path / "lake", tmp_path / "go"
    keys = raw_objects(open_lake(str(lake_dir)), tmp_path, 6)
    first, second = etl_process(lake_dir, go), etl_process(lake_dir, go)
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # until both have listed the same 6 pending objects
    go.touch()
    one, two = outcome(first), outcome(second)
    assert sorted(one["processed"] + two["processed"]) == keys  # each exactly once, by one run or the other
    assert sorted(one["processed"] + one["skipped"]) == keys  # the other run's objects were waited for ...
    assert sorted(two["processed"] + two["skipped"]) == keys  # ... and found committed, not done again
    assert one["busy"] == two["busy"] == one["failures"] == two["failures"] == []


def test_an_object_held_by_another_run_is_reported_busy_after_the_wait(tmp_path: Path) -> None:
    lake_dir, go = tmp_path / "lake", tmp_path / "go"
    lake = open_lake(str(lake_dir))
    keys = raw_objects(lake, tmp_path, 3)
    go.touch()
    with lake.store.lease(f"etl/{keys[1]}") as held:
        assert held
        result = outcome(etl_process(lake_dir, go, lease_wait=0.5))
    assert result == {"processed": [keys[0], keys[2]], "skipped": [], "busy": [keys[1]], "failures": []}
    result = outcome(etl_process(lake_dir, go, lease_wait=0.5))  # released: the next run does it
    assert result == {"processed": [keys[1]], "skipped": [], "busy": [], "failures": []}


def test_a_local_lease_is_exclusive_and_dies_with_its_holder(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "lake")
    with store.lease("etl/x") as held:
        assert held
        with store.lease("etl/x", wait=0.2) as again:
            assert not again
        with store.lease("etl/y") as other:
            assert other
    with store.lease("etl/x") as held:
        assert held
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from loglake.lake.local_store import LocalStore\n"
            "with LocalStore(Path(sys.argv[1])).lease('etl/x') as held:\n"
            "    print(bool(held), flush=True); time.sleep(60)",
            str(tmp_path / "lake"),
        ],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"True\n"
    with store.lease("etl/x") as held:
        assert not held
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    with store.lease("etl/x") as held:  # a crashed holder never blocks the lake
        assert held
    assert list(store.list("")) == []  # leases are not objects


def test_an_s3_lease_is_a_conditional_write_that_expires_unless_renewed(s3_lake: Lake) -> None:
    store = s3_lake.store
    assert isinstance(store, S3Store)
    store.lease_ttl = 2.0  # S3 times are whole seconds
    with store.lease("etl/x") as held:
        assert held
        [key] = store.list(LEASE_PREFIX)
        before = store.version(key)
        started = time.monotonic()
        while time.monotonic() - started < 4.5:  # past two TTLs: its holder renews it
            with store.lease("etl/x") as again:
                assert not again
            time.sleep(0.5)
        # Each renewal is a new body, so a new ETag: a run that read the lease before a renewal and then
        # tries to take it over as expired (If-Match on what it read) fails instead of taking a live lease.
        assert store.version(key) != before
        assert not store.put_if(key, b"{}", before)
    assert list(store.list(LEASE_PREFIX)) == []  # released
    # What a crashed holder leaves: a lease nobody renews. It is taken over once its TTL has passed.
    with store.lease("etl/y") as held:
        assert held
        [key] = store.list(LEASE_PREFIX)
        left = store.get(key)
    store.put(key, left)
    with store.lease("etl/y") as held:
        assert not held
    time.sleep(3.1)
    with store.lease("etl/y", wait=1.0) as held:
        assert held
    assert list(store.list(LEASE_PREFIX)) == []


@pytest.mark.parametrize("wait", [0.0, 0.3])
def test_a_lease_not_taken_yields_false_without_waiting_longer(tmp_path: Path, wait: float) -> None:
    store = LocalStore(tmp_path / "lake")
    with store.lease("etl/x") as held:
        assert held
        started = time.monotonic()
        with store.lease("etl/x", wait=wait) as again:
            assert not again
        assert wait <= time.monotonic() - started < wait + 2.0


def test_a_file_being_ingested_by_another_run_is_waited_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two ingests of one file would both write every batch (and the ETL would redo them): the second waits
    for the first and resumes from its checkpoint; after the wait it says so instead of duplicating work."""
    from loglake.errors import StoreError
    from loglake.sources import local_files

    lake = open_lake(str(tmp_path / "lake"))
    log = tmp_path / "app.log"
    log.write_bytes(b"one\ntwo\n")
    monkeypatch.setattr(local_files, "INGEST_LEASE_WAIT_S", 0.3)
    name = f"ingest/{local_files._stream_hash('local', str(log.resolve()))}"
    with lake.store.lease(name) as held:
        assert held
        with pytest.raises(StoreError, match=f"^{log} is being ingested by another run; run `loglake ingest` again"):
            FileSource(lake.store).ingest(str(log))
        assert list(lake.store.list("raw/")) == []
    assert FileSource(lake.store).ingest(str(log)).events == 2
