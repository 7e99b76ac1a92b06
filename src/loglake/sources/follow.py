"""`loglake ingest --follow PATH...`: keep reading files as `tail -F` does, with the ETL right behind.

Every `flush_seconds` (or as soon as `flush_events` new lines are waiting) each file's new complete lines go
to the raw zone through FileSource.ingest, so the checkpoints, the file identity records, the leases and
the exactly-once resume are the ones `loglake ingest` uses; the ETL then processes the objects written,
and the events are queryable. A restart resumes from the checkpoint, and never writes an event twice.

Files are followed by name:

- rotation by rename (`app.log` -> `app.log.1`, a new `app.log`): the old file is still open here, and is
  read on for `rotate_wait_seconds` (the writer may go on writing to it until it reopens the name, as
  `tail -F` and Fluent Bit's Rotate_Wait allow), then to its end with nothing held back (an unterminated
  last line, a container line's trailing part: events of their own), under its own identity, and closed;
  only then is the new file read, as a new generation (the checkpoint of a name moves one file at a time);
- truncation and copytruncate (the file shrinks): the file is read again from its start as a new
  generation. Lines written after the last poll and before the copy are only in the copy (as with tail -F);
  a poll every `poll_seconds` keeps that window short;
- a missing file is waited for.

stdin (`-`) is read as it comes and flushed on the same timer; a run is one stream (stdin has nothing to
resume from). Setting `stop` (the CLI does on Ctrl-C) ends the loop after a last flush and an ETL run on
every pending raw object, so `verify` holds when it returns.
"""

from __future__ import annotations

import os
import select
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from loglake.errors import ConfigError
from loglake.lake.open import Lake
from loglake.pipeline import EtlRun, pending_raw_objects, run_etl_objects
from loglake.sources.local_files import FileReport, FileSource
from loglake.sources.multiline import is_partial
from loglake.transform.settings import EtlSettings

_COUNT_CHUNK = 1 << 20


@dataclass(frozen=True)
class FollowOptions:
    flush_seconds: float = 5.0
    """Write what has arrived at least this often (a partial line waits for its newline)."""
    flush_events: int = 10_000
    """Write as soon as this many new lines are waiting, before the timer."""
    poll_seconds: float = 0.25
    """How often files are checked for growth, rotation and truncation."""
    rotate_wait_seconds: float = 5.0
    """How long a file renamed away is still read before its last bytes are written and it is closed."""

    def __post_init__(self) -> None:
        if self.flush_seconds <= 0 or self.poll_seconds <= 0:
            raise ConfigError("--flush-seconds must be more than 0")
        if self.rotate_wait_seconds < 0:
            raise ConfigError(f"--rotate-wait must be 0 or more, not {self.rotate_wait_seconds:g}")
        if self.flush_events < 1:
            raise ConfigError(f"--flush-events must be 1 or more, not {self.flush_events}")


@dataclass
class Flush:
    """One write of everything waiting, and the ETL of what it wrote."""

    reason: str
    """start | timer | events | rotated | truncated | stdin closed | stop"""
    reports: list[FileReport]
    etl: EtlRun

    @property
    def events(self) -> int:
        return sum(report.events for report in self.reports)


@dataclass
class FollowSummary:
    flushes: int = 0
    events: int = 0
    objects: int = 0
    rotations: int = 0
    truncations: int = 0
    per_path: dict[str, int] = field(default_factory=dict)


@dataclass
class _Retired:
    """A file renamed away (or removed) while open here: read on until `deadline` (time.monotonic())."""

    handle: BinaryIO
    deadline: float


class _File:
    """A followed name: the file open under it, files renamed away from it not yet closed (oldest first),
    and the lines counted since the last flush."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.retired: list[_Retired] = []
        self.handle: BinaryIO | None = None
        self.inode: tuple[int, int] | None = None
        self.counted = 0
        self.lines = 0
        self.dirty = False

    def open(self) -> bool:
        try:
            handle = Path(self.path).open("rb")  # noqa: SIM115 - held across polls, closed by close()
        except FileNotFoundError:
            return False
        st = os.fstat(handle.fileno())
        self.handle, self.inode, self.counted, self.lines, self.dirty = handle, (st.st_dev, st.st_ino), 0, 0, True
        return True

    def close(self) -> None:
        for old in self.retired:
            old.handle.close()
        self.retired = []
        if self.handle is not None:
            self.handle.close()
        self.handle = None

    def retire(self, deadline: float) -> None:
        """The name points elsewhere now: keep the open file aside until `deadline`."""
        assert self.handle is not None
        self.retired.append(_Retired(self.handle, deadline))
        self.handle = None

    def ingest(self, source: FileSource, *, final: bool) -> list[FileReport]:
        """What is new: the retired files first, each finished (nothing held back) once its wait is over or
        when `final`; the file under the name only when none is left, since the name's checkpoint follows one
        file at a time (reading the new file first would make the old one a new generation, read again)."""
        reports: list[FileReport] = []
        while self.retired:
            old = self.retired[0]
            done = final or time.monotonic() >= old.deadline
            reports.append(source.ingest(self.path, handle=old.handle, final=done))
            if not done:
                return reports
            old.handle.close()
            self.retired.pop(0)
        if self.handle is not None:
            reports.append(source.ingest(self.path, handle=self.handle))
            self.flushed()
        return reports

    def finishing(self) -> bool:
        """A retired file's wait is over: a flush writes its last bytes and closes it."""
        return bool(self.retired) and time.monotonic() >= self.retired[0].deadline

    def poll(self) -> str | None:
        """rotated (another file, or none, is under the name now), truncated, or None; counts new lines."""
        try:
            st: os.stat_result | None = Path(self.path).stat()
        except FileNotFoundError:
            st = None
        if self.handle is None:
            return "opened" if st is not None and self.open() else None
        if st is None or (st.st_dev, st.st_ino) != self.inode:
            return "rotated"
        size = os.fstat(self.handle.fileno()).st_size
        if size < self.counted:
            self.counted, self.lines, self.dirty = 0, 0, True
            return "truncated"
        while self.counted < size:
            chunk = os.pread(self.handle.fileno(), min(_COUNT_CHUNK, size - self.counted), self.counted)
            if not chunk:
                break
            self.lines += chunk.count(b"\n")
            self.counted += len(chunk)
            self.dirty = True
        return None

    def flushed(self) -> None:
        """After an ingest, which read up to where the handle is now: a later shrink below that is a truncation."""
        assert self.handle is not None
        self.counted = max(self.counted, self.handle.tell())
        self.lines, self.dirty = 0, False


