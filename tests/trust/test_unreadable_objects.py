"""One bad raw object is reported by name and set aside; it never stops the others (issue 10, item 11)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import CliRun
from loglake.errors import RawObjectError
from loglake.lake.open import Lake, open_lake
from loglake.lake.unreadable import FIX, UNREADABLE_PREFIX, unreadable_key
from loglake.pipeline import pending_raw_objects, run_etl, run_etl_objects, unreadable_raw_objects
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.sources.local_files import FileSource
from loglake.transform.settings import EtlSettings


def three_objects(lake: Lake, folder: Path) -> list[str]:
    """Three raw objects of 2, 3 and 4 events (one quarantined each), in the raw zone only."""
    for i, name in enumerate(("a", "b", "c")):
        log = folder / f"{name}.log"
        log.write_bytes(b'{"n": broken\n' + b"".join(b"%s line %d\n" % (name.encode(), j) for j in range(i + 1)))
        FileSource(lake.store).ingest(str(log))
    keys = list(lake.store.list("raw/"))
    assert len(keys) == 3
    return keys


def statuses(lake: Lake) -> list[tuple[str, int, int, int]]:
    with DuckDBEngine(lake.store) as engine:
        report = check_conservation(engine, lake.store)
    return [(o.status, o.raw_events, o.clean_events, o.quarantined_events) for o in report.objects]


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_the_etl_sets_a_bad_object_aside_and_processes_the_others(lake: Lake, tmp_path: Path, damage: str) -> None:
    keys = three_objects(lake, tmp_path)
    original = lake.store.get(keys[1])
    bad = original[: len(original) // 2] if damage == "truncated" else b"\x00garbage, not gzip\n" * 10
    lake.store.put(keys[1], bad)

    run = run_etl_objects(lake, pending_raw_objects(lake), EtlSettings(), workers=2)
    assert sorted(r.manifest.raw_object for r in run.results) == [keys[0], keys[2]]
    assert [(f.raw_object, f.set_aside) for f in run.failures] == [(keys[1], True)]
    assert run.failures[0].reason.startswith(f"{keys[1]} is not a raw batch (gzip NDJSON of raw records): ")
    assert run.busy == []
    error = run.error()
    assert isinstance(error, RawObjectError)
    assert str(error).startswith(f"cannot process raw object {keys[1]}: {keys[1]} is not a raw batch")
    assert str(error).endswith(f"; {FIX}")
    assert FIX.startswith("restore the object from a copy of its source, then run `loglake etl`")

    # Set aside with its reason, never deleted; no longer pending, listed as unreadable instead.
    assert lake.store.get(keys[1]) == bad
    assert list(lake.store.list(UNREADABLE_PREFIX)) == [unreadable_key(keys[1])]
    assert pending_raw_objects(lake) == []
    [record] = unreadable_raw_objects(lake)
    assert (record.raw_object, record.stage, record.reason) == (keys[1], "etl", run.failures[0].reason)
    assert statuses(lake) == [("ok", 2, 1, 1), ("unreadable", 0, 0, 0), ("ok", 4, 3, 1)]

    # Restored (a new version): pending again, processed, and the record is gone.
    lake.store.put(keys[1], original)
    assert pending_raw_objects(lake) == [keys[1]]
    assert [r.manifest.raw_object for r in run_etl(lake, pending_raw_objects(lake), EtlSettings())] == [keys[1]]
    assert list(lake.store.list(UNREADABLE_PREFIX)) == []
    assert statuses(lake) == [("ok", 2, 1, 1), ("ok", 3, 2, 1), ("ok", 4, 3, 1)]


def test_run_etl_raises_only_after_processing_the_others(lake: Lake, tmp_path: Path) -> None:
    keys = three_objects(lake, tmp_path)
    lake.store.put(keys[0], b"not gzip")
    with pytest.raises(RawObjectError, match=f"^cannot process raw object {keys[0]}: "):
        run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    assert sorted(k for k in lake.store.list("state/etl/")) == sorted(
        f"state/etl/{k}.json" for k in (_object_id(keys[1]), _object_id(keys[2]))
    )


def _object_id(key: str) -> str:
    from loglake.lake.keys import RawKey

    return RawKey.parse(key).object_id


def test_verify_reports_an_object_damaged_after_its_etl(run_cli: CliRun, tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    lake = open_lake(str(lake_dir))
    keys = three_objects(lake, tmp_path)
    run_etl(lake, keys, EtlSettings())
    (lake_dir / keys[2]).write_bytes(b"overwritten")  # in place: a new mtime and size, so a new version

    code, out, _err = run_cli("verify", "--lake", str(lake_dir), "-f", "json")
    report = orjson.loads(out)
    assert code == 1
    assert [(o["raw_object"], o["status"], o["raw_events"], o["clean_events"]) for o in report["objects"]] == [
        (keys[0], "ok", 2, 1),
        (keys[1], "ok", 3, 2),
        (keys[2], "unreadable", 0, 3),
    ]
    assert report["objects"][2]["reason"].startswith(f"{keys[2]} is not a raw batch (gzip NDJSON of raw records): ")
    assert [sorted(o) for o in report["objects"][:2]] == [
        sorted(["raw_object", "raw_events", "clean_events", "quarantined_events", "status"])
    ] * 2
    assert (report["ok"], report["raw_events"], report["clean_events"]) == (False, 5, 6)
    # verify set it aside too, so the ETL reports it instead of failing on it again.
    assert [r.stage for r in unreadable_raw_objects(lake)] == ["verify"]
    assert pending_raw_objects(lake) == []
    # The table form names it, with its reason and what to do (not `etl --force`, which would fail again).
    code, out, err = run_cli("verify", "--lake", str(lake_dir))
    assert code == 1
    assert f"unreadable raw object {keys[2]}: {keys[2]} is not a raw batch" in err
    assert "restore the object from a copy of its source, then run `loglake etl`" in err
    assert "do not reconcile" not in err


def test_etl_command_exits_1_naming_the_object_after_processing_the_others(run_cli: CliRun, tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    keys = three_objects(open_lake(str(lake_dir)), tmp_path)
    (lake_dir / keys[0]).write_bytes((lake_dir / keys[0]).read_bytes()[:-9])
    code, out, err = run_cli("etl", "--lake", str(lake_dir))
    assert code == 1
    assert "etl: 2 raw objects → 5 clean rows" in out
    assert f"cannot process raw object {keys[0]}" in err and "restore the object" in err
    assert statuses(open_lake(str(lake_dir))) == [("unreadable", 0, 0, 0), ("ok", 3, 2, 1), ("ok", 4, 3, 1)]


def test_an_s3_lake_reports_the_bad_object_too(s3_lake: Lake, tmp_path: Path) -> None:
    keys = three_objects(s3_lake, tmp_path)
    run_etl(s3_lake, keys, EtlSettings())
    s3_lake.store.put(keys[0], b"\x1f\x8b truncated")
    assert statuses(s3_lake) == [("unreadable", 0, 1, 1), ("ok", 3, 2, 1), ("ok", 4, 3, 1)]
    assert [r.raw_object for r in unreadable_raw_objects(s3_lake)] == [keys[0]]


def test_verify_finds_every_bad_object_even_one_whose_version_did_not_change(lake: Lake, tmp_path: Path) -> None:
    keys = three_objects(lake, tmp_path)
    run_etl(lake, keys, EtlSettings())
    root = Path(lake.store.uri)
    truncated = root / keys[0]
    truncated.write_bytes(truncated.read_bytes()[:-9])
    # Bit rot: the same size and mtime in the same inode, so the version the manifest holds still matches.
    rotten = root / keys[2]
    before = rotten.stat()
    with rotten.open("r+b") as handle:
        handle.write(b"\x00" * before.st_size)
    os.utime(rotten, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert lake.store.version(keys[2]) == f"{before.st_ino:x}-{before.st_mtime_ns:x}-{before.st_size:x}"

    assert statuses(lake) == [("unreadable", 0, 1, 1), ("ok", 3, 2, 1), ("unreadable", 0, 3, 1)]
    assert [r.raw_object for r in unreadable_raw_objects(lake)] == [keys[0], keys[2]]


def test_an_engine_failure_is_retried_never_set_aside(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of memory, a full disk or an interrupt says nothing about the object: set aside, it would vanish
    from pending objects and from raw_events, and verify would tell the user to restore a good object."""
    import duckdb

    from loglake.lake.unreadable import is_content_error
    from loglake.pipeline import run_etl_objects
    from loglake.transform import etl

    keys = three_objects(lake, tmp_path)

    connect = duckdb.connect

    class ShortOfMemory:
        """The ETL's connection, failing as DuckDB does when memory runs out while it reads the raw object."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.con = connect(*args, **kwargs)

        def execute(self, sql: str, *args: Any) -> Any:
            if "read_json" in sql:
                raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block of size 256.0 KiB")
            return self.con.execute(sql, *args)

        def close(self) -> None:
            self.con.close()

    monkeypatch.setattr(etl.duckdb, "connect", ShortOfMemory)
    run = run_etl_objects(lake, keys[:1], EtlSettings())
    assert [(f.raw_object, f.set_aside) for f in run.failures] == [(keys[0], False)]
    assert unreadable_raw_objects(lake) == []
    assert pending_raw_objects(lake) == keys

    assert not is_content_error(duckdb.OutOfMemoryException("Out of Memory Error"))
    assert not is_content_error(duckdb.IOException("IO Error: No space left on device"))
    # Every raw key ends in .json.gz: the path in the message is not what went wrong (found in review).
    vanished = 'IO Error: No files found that match the pattern "/lake/raw/source=file/x/0-9.json.gz"'
    assert not is_content_error(duckdb.IOException(vanished))
    garbage = tmp_path / "garbage.json.gz"
    garbage.write_bytes(b"not gzip")
    with pytest.raises(duckdb.Error) as caught:
        connect().execute(  # the real one: duckdb.connect is the failing stand-in here
            f"SELECT * FROM read_json('{garbage}', format = 'newline_delimited', compression = 'gzip')"
        ).fetchall()
    assert is_content_error(caught.value)
