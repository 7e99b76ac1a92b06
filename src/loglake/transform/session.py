"""One prepared DuckDB connection per thread, reused by the ETL from one raw object to the next.

Connecting to DuckDB, setting the time zone and creating the ETL's macros cost more than the ETL of a
10-event object itself; the collector's and the subscription's small objects pay that on every object.
So each thread (a pipeline worker, or a warm Lambda container's one thread) keeps one prepared
connection:

- it is handed back only after an object succeeded, and only once every temp table and temp view that
  object made is dropped (parsers' set-up tables, `classified`, the remembered headers), so no object
  sees another's rows;
- after any error (a bad object, an interrupt, out of memory) it is closed, and the next object gets a
  fresh one: a failure never reaches the next object;
- it is taken while in use, so a nested ETL run in the same thread (a re-run after a stream's header was
  recorded) gets a connection of its own.

DuckDB's spill files go to one temporary folder per connection, removed when the connection is. A
connection is renewed after MAX_OBJECTS objects: DuckDB's object cache keeps a few hundred bytes of
metadata for every file it read (each object's clean files have new paths), which a warm container
would otherwise accumulate.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from typing import Any

import duckdb

from loglake.sql_quoting import quote_identifier
from loglake.transform import levels, timestamps

_local = threading.local()
MAX_OBJECTS = 1_000
"""Objects one connection serves before it is closed and a fresh one made."""
BLOCK_POOL = "256MiB"
"""DuckDB's `block_allocator_memory` for an ETL connection: its 256 KiB buffers come from a pool of this much
address space, whose pages stay mapped once touched (a freed block is only marked reclaimable, MADV_FREE) instead
of going back to the system between statements and being faulted in again by the next one (without it, 20,000-
30,000 more page faults and 0.05-0.08 s more system CPU per 50,000-line object: benchmarks/README.md). A
connection's pool is unmapped when the connection closes; blocks beyond it come from the usual allocator."""
ONE_ROW_GROUP = 122_880
"""Rows of one DuckDB row group: a table of this many rows or fewer is scanned by one thread (DuckDB splits scans
by row group), so `narrow` runs such an object's statements on one."""


def narrow(con: Any, rows: int, threads: int) -> None:
    """Run the rest of an object of `rows` lines on one thread when it fits in one row group; `threads` is the
    connection's count now. Why: its scans cannot be split, so a second thread only adds scheduling and per-thread
    state: one thread cost a median 3.7-3.9% less CPU per 50,000-line object over the 34 formats, with the wall time
    about the same (benchmarks/README.md, "One thread for an object of one row group"). `Session.reset` restores the
    session's own count."""
    if rows <= ONE_ROW_GROUP and threads > 1:
        con.execute("SET threads = 1")


def _dispose(con: Any, spill: str) -> None:
    try:
        con.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)


class Session:
    """A DuckDB connection with the time zone and the ETL's macros set; `reset` makes it as new."""

    def __init__(self, threads: int | None) -> None:
        self.threads = threads
        self.objects = 0
        self.spill = tempfile.mkdtemp(prefix="loglake-etl-spill-")
        config: dict[str, Any] = {"temp_directory": self.spill, "block_allocator_memory": BLOCK_POOL}
        if threads:
            config["threads"] = threads
        self.con = duckdb.connect(config=config)
        self._dispose = weakref.finalize(self, _dispose, self.con, self.spill)
        try:
            self.con.execute("SET TimeZone = 'UTC'")
            self.con.execute(timestamps.MACROS)
            self.con.execute(levels.MACROS)
            self._threads = str(self.con.execute("SELECT current_setting('threads')").fetchone()[0])  # type: ignore[index]
        except BaseException:
            self.close()
            raise

    def reset(self) -> None:
        """Drop what an object left: its temp tables, views and variables (the redaction key's pads must not
        outlive the object that needed them; the macros stay), and give back the threads `narrow` took."""
        left = self.con.execute(  # one statement: each costs ~1 ms, which a small object feels
            "SELECT 'THREADS', current_setting('threads')::VARCHAR "
            "UNION ALL SELECT 'VARIABLE', name FROM duckdb_variables() "
            "UNION ALL SELECT 'VIEW', view_name FROM duckdb_views() WHERE temporary AND NOT internal "
            "UNION ALL SELECT 'TABLE', table_name FROM duckdb_tables() WHERE temporary"
        ).fetchall()
        drops = [
            f"DROP {kind} IF EXISTS temp.main.{quote_identifier(str(name))};"
            for kind, name in left
            if kind in ("VIEW", "TABLE")
        ]
        drops += [f"RESET VARIABLE {quote_identifier(str(name))};" for kind, name in left if kind == "VARIABLE"]
        drops += [
            f"SET threads = {int(self._threads)};" for kind, now in left if kind == "THREADS" and now != self._threads
        ]
        if drops:
            self.con.execute(" ".join(drops))  # one call: each statement sent alone costs as much again

    def close(self) -> None:
        self._dispose()


def acquire(threads: int | None) -> Session:
    """This thread's prepared connection (a new one if it has none, or one for another thread count)."""
    session: Session | None = getattr(_local, "session", None)
    _local.session = None  # taken: a nested run in this thread connects on its own
    if session is not None and session.threads != threads:
        session.close()
        session = None
    return session if session is not None else Session(threads)


def release(session: Session, *, failed: bool) -> None:
    """Give the connection back for the thread's next object; close it instead after a failure."""
    session.objects += 1
    if failed or session.objects >= MAX_OBJECTS:
        session.close()
        return
    try:
        session.reset()
    except BaseException:
        session.close()
        raise
    kept: Session | None = getattr(_local, "session", None)
    if kept is not None:  # a nested run gave one back meanwhile: keep one per thread
        kept.close()
    _local.session = session
