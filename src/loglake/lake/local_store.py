"""A local folder as the lake: the embedded default.

Writes go to `<lake>/.tmp/` and are renamed into place, so a write cut short (a crash, a kill) never leaves
a file that a reader's pattern (`*.parquet`, `raw/**/*.json.gz`) can match. Each temporary file is locked
(flock) by the process writing it; the first write of a later run removes those whose writer is gone.
Leases and compare-and-swap locks are flock'd files in `<lake>/.locks/`, released by the kernel when
their process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from loglake.errors import StoreError
from loglake.lake.keys import check_key
from loglake.lake.store import Lease, glob_escape

TMP_DIR = ".tmp"
"""Writes in progress, at the lake's root: on the targets' filesystem (so the rename is atomic) and outside
every zone (so no reader sees them)."""
LOCKS_DIR = ".locks"
LEGACY_TMP_AGE_S = 600
"""Before .tmp/, temporary files were `.tmp-*` beside their target, unlocked: older ones are leftovers."""
CRASH_HOOK = "LOGLAKE_TEST_CRASH_BEFORE_RENAME"
"""Tests only: N kills the process (SIGKILL) just before its Nth rename into the lake."""

_renames = 0
_renames_lock = threading.Lock()


def _crash_hook() -> None:
    global _renames
    limit = os.environ.get(CRASH_HOOK)
    if not limit:
        return
    with _renames_lock:
        _renames += 1
        if _renames == int(limit):
            os.kill(os.getpid(), signal.SIGKILL)


_TMP_GRACE_S = 60.0
"""A writer creates its temporary file, then locks it: a sweep leaves a file younger than this alone while
the process named in it lives."""


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True  # another user's live process
    return True


class LocalStore:
    """Atomic writes by write-to-temp-then-rename, with fsync before the rename.

    Files are created with mode 0666 and directories 0777, less the umask, as any tool writing a data folder.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()
        self.uri = str(self.root)
        self._swept = False
        self._sweep_lock = threading.Lock()

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StoreError(f"no object {key!r} in {self.uri}") from None
        except OSError as exc:
            raise StoreError(f"cannot read {key!r} in {self.uri}: {exc.strerror}") from exc

    def put(self, key: str, data: bytes) -> None:
        self._atomic_write(key, lambda out: out.write(data))

    def put_file(self, key: str, path: Path) -> None:
        def copy(out: BinaryIO) -> None:
            with path.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)

        self._atomic_write(key, copy)

    def _atomic_write(self, key: str, write: Callable[[BinaryIO], object]) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.sweep()
            tmp, fd = self._temp_file()
            try:
                with os.fdopen(fd, "wb") as handle:
                    # Locked until closed, i.e. until after the rename: a sweep never takes a live write.
                    fcntl.flock(handle, fcntl.LOCK_EX)
                    write(handle)
                    handle.flush()
                    os.fsync(handle.fileno())
                    _crash_hook()
                    tmp.replace(target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StoreError(f"cannot write {key!r} in {self.uri}: {exc.strerror}") from exc

    def _temp_file(self) -> tuple[Path, int]:
        folder = self.root / TMP_DIR
        folder.mkdir(parents=True, exist_ok=True)
        while True:
            path = folder / f"{os.getpid()}-{secrets.token_hex(8)}"
            try:
                # Mode 0666 less the umask (mkstemp's 0600 would survive the rename); never through a link.
                return path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
            except FileExistsError:
                continue

    def sweep(self) -> Sequence[str]:
        """Remove temporary files left by writers that died (once per store); return the names removed."""
        with self._sweep_lock:
            if self._swept:
                return []
            self._swept = True
            try:
                return [*self._sweep_tmp(), *self._sweep_legacy()]
            except OSError:
                return []  # a lake this user cannot write to: what is there is its owner's to remove

    def _sweep_tmp(self) -> Iterator[str]:
        folder = self.root / TMP_DIR
        try:
            paths = sorted(folder.iterdir())
        except FileNotFoundError:
            return
        for path in paths:
            if path.name.startswith("."):
                continue  # the legacy sweep's marker folder
            try:
                if time.time() - path.lstat().st_mtime < _TMP_GRACE_S and _alive(path.name.split("-", 1)[0]):
                    continue  # maybe created by a live writer that has not locked it yet
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue  # renamed into place meanwhile, or not a file of ours
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue  # its writer is alive
            try:
                if os.fstat(fd).st_ino == os.lstat(path).st_ino:
                    path.unlink()
                    yield f"{TMP_DIR}/{path.name}"
            except OSError:
                pass  # renamed meanwhile, or not ours to remove
            finally:
                os.close(fd)

    def _sweep_legacy(self) -> list[str]:
        """`.tmp-*` files beside their targets, from versions before .tmp/: DuckDB's globs read them as data."""
        marker = self.root / TMP_DIR / ".legacy-swept"
        if marker.exists() or not self.root.is_dir():
            return []
        removed, young = [], False
        for dirpath, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if not (dirpath == str(self.root) and d in (TMP_DIR, LOCKS_DIR))]
            for name in files:
                if not name.startswith(".tmp-"):
                    continue
                path = Path(dirpath) / name
                with contextlib.suppress(OSError):
                    if time.time() - path.lstat().st_mtime < LEGACY_TMP_AGE_S:
                        young = True
                        continue
                    path.unlink()
                    removed.append(path.relative_to(self.root).as_posix())
        if not young:
            marker.mkdir(parents=True, exist_ok=True)  # a folder: the lake's files stay its objects and state
        return removed

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> Iterator[str]:
        # Walk the deepest folder the prefix names, then filter: the same semantics as S3 prefixes.
        folder = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not folder.is_dir():
            return
        keys = []
        for dirpath, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")]  # .tmp/ and .locks/ hold no objects
            for name in files:
                if name.startswith("."):  # .tmp-* of earlier versions: writes in progress
                    continue
                key = (Path(dirpath) / name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        yield from sorted(keys)

    @contextlib.contextmanager
    def local_file(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise StoreError(f"no object {key!r} in {self.uri}")
        yield path

    def version(self, key: str) -> str | None:
        # Every write replaces the file (a new inode and mtime), so stat tells a rewrite without reading it.
        try:
            stat = self._path(key).stat()
        except FileNotFoundError:
            return None
        return f"{stat.st_ino:x}-{stat.st_mtime_ns:x}-{stat.st_size:x}"

    def read_versioned(self, key: str) -> tuple[bytes | None, str | None]:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None, None
        return data, hashlib.sha256(data).hexdigest()

    def put_if(self, key: str, data: bytes, version: str | None) -> bool:
        lock_path = self.root / LOCKS_DIR / hashlib.sha256(check_key(key).encode()).hexdigest()
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _current, current_version = self.read_versioned(key)
            if current_version != version:
                return False
            self.put(key, data)
            return True

    @contextlib.contextmanager
    def lease(self, name: str, *, wait: float = 0.0) -> Iterator[Lease]:
        """An flock'd file per name in .locks/: the kernel releases it when its holder dies (never `lost`)."""
        path = self.root / LOCKS_DIR / f"lease-{hashlib.sha256(name.encode()).hexdigest()[:32]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + wait
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if time.monotonic() >= deadline:
                    yield Lease(name, False)
                    return
                time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
                continue
            try:
                same = os.fstat(fd).st_ino == os.lstat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # its holder removed the file on release: lock the new one
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()} {name}\n".encode())
            yield Lease(name, True)
        finally:
            # Unlink while still holding the lock, so a waiter that opened the old file sees it is gone.
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            os.close(fd)

    def glob(self, pattern: str) -> str:
        return glob_escape(str(self.root)) + "/" + pattern
