"""`loglake ingest --follow`: a writer appends, rotates (rename, copytruncate) and truncates a file while the
test reads the lake; exact counts, no duplicates, exactly once across restarts; Ctrl-C (SIGINT) in a
subprocess writes the last lines and leaves nothing pending; stdin flushes on the timer, not at EOF."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import loglake
from loglake.errors import ConfigError
from loglake.lake.open import open_lake
from loglake.pipeline import pending_raw_objects
from loglake.sources.follow import FollowOptions, FollowSummary, _Stdin, follow
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform.settings import EtlSettings

WAIT_S = 60.0


def _line(n: int) -> str:
    return f'{{"time": "2026-01-01T10:{n // 60:02d}:{n % 60:02d}Z", "msg": "line {n:04d}"}}\n'


def _wait_for(what: Callable[[], bool], message: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {message}")
        time.sleep(0.05)


class _Follower:
    """follow() in a thread, as the CLI runs it in its main thread; stop() is the CLI's Ctrl-C."""

    def __init__(self, lake_dir: Path, paths: list[str], options: FollowOptions) -> None:
        self.stop_event = threading.Event()
        self.summary: FollowSummary | None = None
        self.error: BaseException | None = None
        lake = open_lake(str(lake_dir))
        source = FileSource(lake.store, FileSourceOptions(log_group="app", hold_partial_line=True, batch_events=40))

        def run() -> None:
            try:
                self.summary = follow(lake, source, paths, EtlSettings(), self.stop_event, options)
            except BaseException as exc:
                self.error = exc

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def stop(self) -> FollowSummary:
        self.stop_event.set()
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error
        assert self.summary is not None
        return self.summary


def _counts(lake: loglake.Loglake) -> tuple[int, int]:
    if not lake.lake.exists() or not lake.tables():
        return (0, 0)
    return lake.query("SELECT count(*), count(DISTINCT message) FROM logs").rows[0]


