from __future__ import annotations

from typing import Any

import duckdb
import pytest

from conftest import Deliver, Ingest, write_messages
from loglake.lake.keys import RawKey
from loglake.lake.open import Lake
from loglake.lake.raw_zone import list_raw_objects
from loglake.lake.unreadable import unreadable_objects
from loglake.query.conservation import check_conservation, find_unreadable
from loglake.query.engine import DuckDBEngine


def _report(lake: Lake) -> list[tuple[str, int, int, int]]:
    with DuckDBEngine(lake.store) as engine:
        return [
            (o.status, o.raw_events, o.clean_events, o.quarantined_events)
            for o in check_conservation(engine, engine.store).objects
        ]


def test_holds_after_the_pipeline(lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(b'{"a":1}\n{"a":\nplain\n')
    assert _report(lake) == [("ok", 3, 2, 1)]


def test_a_lost_clean_file_is_a_mismatch(lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(b"2026-11-26T01:00:00Z a\n2026-11-26T02:00:00Z b\n")
    clean = sorted(lake.store.list("clean/"))
    assert len(clean) == 2  # one file per hour partition
    lake.store.delete(clean[0])
    assert _report(lake) == [("mismatch", 2, 1, 0)]


def test_a_copied_clean_file_is_a_duplicate(lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(b"one\ntwo\n")
    (clean,) = lake.store.list("clean/")
    lake.store.put(clean.replace(".parquet", "-copy.parquet"), lake.store.get(clean))
    assert _report(lake) == [("duplicates", 2, 4, 0)]


def test_raw_objects_without_etl_are_pending(lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(b"one\n")
    for key in list(lake.store.list("state/etl/")):
        lake.store.delete(key)
    for key in list(lake.store.list("clean/")):
        lake.store.delete(key)
    assert _report(lake) == [("pending", 1, 0, 0)]


def test_holds_under_a_small_memory_limit(lake: Lake, ingest_lines: Ingest, small_memory_engines: None) -> None:
    """The raw view read with 512 MiB (a 1 GiB buffer per thread): under a 400 MB limit on two threads the check
    failed with Out of Memory. It reads with 16 MiB now (query/engine.py)."""
    ingest_lines(b'{"a":1}\n{"a":\nplain\n')
    ingest_lines(b"one\ntwo\n")
    assert _report(lake) == [("ok", 3, 2, 1), ("ok", 2, 2, 0)]


def _limited_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every DuckDB connection under a 400 MB memory limit (the probe's own, with one thread)."""
    connect = duckdb.connect

    def limited(*args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        con = connect(*args, **kwargs)
        con.execute("SET memory_limit = '400MB'")
        return con

    monkeypatch.setattr(duckdb, "connect", limited)


def test_the_probe_reads_an_object_under_a_small_memory_limit(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """find_unreadable (verify, after its query failed) read each object with 512 MiB: under a 400 MB limit the
    probe itself failed with Out of Memory, so verify could not name the object to blame."""
    write_messages(lake.store, "/a", ["one", "two"])
    broken = RawKey("file", "/broken", "s", "0000000000000-0000").key
    lake.store.put(broken, b"not gzip at all")
    _limited_connections(monkeypatch)
    found = find_unreadable(lake.store, {})
    assert list(found) == [broken]
    assert found[broken].reason.startswith(f"{broken} is not a raw batch (gzip NDJSON of raw records): ")


def test_a_line_longer_than_the_first_read_is_counted(lake: Lake, deliver: Deliver) -> None:
    """A 40 MiB line is past what the first read size holds: the raw view and the probe read it again whole,
    and it is neither set aside as unreadable nor left out of the count."""
    deliver(["before", "y" * (40 << 20), "after"])
    (key,) = list_raw_objects(lake.store)
    assert find_unreadable(lake.store, {}) == {}
    assert _report(lake) == [("ok", 3, 3, 0)]
    assert unreadable_objects(lake.store) == {}
    with DuckDBEngine(lake.store) as engine:
        assert engine.query(f"SELECT max(length(message)) FROM raw_events WHERE raw_object = '{key}'").rows == [
            (40 << 20,)
        ]
