"""The ETL's fixed cost per object: one prepared DuckDB connection per thread, reused from object to object,
never carrying anything from one object to the next; and the guard pass that leaves out parsers no line
can match, without changing where any line goes."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import PARSER_EXAMPLES, in_new_thread, write_messages
from loglake.errors import RawObjectError
from loglake.lake.keys import RawKey
from loglake.lake.open import Lake, open_lake
from loglake.lake.raw_zone import list_raw_objects
from loglake.transform import etl, session
from loglake.transform.etl import EtlResult, process_raw_object
from loglake.transform.parsers import PARSERS
from loglake.transform.settings import EtlSettings


@pytest.fixture
def etl_connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every DuckDB connection the ETL opens (by the module that opens it; other modules' are not counted)."""
    opened: list[str] = []
    connect = duckdb.connect

    def counting(*args: Any, **kwargs: Any) -> Any:
        caller = str(__import__("sys")._getframe(1).f_globals.get("__name__"))
        if caller.startswith("loglake.transform"):
            opened.append(caller)
        return connect(*args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", counting)
    return opened


def small_objects(lake: Lake, count: int) -> list[str]:
    for n in range(count):
        write_messages(lake.store, f"/small/{n}", ['{"a": 1}', "plain text", '{"a": 2, "b": "x"}'])
    return sorted(list_raw_objects(lake.store))


def temp_tables() -> int:
    prepared = session._local.session
    assert prepared is not None
    return int(prepared.con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall()[0][0])


def test_objects_in_one_thread_share_one_prepared_connection(lake: Lake, etl_connections: list[str]) -> None:
    keys = small_objects(lake, 5)

    def work() -> tuple[list[EtlResult], int]:
        return [process_raw_object(lake.store, key, EtlSettings()) for key in keys], temp_tables()

    results, left = in_new_thread(work)
    assert [(r.manifest.events, r.manifest.clean_rows, r.manifest.quarantined_rows) for r in results] == [(3, 3, 0)] * 5
    assert etl_connections == ["loglake.transform.session"]  # once for five objects
    assert left == 0  # nothing of the last object is left in the connection


def test_a_failed_object_does_not_reach_the_next(
    lake: Lake, etl_connections: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, failing, last = small_objects(lake, 3)
    unreadable = RawKey("file", "/broken", "s", "0000000000000-0000").key
    lake.store.put(unreadable, b"not gzip at all")
    write_clean = etl._write_clean  # after classification, with the object's temp tables in the session

    def disk_full_for(key: str) -> Callable[..., list[str]]:
        def write(*args: Any) -> list[str]:
            if key in args:  # the raw key, among _write_clean's arguments
                raise OSError(28, "No space left on device")
            return write_clean(*args)

        return write

    monkeypatch.setattr(etl, "_write_clean", disk_full_for(failing))

    def work() -> list[object]:
        outcomes: list[object] = [process_raw_object(lake.store, first, EtlSettings()).manifest.events]
        for key in (failing, unreadable):
            try:
                process_raw_object(lake.store, key, EtlSettings())
            except (OSError, RawObjectError) as exc:
                outcomes.append(type(exc).__name__)
        outcomes.append(process_raw_object(lake.store, last, EtlSettings()).manifest.clean_rows)
        outcomes.append(temp_tables())
        return outcomes

    assert in_new_thread(work) == [3, "OSError", "RawObjectError", 3, 0]
    # A fresh connection after each failure, none after a success.
    assert etl_connections == ["loglake.transform.session"] * 3
    monkeypatch.setattr(etl, "_write_clean", write_clean)
    again = in_new_thread(lambda: process_raw_object(lake.store, failing, EtlSettings()))
    assert (again.skipped, again.manifest.events, again.manifest.clean_rows) == (False, 3, 3)


def _outcome(lake: Lake) -> list[tuple[int, dict[str, int], dict[str, int], dict[str, int]]]:
    results = [process_raw_object(lake.store, key, EtlSettings()) for key in sorted(list_raw_objects(lake.store))]
    return [
        (r.manifest.events, r.manifest.tables, r.manifest.quarantine_reasons, r.manifest.time_sources) for r in results
    ]


def test_leaving_out_guarded_parsers_changes_no_line_s_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every parser's examples in one object, and each parser's first example in an object of its own: the
    same tables, reasons and time sources with the guard pass as with every parser's regexes."""
    firsts = [importlib.import_module(type(p).__module__).EXAMPLES[0].message for p in PARSERS]
    outcomes = []
    for name, guard_pass in (("pruned", True), ("all", False)):
        lake = open_lake(str(tmp_path / name))
        write_messages(lake.store, "/mixed", PARSER_EXAMPLES)
        for n, example in enumerate(firsts):
            write_messages(lake.store, f"/one/{n:03d}", [example])
        with monkeypatch.context() as patch:
            if not guard_pass:
                patch.setattr(etl, "_guarded_out", lambda con: frozenset())

            def run(lake: Lake = lake) -> list[tuple[int, dict[str, int], dict[str, int], dict[str, int]]]:
                return _outcome(lake)

            outcomes.append(in_new_thread(run))
    pruned, every = outcomes
    assert len(pruned) == len(PARSERS) + 1 and pruned == every
    assert sum(events for events, *_ in pruned) == len(PARSER_EXAMPLES) + len(PARSERS)
    assert len({table for _events, tables, *_ in pruned[1:] for table in tables}) > 10  # many tables, not all logs


def test_the_guard_pass_leaves_out_parsers_no_line_passes(lake: Lake) -> None:
    write_messages(lake.store, "/json", ['{"a": 1}', '{"b": 2}'])
    [key] = list(list_raw_objects(lake.store))

    def excluded() -> frozenset[str]:
        prepared = session.acquire(None)
        try:
            with lake.store.local_file(key) as path:
                prepared.con.execute(
                    "CREATE TEMP TABLE raw_lines AS SELECT * FROM read_json(?, format = 'newline_delimited')",
                    [str(path)],
                )
            for parser in PARSERS:  # a guard may read what its parser's set-up found
                for statement in parser.setup():
                    prepared.con.execute(statement)
            return etl._guarded_out(prepared.con)
        finally:
            session.release(prepared, failed=True)

    left_out = in_new_thread(excluded)
    assert {"access_log", "alb", "syslog_rfc5424", "apache_error"} <= left_out
    assert "cloudtrail" not in left_out and "lambda_platform_json" not in left_out  # guards that pass on '{'


def test_a_connection_is_renewed_after_max_objects(
    lake: Lake, etl_connections: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's object cache grows with every file read: a warm container renews its connection."""
    monkeypatch.setattr(session, "MAX_OBJECTS", 2)
    keys = small_objects(lake, 5)
    results = in_new_thread(lambda: [process_raw_object(lake.store, key, EtlSettings()) for key in keys])
    assert [r.manifest.clean_rows for r in results] == [3] * 5
    assert etl_connections == ["loglake.transform.session"] * 3  # objects 1-2, 3-4, 5


def test_reset_forgets_the_redaction_key_pads_an_object_set() -> None:
    """The HMAC pads redaction.prepare sets are connection variables: reset() drops them with the temp
    tables, so the key does not stay in a pooled connection after its object (review item 12)."""
    from loglake.transform import redaction

    connection = session.Session(threads=1)
    try:
        connection.con.execute("SET VARIABLE other_setting = 1")
        connection.con.execute(f"SET VARIABLE {redaction._IPAD} = unhex('00ff')")
        connection.con.execute(f"SET VARIABLE {redaction._OPAD} = unhex('ff00')")
        assert connection.con.execute("SELECT count(*) FROM duckdb_variables()").fetchone() == (3,)
        connection.reset()
        assert connection.con.execute("SELECT count(*) FROM duckdb_variables()").fetchone() == (0,)
        assert connection.con.execute(f"SELECT getvariable('{redaction._IPAD}')").fetchone() == (None,)
    finally:
        connection.close()


def test_a_prepared_connection_pools_its_blocks() -> None:
    """DuckDB's buffers come from a pool whose pages stay mapped between statements (session.BLOCK_POOL): without
    it an object's statements faulted their memory in again one after the other."""
    prepared = session.Session(None)
    try:
        setting = prepared.con.execute("SELECT current_setting('block_allocator_memory')").fetchall()[0][0]
    finally:
        prepared.close()
    assert setting == "256.0 MiB"


def _threads_during_classification(
    lake: Lake, key: str, threads: int | None, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, int, EtlResult]:
    """(DuckDB's threads while the object is classified, the session's threads after it, the result)."""
    seen: list[int] = []
    taken: list[session.Session] = []
    classify, acquire = etl._classify_sql, session.acquire

    def watching(*args: Any) -> str:
        seen.append(int(taken[-1].con.execute("SELECT current_setting('threads')").fetchone()[0]))
        return classify(*args)

    def keeping(count: int | None) -> session.Session:
        taken.append(acquire(count))
        return taken[-1]

    monkeypatch.setattr(etl, "_classify_sql", watching)
    monkeypatch.setattr(session, "acquire", keeping)

    def work() -> tuple[int, int, EtlResult]:
        result = process_raw_object(lake.store, key, EtlSettings(), force=True, threads=threads)
        after = taken[-1].con.execute("SELECT current_setting('threads')").fetchone()[0]  # released: reset ran
        return seen[-1], int(after), result

    return in_new_thread(work)


def test_an_object_of_one_row_group_runs_on_one_thread_and_the_session_gets_its_threads_back(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB splits scans by row group: a second thread only costs an object of one (session.narrow)."""
    key = small_objects(lake, 1)[0]
    during, after, result = _threads_during_classification(lake, key, 2, monkeypatch)
    assert (during, after, result.manifest.clean_rows) == (1, 2, 3)
    during, after, _result = _threads_during_classification(lake, key, 1, monkeypatch)
    assert (during, after) == (1, 1)


def test_an_object_of_more_than_one_row_group_keeps_its_threads(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session, "ONE_ROW_GROUP", 2)  # the 3 lines of small_objects span "two row groups"
    key = small_objects(lake, 1)[0]
    during, after, result = _threads_during_classification(lake, key, 2, monkeypatch)
    assert (during, after, result.manifest.clean_rows) == (2, 2, 3)
