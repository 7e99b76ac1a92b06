"""Tests only: `loglake compact` of an Iceberg lake in a child process that SIGKILLs itself at a chosen point.

    python iceberg_kill_child.py <lake> <grace_s> <target_bytes> <point> <n> <log> <expire_after>

Every point the run reaches is appended to <log> (one line, `phase:point`) before the run goes on; at the
`n`th `point` (say `compact:sql`) the process kills itself with SIGKILL, as an OOM kill or a lost host
would, so nothing of Python's cleanup runs. The points, in the order a compaction reaches them:

    put         a compacted data file about to be put (the store's writes are atomic renames: a kill cuts
                no file short)
    index       a skip index about to be put
    metadata    an Iceberg metadata file (manifest, manifest list, metadata.json) about to be linked in
    sql         inside the catalog's SQLite transaction, the UPDATE of the metadata pointer done, not committed
    committed   the catalog transaction committed, before pyiceberg returns
    delete      a file deleted (expiry: data files; pyiceberg: old metadata files)
    unindex     a skip index deleted (expiry: the index of a data file it deleted)

`phase` is `compact` until snapshot expiry starts (lake/iceberg.expire), then `expire`. Expiry waits until
the wall clock reads <expire_after> (seconds since epoch), so that earlier commits are older than the grace.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO


def main(lake: str, grace_s: str, target_bytes: str, point: str, n: str, log: str, expire_after: str) -> None:
    from loglake.lake.compaction import compact
    from loglake.lake.open import open_lake

    with Path(log).open("a", buffering=1) as out:  # line-buffered: each line is in the kernel before a kill
        _install(out, point, int(n), float(expire_after))
        compact(open_lake(lake).store, ["logs"], older_than_s=0, grace_s=float(grace_s), target_bytes=int(target_bytes))
        out.write("done\n")


def _install(out: TextIO, point: str, n: int, expire_after: float) -> None:
    """Wrap the calls at which the points are, so that each logs its point and the chosen one kills."""
    from sqlalchemy.orm import Session

    from loglake.lake import iceberg, iceberg_io, skip_index
    from loglake.lake.local_store import LocalStore

    phase = ["compact"]
    seen: dict[str, int] = {}

    def hit(name: str) -> None:
        where = f"{phase[0]}:{name}"
        seen[where] = seen.get(where, 0) + 1
        out.write(f"{where}\n")
        if where == point and seen[where] == n:
            out.write("killed\n")
            os.kill(os.getpid(), signal.SIGKILL)

    def by_key(call: Callable[..., Any], index: str, other: str) -> Callable[..., Any]:
        def wrapped(self: Any, key: str, *args: Any) -> Any:
            hit(index if key.startswith(skip_index.INDEX_PREFIX) else other)
            return call(self, key, *args)

        return wrapped

    def before(call: Callable[..., Any], name: str) -> Callable[..., Any]:
        def wrapped(*args: Any) -> Any:
            hit(name)
            return call(*args)

        return wrapped

    session_commit, iceberg_expire = Session.commit, iceberg.expire

    def commit(self: Session) -> None:
        hit("sql")
        session_commit(self)
        hit("committed")

    def expire(*args: Any, **kwargs: Any) -> int:
        phase[0] = "expire"
        time.sleep(max(0.0, expire_after - time.time()))
        return iceberg_expire(*args, **kwargs)

    Session.commit = commit  # type: ignore[method-assign]
    iceberg.expire = expire
    iceberg_io._write_local = before(iceberg_io._write_local, "metadata")
    iceberg_io.LakeFileIO.delete = before(iceberg_io.LakeFileIO.delete, "delete")  # type: ignore[method-assign]
    LocalStore.put = by_key(LocalStore.put, "index", "put")  # type: ignore[method-assign]
    LocalStore.put_file = by_key(LocalStore.put_file, "index", "put")  # type: ignore[method-assign]
    LocalStore.delete = by_key(LocalStore.delete, "unindex", "delete")  # type: ignore[method-assign]


if __name__ == "__main__":
    main(*sys.argv[1:])