class _Stdin:
    """stdin read as it comes: complete lines wait in `buffer` for the next flush."""

    def __init__(self) -> None:
        self.fd = 0
        self.session = uuid.uuid4().hex
        self.buffer = bytearray()
        self.offset = 0
        self.closed = False

    def read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            data = os.read(self.fd, 1 << 16)
            if data:
                self.buffer += data
            else:
                self.closed = True

    @property
    def lines(self) -> int:
        return self.buffer.count(b"\n")

    def take(self) -> bytes:
        """The complete lines (and, once stdin is closed, an unterminated last one); while stdin is open, a
        container line whose last part has not arrived waits for it (its parts are one event)."""
        end = len(self.buffer) if self.closed else self.buffer.rfind(b"\n") + 1
        while not self.closed and end:
            start = self.buffer.rfind(b"\n", 0, end - 1) + 1
            if not is_partial(bytes(self.buffer[start:end])):
                break
            end = start
        data = bytes(self.buffer[:end])
        del self.buffer[:end]
        if data and not data.endswith(b"\n"):
            data += b"\n"  # the last line, ended by EOF: a line of its own, as `loglake ingest -` reads it
        return data


def follow(
    lake: Lake,
    source: FileSource,
    paths: list[str],
    settings: EtlSettings,
    stop: threading.Event,
    options: FollowOptions | None = None,
    *,
    on_flush: Callable[[Flush], None] | None = None,
    workers: int | None = None,
) -> FollowSummary:
    """Follow `paths` (file names, or '-') until `stop` is set (or stdin, when it is the only input, closes)."""
    opts = options or FollowOptions()
    if not source.options.hold_partial_line:
        raise ConfigError("follow mode needs FileSourceOptions(hold_partial_line=True): a line may be half written")
    files = [_File(path) for path in paths if path != "-"]
    stdin = _Stdin() if "-" in paths else None
    summary = FollowSummary()

    def flush(reason: str, *, final: bool = False) -> None:
        reports: list[FileReport] = []
        for tracked in files:
            reports.extend(tracked.ingest(source, final=final))
        if stdin is not None and (data := stdin.take()):
            reports.append(source.ingest_stdin_chunk(stdin.session, stdin.offset, data))
            stdin.offset += len(data)
        written = [key for report in reports for key in report.objects]
        keys = pending_raw_objects(lake) if final or reason == "start" else written
        run = run_etl_objects(lake, keys, settings, workers=workers) if keys else EtlRun()
        summary.flushes += 1
        summary.events += sum(report.events for report in reports)
        summary.objects += len(written)
        for report in reports:
            summary.per_path[report.path] = summary.per_path.get(report.path, 0) + report.events
        if on_flush is not None and (written or run.results or final):
            on_flush(Flush(reason, reports, run))
        error = run.error()
        if error is not None:
            raise error

    def poll_all() -> str | None:
        """Each file's news; a rotated file stays open (retired) for its wait, the new one is opened."""
        urgent: str | None = None
        for tracked in files:
            event = tracked.poll()
            if event == "rotated":
                tracked.retire(time.monotonic() + opts.rotate_wait_seconds)
                tracked.open()
                summary.rotations += 1
                urgent = "rotated"
            elif event == "truncated":
                summary.truncations += 1
                urgent = "truncated"
            elif tracked.finishing():
                urgent = urgent or "rotated"
        return urgent

    for tracked in files:
        tracked.open()
    last = time.monotonic()
    try:
        flush("start")
        while not stop.is_set():
            if stdin is not None and not stdin.closed:
                stdin.read(opts.poll_seconds)
            else:
                stop.wait(opts.poll_seconds)
            urgent = poll_all()
            waiting = sum(tracked.lines for tracked in files) + (stdin.lines if stdin is not None else 0)
            dirty = any(tracked.dirty for tracked in files) or (stdin is not None and bool(stdin.buffer))
            if stdin is not None and stdin.closed and not files:
                break
            if urgent is None and waiting >= opts.flush_events:
                urgent = "events"
            if urgent is None and dirty and time.monotonic() - last >= opts.flush_seconds:
                urgent = "timer"
            if urgent is not None:
                flush(urgent)
                last = time.monotonic()
        poll_all()  # a file that appeared or rotated since the last poll
        flush("stdin closed" if stdin is not None and stdin.closed and not files else "stop", final=True)
    finally:
        for tracked in files:
            tracked.close()
    return summary
