"""The S3 mirror cache is the user's own and is never written through a link (issue 11, item 7)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

from loglake.errors import StoreError
from loglake.lake.open import Lake, open_lake
from loglake.lake.s3_store import S3Store

PATTERN = "clean/logs/*/*/*.parquet"
KEY = "clean/logs/dt=2026-11-26/hour=01/a.parquet"


def s3_store(s3_lake: Lake) -> S3Store:
    """A store as `open_lake` makes it (the s3_lake fixture's own store has a cache set by the test)."""
    store = open_lake("s3://loglake-test/lake").store
    assert isinstance(store, S3Store)
    return store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_the_cache_is_per_user_and_private(s3_lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    store = s3_store(s3_lake)
    store.put(KEY, b"a")
    local = store.glob(PATTERN)
    cache = store.cache_dir
    assert cache.parent == tmp_path / "xdg" / "loglake"
    assert local == f"{cache}/{PATTERN}"
    assert (mode(cache.parent), mode(cache), mode(cache / KEY)) == (0o700, 0o700, 0o600)
    assert (cache / KEY).read_bytes() == b"a"
    assert not str(cache).startswith(str(Path(tempfile.gettempdir()) / "loglake-cache"))


def test_without_xdg_cache_home_it_is_under_the_home_folder(
    s3_lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # the XDG spec says to ignore a relative path
    assert s3_store(s3_lake).cache_dir.parent == tmp_path / "home" / ".cache" / "loglake"


def test_a_planted_link_is_replaced_not_written_through(
    s3_lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    store = s3_store(s3_lake)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    store.put(KEY, b"first")
    store.glob(PATTERN)
    cached = store.cache_dir / KEY
    cached.unlink()
    cached.symlink_to(victim)
    tag = cached.with_name(cached.name + ".etag")
    tag.unlink()
    tag.symlink_to(victim)
    store.put(KEY, b"second")  # a new ETag: the mirror downloads it again
    store.glob(PATTERN)
    assert victim.read_bytes() == b"precious"
    assert not cached.is_symlink() and cached.read_bytes() == b"second"
    assert not tag.is_symlink()
    assert sorted(p.name for p in cached.parent.iterdir()) == ["a.parquet", "a.parquet.etag"]  # no temp left


def test_a_cache_folder_writable_by_others_is_refused(
    s3_lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    shared = tmp_path / "xdg" / "loglake"
    shared.mkdir(parents=True)
    shared.chmod(0o777)  # what /tmp/loglake-cache was: anyone could plant files in it
    store = s3_store(s3_lake)
    store.put(KEY, b"a")
    with pytest.raises(StoreError, match=r"refusing the S3 mirror cache .*/xdg/loglake: it is writable by others "):
        store.glob(PATTERN)
    assert list(shared.iterdir()) == []


def test_a_cache_folder_owned_by_another_user_is_refused(
    s3_lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "xdg" / "loglake").mkdir(parents=True, mode=0o700)
    owner = (tmp_path / "xdg" / "loglake").stat().st_uid
    monkeypatch.setattr(os, "geteuid", lambda: owner + 1)  # we are someone else than its owner
    store = s3_store(s3_lake)
    with pytest.raises(StoreError, match=f"it is owned by uid {owner}, not by you; remove it, or set XDG_CACHE_HOME"):
        store.glob(PATTERN)


def test_a_cache_folder_that_is_a_link_is_refused(
    s3_lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tmp_path / "xdg").mkdir()
    (tmp_path / "xdg" / "loglake").symlink_to(elsewhere)
    with pytest.raises(StoreError, match=r"it is not a folder \(a link\?\)"):
        s3_store(s3_lake).glob(PATTERN)
    assert list(elsewhere.iterdir()) == []


def test_downloads_cut_short_are_removed_once_old(
    s3_lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    store = s3_store(s3_lake)
    store.put(KEY, b"a")
    store.glob(PATTERN)
    folder = (store.cache_dir / KEY).parent
    old, recent = folder / ".a.parquet.tmp-0123456789abcdef", folder / ".a.parquet.tmp-fedcba9876543210"
    old.write_bytes(b"half")
    recent.write_bytes(b"half")
    os.utime(old, (0, 0))
    store.glob(PATTERN)
    assert sorted(p.name for p in folder.iterdir()) == [recent.name, "a.parquet", "a.parquet.etag"]
