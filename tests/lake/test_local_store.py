from __future__ import annotations

import threading
from pathlib import Path

import pytest

from loglake.errors import StoreError
from loglake.lake.local_store import LocalStore


def test_put_get_list_delete(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put("b/2.txt", b"two")
    store.put("a/1.txt", b"one")
    store.put("b/10.txt", b"ten")
    assert store.get("a/1.txt") == b"one"
    assert list(store.list("")) == ["a/1.txt", "b/10.txt", "b/2.txt"]
    assert list(store.list("b/1")) == ["b/10.txt"]
    assert list(store.list("missing/")) == []
    store.delete("a/1.txt")
    store.delete("a/1.txt")  # deleting twice is harmless, as retries need
    assert not store.exists("a/1.txt")
    with pytest.raises(StoreError, match="no object"):
        store.get("a/1.txt")


def test_a_failed_write_leaves_the_old_object_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalStore(tmp_path)
    store.put("x/obj", b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("os.fsync", broken_fsync)
    with pytest.raises(StoreError, match="cannot write"):
        store.put("x/obj", b"new")
    assert store.get("x/obj") == b"old"
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["obj"]


def test_put_if_is_a_compare_and_swap(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    assert store.put_if("doc.json", b"v1", None)
    assert not store.put_if("doc.json", b"again", None)  # already exists
    data, version = store.read_versioned("doc.json")
    assert data == b"v1"
    assert store.put_if("doc.json", b"v2", version)
    assert not store.put_if("doc.json", b"v3", version)  # stale version
    assert store.get("doc.json") == b"v2"
    assert list(store.list("")) == ["doc.json"]  # the lock files are not objects


def test_concurrent_compare_and_swap_loses_no_update(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put("counter", b"0")

    def bump() -> None:
        for _ in range(25):
            while True:
                data, version = store.read_versioned("counter")
                assert data is not None
                if store.put_if("counter", str(int(data) + 1).encode(), version):
                    break

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("counter") == b"100"


def test_keys_cannot_escape_the_lake(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "lake")
    with pytest.raises(StoreError):
        store.put("../outside", b"x")
    assert not (tmp_path / "outside").exists()


def test_version_changes_on_every_rewrite_without_reading_the_object(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    assert store.version("raw/x") is None
    store.put("raw/x", b"same")
    first = store.version("raw/x")
    assert first is not None and store.version("raw/x") == first
    store.put("raw/x", b"same")  # rewritten with the same bytes: still a new object
    assert store.version("raw/x") != first
