"""The ETL's skip index: built on the ETL's own prepared connection from the files it has just written (no
connection and no store read of its own per object), and switched off by `[etl] skip_index = false`, with
search's answers unchanged."""

from __future__ import annotations

import sys
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import T0, write_messages
from loglake.config import load_config
from loglake.errors import ConfigError
from loglake.handlers.environment import etl_settings_from_environment
from loglake.lake import skip_index
from loglake.lake.open import Lake
from loglake.lake.raw_zone import list_raw_objects
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.search import Pattern, search
from loglake.transform import session
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings

HOUR = 3_600_000
NAMES = ["alpha", "bravo", "charlie", "delta"]


def _lines(n: int) -> list[str]:
    return [f"GET /api/orders/{n}-{i} 200 user=u{i}" for i in range(9)] + [f"ERROR Zebrafish-Timeout {NAMES[n]}"]


def _items(messages: list[str]) -> set[str]:
    """What the index must hold: each word of the lowered messages, and each trigram of a word."""
    words = {w for m in messages for w in skip_index.WORD.findall(m.lower())}
    return {f"t:{w}" for w in words} | {f"g:{w[i : i + 3]}" for w in words for i in range(len(w) - 2)}


def _objects(lake: Lake, count: int) -> list[str]:
    for n in range(count):
        write_messages(lake.store, f"/svc/{n}", _lines(n), id_prefix=f"o{n}-", stream=f"s{n}", timestamp=T0 + n * HOUR)
    return sorted(list_raw_objects(lake.store))