def test_a_writer_appending_rotating_and_truncating_while_the_lake_is_read(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("".join(_line(n) for n in range(10)))
    lake = loglake.connect(str(tmp_path / "lake"))
    options = FollowOptions(flush_seconds=0.5, poll_seconds=0.05, rotate_wait_seconds=0.5)
    follower = _Follower(tmp_path / "lake", [str(log)], options)
    _wait_for(lambda: _counts(lake) == (10, 10), "the lines there at the start")
    written = 10
    writer_error: list[BaseException] = []

    def writer() -> None:
        nonlocal written
        try:
            with log.open("a") as handle:
                for n in range(10, 60):
                    handle.write(_line(n))
                    handle.flush()
                    written += 1
                    if n % 10 == 0:
                        time.sleep(0.02)
            log.rename(tmp_path / "app.log.1")  # rotation by rename: lines 50-59 may not be flushed yet
            with log.open("a") as handle:
                for n in range(60, 120):
                    handle.write(_line(n))
                    handle.flush()
                    written += 1
                    if n % 10 == 0:
                        time.sleep(0.02)
        except BaseException as exc:
            writer_error.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    thread.join(WAIT_S)
    assert not writer_error
    assert written == 120
    _wait_for(lambda: _counts(lake) == (120, 120), "every line after a rename rotation")

    shutil.copy(log, tmp_path / "app.log.2")  # copytruncate, once everything is read (the copy is not followed)
    with log.open("r+") as handle:
        handle.truncate(0)
    with log.open("a") as handle:
        handle.write("".join(_line(n) for n in range(120, 150)))
    _wait_for(lambda: _counts(lake) == (150, 150), "the lines after copytruncate")

    summary = follower.stop()
    assert (summary.rotations, summary.truncations, summary.events) == (1, 1, 150)
    assert _counts(lake) == (150, 150)
    assert lake.query("SELECT min(message), max(message) FROM logs").rows == [(_line(0)[:-1], _line(149)[:-1])]
    assert lake.verify().totals() == {"raw_events": 150, "clean_events": 150, "quarantined_events": 0}
    assert pending_raw_objects(lake.lake) == []

    # Exactly once across restarts: a new run reads nothing again, then only what was added meanwhile.
    with log.open("a") as handle:
        handle.write(_line(150))
    again = _Follower(tmp_path / "lake", [str(log)], FollowOptions(flush_seconds=0.2, poll_seconds=0.05))
    _wait_for(lambda: _counts(lake) == (151, 151), "the line added between runs")
    assert again.stop().events == 1
    assert lake.verify().ok


def test_the_last_lines_before_a_rename_are_read_from_the_old_file(tmp_path: Path) -> None:
    """The timer never fires here: only the rotation can flush lines 5-9, which the old file alone holds."""
    log = tmp_path / "app.log"
    log.write_text("".join(_line(n) for n in range(5)))
    lake = loglake.connect(str(tmp_path / "lake"))
    follower = _Follower(tmp_path / "lake", [str(log)], FollowOptions(flush_seconds=3600, poll_seconds=0.05))
    _wait_for(lambda: _counts(lake) == (5, 5), "the start flush")
    with log.open("a") as handle:
        handle.write("".join(_line(n) for n in range(5, 10)))
    log.rename(tmp_path / "app.log.1")
    _wait_for(lambda: _counts(lake) == (10, 10), "the old file's last lines")
    log.write_text(_line(10) + '{"msg": "half a li')  # an unterminated line waits for its end
    summary = follower.stop()
    assert (summary.events, summary.rotations) == (11, 1)
    assert _counts(lake) == (11, 11)
    assert lake.verify().ok


def _container_rows(lake: loglake.Loglake) -> list[tuple[str, str]]:
    if not lake.lake.exists() or "container_logs" not in lake.tables():
        return []
    return [
        (str(log), str(tag)) for log, tag in lake.query("SELECT log, logtag FROM container_logs ORDER BY time").rows
    ]


def test_a_renamed_file_is_read_on_for_its_wait_then_to_its_last_byte(tmp_path: Path) -> None:
    """The reviewer's case: the old file ends with a CRI `P` part (held while the line may go on), the writer
    adds to the old file after the rename (it has not reopened yet), a last line without its newline too;
    the new file has the `F` line. After the wait, every byte of the old file is an event: nothing lost."""
    log = tmp_path / "a.log"
    log.write_bytes(b"2026-01-01T10:00:00.000000001Z stdout F first\n2026-01-01T10:00:01.000000001Z stdout P part\n")
    lake = loglake.connect(str(tmp_path / "lake"))
    options = FollowOptions(flush_seconds=3600, poll_seconds=0.05, rotate_wait_seconds=2.0)
    follower = _Follower(tmp_path / "lake", [str(log)], options)
    _wait_for(lambda: _container_rows(lake) == [("first", "F")], "the start flush, the P part held")
    log.rename(tmp_path / "a.log.1")
    with (tmp_path / "a.log.1").open("ab") as old:  # within the wait: the writer still has the old file
        old.write(b"2026-01-01T10:00:02.000000001Z stderr F late, to the old file\n")
        old.write(b"2026-01-01T10:00:03.000000001Z stderr F no newline")
    log.write_bytes(b"2026-01-01T10:00:04.000000001Z stdout F end\n")
    expected = [("first", "F"), ("part", "P"), ("late, to the old file", "F"), ("no newline", "F"), ("end", "F")]
    _wait_for(lambda: _container_rows(lake) == expected, "the old file's last bytes after its wait, then the new file")
    summary = follower.stop()
    assert (summary.events, summary.rotations) == (5, 1)
    assert _container_rows(lake) == expected
    assert lake.verify().totals() == {"raw_events": 5, "clean_events": 5, "quarantined_events": 0}


def test_stdin_holds_a_container_line_until_its_last_part() -> None:
    stdin = _Stdin()
    stdin.buffer += b"2026-01-01T10:00:00Z stdout F a\n2026-01-01T10:00:01Z stdout P b\n2026-01-01T10:00:01Z stdout P c"
    assert stdin.take() == b"2026-01-01T10:00:00Z stdout F a\n"
    stdin.buffer += b"\n2026-01-01T10:00:01Z stdout F d\n"
    assert (
        stdin.take()
        == b"2026-01-01T10:00:01Z stdout P b\n2026-01-01T10:00:01Z stdout P c\n2026-01-01T10:00:01Z stdout F d\n"
    )
    stdin.buffer += b"2026-01-01T10:00:02Z stdout P e\n"
    assert stdin.take() == b""
    stdin.closed = True
    assert stdin.take() == b"2026-01-01T10:00:02Z stdout P e\n"


def test_follow_needs_held_partial_lines(tmp_path: Path) -> None:
    lake = open_lake(str(tmp_path / "lake"))
    with pytest.raises(ConfigError, match="hold_partial_line"):
        follow(lake, FileSource(lake.store), ["x.log"], EtlSettings(), threading.Event())
    with pytest.raises(ConfigError, match="--flush-events must be 1 or more"):
        FollowOptions(flush_events=0)
    with pytest.raises(ConfigError, match="--rotate-wait must be 0 or more, not -1"):
        FollowOptions(rotate_wait_seconds=-1)


def _cli(tmp_path: Path, *args: str, stdin: int | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("LOGLAKE_LAKE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "loglake", "ingest", "--follow", *args, "--lake", str(tmp_path / "lake")],
        cwd=tmp_path,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_ctrl_c_writes_the_last_lines_and_leaves_nothing_pending(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("".join(_line(n) for n in range(10)))
    process = _cli(tmp_path, str(log), "--log-group", "app", "--flush-seconds", "3600", "--flush-events", "100000")
    assert process.stderr is not None
    assert process.stderr.readline().startswith("following ")
    lake = loglake.connect(str(tmp_path / "lake"))
    _wait_for(lambda: _counts(lake) == (10, 10), "the start flush")
    with log.open("a") as handle:
        handle.write("".join(_line(n) for n in range(10, 40)))
    time.sleep(0.5)  # polled, not flushed: the timer is an hour and the threshold 100,000 lines
    assert _counts(lake) == (10, 10)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=WAIT_S)
    assert process.returncode == 0, stderr
    assert stdout.splitlines()[-1].startswith("follow: 40 events in ")
    assert _counts(lake) == (40, 40)
    assert pending_raw_objects(lake.lake) == []
    assert lake.verify().totals() == {"raw_events": 40, "clean_events": 40, "quarantined_events": 0}


def test_stdin_flushes_on_the_timer_before_eof(tmp_path: Path) -> None:
    process = _cli(tmp_path, "-", "--flush-seconds", "0.2", stdin=subprocess.PIPE)
    assert process.stdin is not None
    process.stdin.write(_line(0) + _line(1))
    process.stdin.flush()
    lake = loglake.connect(str(tmp_path / "lake"))
    _wait_for(lambda: _counts(lake) == (2, 2), "stdin's lines while stdin is still open")
    assert process.poll() is None
    stdout, stderr = process.communicate(_line(2) + '{"msg": "last, with no newline"}', timeout=WAIT_S)
    assert process.returncode == 0, stderr
    assert stdout.splitlines()[-1].startswith("follow: 4 events in ")
    assert _counts(lake) == (4, 4)
    assert lake.query('SELECT count(*) FROM logs WHERE message = \'{"msg": "last, with no newline"}\'').rows == [(1,)]
    assert lake.verify().ok
