"""The Python API (loglake.connect): lake resolution as the CLI, query with a time range and its Arrow, pandas
and polars forms, search, ingest + ETL, verify; errors are LoglakeError subclasses. Runs examples/notebook.py."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import loglake
from conftest import write_messages
from loglake.errors import ConfigError, LoglakeError, QueryError

ROOT = Path(__file__).resolve().parent.parent


def _write_log(path: Path) -> Path:
    """40 JSON lines on 2026-01-01: 10:00-10:19 (hour 10) and 11:00-11:19 (hour 11); every 5th is an error."""
    lines = []
    for hour in (10, 11):
        for minute in range(20):
            level = "ERROR" if minute % 5 == 0 else "INFO"
            msg = f"disk full on node{minute}" if level == "ERROR" else f"ok {hour}:{minute}"
            lines.append(f'{{"time": "2026-01-01T{hour}:{minute:02d}:00Z", "level": "{level}", "msg": "{msg}"}}\n')
    path.write_text("".join(lines))
    return path


@pytest.fixture
def ingested(tmp_path: Path) -> loglake.Loglake:
    lake = loglake.connect(str(tmp_path / "lake"))
    report = lake.ingest(str(_write_log(tmp_path / "app.log")), log_group="app")
    assert (report.events, report.clean_rows, report.quarantined_rows) == (40, 40, 0)
    return lake


def test_query_with_a_time_range_and_its_rows(ingested: loglake.Loglake) -> None:
    sql = "SELECT level, count(*) AS n FROM logs GROUP BY level ORDER BY level"
    assert ingested.query(sql).rows == [("ERROR", 8), ("INFO", 32)]
    hour_11 = ingested.query(sql, since="2026-01-01T11:00:00Z", until=datetime(2026, 1, 1, 11, 10, tzinfo=UTC))
    assert hour_11.rows == [("ERROR", 2), ("INFO", 8)]
    assert hour_11.columns == ["level", "n"]
    assert len(hour_11) == 2


def test_result_as_arrow_pandas_and_polars_holds_the_same_rows(ingested: loglake.Loglake) -> None:
    result = ingested.query("SELECT level, count(*) AS n FROM logs GROUP BY level ORDER BY level")
    table = result.to_arrow()
    assert table.column_names == ["level", "n"]
    assert table.to_pydict() == {"level": ["ERROR", "INFO"], "n": [8, 32]}
    frame = result.to_pandas()
    assert frame.to_dict("list") == {"level": ["ERROR", "INFO"], "n": [8, 32]}
    assert result.to_polars().to_dict(as_series=False) == {"level": ["ERROR", "INFO"], "n": [8, 32]}
    assert result.dicts() == [{"level": "ERROR", "n": 8}, {"level": "INFO", "n": 32}]
    result.close()
    with pytest.raises(ConfigError, match="closed"):
        result.to_arrow()


@pytest.mark.parametrize(("module", "extra"), [("pyarrow", "arrow"), ("pandas", "pandas"), ("polars", "polars")])
def test_a_missing_extra_is_named(
    ingested: loglake.Loglake, monkeypatch: pytest.MonkeyPatch, module: str, extra: str
) -> None:
    result = ingested.query("SELECT 1 AS one FROM logs LIMIT 1")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a))
    convert = {"pyarrow": result.to_arrow, "pandas": result.to_pandas, "polars": result.to_polars}[module]
    with pytest.raises(ConfigError, match=re.escape(f"pip install 'loglake[{extra}]'")):
        convert()


def test_search_saved_and_verify(ingested: loglake.Loglake) -> None:
    found = ingested.search("disk full", since="2026-01-01T11:00:00Z", limit=2)
    assert found.matches == 4
    assert [row["message"] for row in found.rows] == [
        '{"time": "2026-01-01T11:15:00Z", "level": "ERROR", "msg": "disk full on node15"}',
        '{"time": "2026-01-01T11:10:00Z", "level": "ERROR", "msg": "disk full on node10"}',
    ]
    assert ingested.search("/node1[05]/").matches == 4
    saved = ingested.saved("errors_per_service_per_hour", since="2026-01-01T10:00:00Z")
    assert sum(row[saved.columns.index("errors")] for row in saved.rows) == 8
    report = ingested.verify()
    assert report.ok
    assert report.totals() == {"raw_events": 40, "clean_events": 40, "quarantined_events": 0}
    assert ingested.tables() == ["logs"]


def test_ingest_resumes_and_the_etl_keeps_verify_true(ingested: loglake.Loglake, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    assert ingested.ingest(str(log), log_group="app").events == 0
    with log.open("a") as handle:
        handle.write('{"time": "2026-01-01T12:00:00Z", "level": "ERROR", "msg": "disk full on node99"}\n')
    again = ingested.ingest([str(log)], log_group="app")
    assert (again.events, again.clean_rows) == (1, 1)
    assert ingested.query("SELECT count(*) FROM logs").rows == [(41,)]
    assert ingested.verify().totals()["raw_events"] == 41


def test_errors_are_loglake_errors(ingested: loglake.Loglake, tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="no_such_column"):
        ingested.query("SELECT no_such_column FROM logs")
    with pytest.raises(QueryError, match="read-only"):
        ingested.query("DROP TABLE logs")
    with pytest.raises(ConfigError, match="no lake at"):
        loglake.connect(str(tmp_path / "nowhere")).query("SELECT 1")
    with pytest.raises(LoglakeError, match="is not before"):
        ingested.query("SELECT count(*) FROM logs", since="1h", until="2h")


def test_connect_finds_the_lake_as_the_cli_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOGLAKE_LAKE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert loglake.connect().config.lake_origin == "default"
    (tmp_path / "loglake.toml").write_text('lake = "from-toml"\n')
    assert loglake.connect().uri == loglake.connect(str(tmp_path / "from-toml")).uri
    monkeypatch.setenv("LOGLAKE_LAKE", str(tmp_path / "from-env"))
    assert loglake.connect().config.lake_origin == "LOGLAKE_LAKE"
    assert loglake.connect(str(tmp_path / "flag")).config.lake_origin == "--lake"


def test_the_notebook_example_runs(tmp_path: Path) -> None:
    """examples/notebook.py, run as a user would, prints what docs/python.md says it prints."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "notebook.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[:5] == [
        "ingested 60 events: 60 clean, 0 quarantined",
        "['level', 'n'] [('ERROR', 3), ('INFO', 28)]",
        "pyarrow 2 rows",
        "pandas 2 rows",
        "polars 2 rows",
    ]
    assert re.fullmatch(
        r'search: 6 matches, newest: \{"time": "[^"]+", "level": "ERROR", "msg": "payment 50 failed: card declined"\}',
        lines[5],
    )
    assert lines[6:] == ["verify: OK {'raw_events': 60, 'clean_events': 60, 'quarantined_events': 0}"]


def test_query_reads_raw_events_under_a_small_memory_limit(
    ingested: loglake.Loglake, small_memory_engines: None
) -> None:
    """raw_events read with 512 MiB (a 1 GiB buffer per thread): under 400 MB on two threads, Out of Memory."""
    assert ingested.query("SELECT log_group, count(*) FROM raw_events GROUP BY 1").rows == [("app", 40)]


def test_query_reads_a_raw_line_longer_than_the_first_read_whole(tmp_path: Path) -> None:
    """The query runs again over a raw_events of 512 MiB when DuckDB refuses the 16 MiB view's read."""
    lake = loglake.connect(str(tmp_path / "lake"))
    write_messages(lake.lake.store, "/long", ["before", "y" * (40 << 20), "after"])
    result = lake.query("SELECT event_id, length(message) FROM raw_events ORDER BY event_id")
    assert result.rows == [("e0", 6), ("e1", 40 << 20), ("e2", 5)]