def test_the_index_is_built_on_the_etl_connection_from_the_written_files(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    skip_index.hash_check()  # once per process, cached
    keys = _objects(lake, 4)
    opened: list[str] = []
    connect = duckdb.connect

    def counting(*args: Any, **kwargs: Any) -> Any:
        opened.append(str(sys._getframe(1).f_globals.get("__name__")))
        return connect(*args, **kwargs)

    fetched: list[str] = []
    local_file = lake.store.local_file

    def counted(key: str) -> AbstractContextManager[Path]:
        fetched.append(key.split("/")[0])
        return local_file(key)

    monkeypatch.setattr(duckdb, "connect", counting)
    monkeypatch.setattr(lake.store, "local_file", counted)
    results: list[Any] = []
    worker = threading.Thread(
        target=lambda: results.extend(process_raw_object(lake.store, k, EtlSettings()) for k in keys)
    )
    worker.start()
    worker.join()
    assert [(r.manifest.events, r.manifest.clean_rows) for r in results] == [(10, 10)] * 4
    assert opened == ["loglake.transform.session"]  # one connection for four objects and their indexes
    assert fetched == ["raw"] * 4  # the clean files are not read back from the store
    clean = sorted(k for r in results for k in r.manifest.outputs if k.startswith("clean/"))  # one per hour
    assert len(clean) == 4
    check = skip_index.hash_check()
    for n, key in enumerate(clean):
        index, _ = skip_index.read_for(lake.store, key, lake.store.version(key), check)
        assert index is not None
        assert index.items == len(_items(_lines(n))) == [54, 53, 56, 54][n]  # "1" is also a word of 1-1
    result = search(lake.store, Pattern.parse("timeout charlie", ignore_case=True))
    assert [row["message"] for row in result.rows] == ["ERROR Zebrafish-Timeout charlie"]
    assert (result.plan.files_read, result.plan.skipped_by_index) == (1, 3)


def test_skip_index_off_writes_no_index_and_search_reads_every_file(lake: Lake) -> None:
    _objects(lake, 3)
    run_etl(lake, pending_raw_objects(lake), EtlSettings(skip_index=False), workers=1)
    assert list(lake.store.list(skip_index.INDEX_PREFIX)) == []
    result = search(lake.store, Pattern.parse("timeout bravo", ignore_case=True))
    assert [row["message"] for row in result.rows] == ["ERROR Zebrafish-Timeout bravo"]
    assert (result.plan.files_read, result.plan.skipped_by_index, result.plan.read_without_index) == (3, 0, 3)


def test_the_setting_in_loglake_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOGLAKE_LAKE", raising=False)
    (tmp_path / "loglake.toml").write_text('lake = "./lake"\n[etl]\nskip_index = false\n')
    assert load_config(cwd=tmp_path).etl.skip_index is False
    (tmp_path / "loglake.toml").write_text('lake = "./lake"\n')
    assert load_config(cwd=tmp_path).etl.skip_index is True
    (tmp_path / "loglake.toml").write_text('lake = "./lake"\n[etl]\nskip_index = "no"\n')
    with pytest.raises(ConfigError, match=r"\[etl\] skip_index must be true or false, not 'no'"):
        load_config(cwd=tmp_path)


def test_the_setting_in_the_lambdas_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOGLAKE_ETL_SKIP_INDEX", raising=False)
    assert etl_settings_from_environment().skip_index is True
    monkeypatch.setenv("LOGLAKE_ETL_SKIP_INDEX", "false")
    assert etl_settings_from_environment().skip_index is False
    monkeypatch.setenv("LOGLAKE_ETL_SKIP_INDEX", "no")
    with pytest.raises(ConfigError, match="LOGLAKE_ETL_SKIP_INDEX must be true or false, not 'no'"):
        etl_settings_from_environment()


class _Counting:
    """A connection that counts the statements each function sends (by the caller's name)."""

    def __init__(self, con: Any, counts: dict[str, int]) -> None:
        self._con, self._counts = con, counts

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        caller = sys._getframe(1).f_code.co_name
        self._counts[caller] = self._counts.get(caller, 0) + 1
        return self._con.execute(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _counted_etl(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict[str, int]]:
    """The lake's one raw object through the ETL, on a fresh thread (so a fresh session) whose connection counts
    the statements each function sends: its manifest and the counts."""
    (key,) = list_raw_objects(lake.store)
    counts: dict[str, int] = {}
    init = session.Session.__init__

    def counting(self: session.Session, threads: int | None) -> None:
        init(self, threads)
        self.con = _Counting(self.con, counts)  # type: ignore[assignment]

    monkeypatch.setattr(session.Session, "__init__", counting)
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(process_raw_object(lake.store, key, EtlSettings())))
    worker.start()
    worker.join()
    return results[0].manifest, counts


def test_figures_and_reset_cost_one_statement_each(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each DuckDB statement costs a small object about 1 ms: the manifest's figures (and the quarantine count)
    come from one, and the connection's reset finds what to drop with one and drops it with one more."""
    write_messages(lake.store, "/svc/x", ['{"a": 1}', "plain text", '{"a": "b"}', '{"a": 1', '{"cut'])
    manifest, counts = _counted_etl(lake, monkeypatch)
    assert (manifest.events, manifest.clean_rows, manifest.quarantined_rows) == (5, 3, 2)
    assert manifest.quarantine_reasons == {"invalid_json": 2}
    assert manifest.newest_event_ms == T0 + 4 and manifest.table_newest_ms == {"logs": T0 + 2}
    assert (counts["_figures"], counts["reset"]) == (1, 2)


def test_an_object_of_several_tables_builds_every_index_in_one_pass(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each table's clean file gets its own index, exactly of its own messages, from one build per object: a build
    per table cost an object of 20 lines in 11 tables a third of its CPU (benchmarks/README.md)."""
    from loglake.transform.parsers import access_log, syslog_rfc3164

    lines = [
        access_log.EXAMPLES[0].message,
        "plain Zebrafish-Timeout text",
        syslog_rfc3164.EXAMPLES[0].message,
        "another plain line",
    ]
    write_messages(lake.store, "/svc/mixed", lines)
    manifest, counts = _counted_etl(lake, monkeypatch)
    assert manifest.tables == {"apache_logs": 1, "logs": 2, "syslog": 1}
    # The items, their counts, one filter size (every file is small) and the drop: once for the three files.
    assert counts["build_many"] == 4
    clean = sorted(k for k in manifest.outputs if k.startswith("clean/"))
    assert [k.split("/")[1] for k in clean] == ["apache_logs", "logs", "syslog"]
    expected = {"apache_logs": [lines[0]], "logs": [lines[1], lines[3]], "syslog": [lines[2]]}
    check = skip_index.hash_check()
    for clean_key in clean:
        index, _ = skip_index.read_for(lake.store, clean_key, lake.store.version(clean_key), check)
        assert index is not None
        assert index.items == len(_items(expected[clean_key.split("/")[1]]))
    result = search(lake.store, Pattern.parse("zebrafish", ignore_case=True))
    assert [row["message"] for row in result.rows] == ["plain Zebrafish-Timeout text"]
    assert (result.plan.files_read, result.plan.skipped_by_index) == (1, 2)
