"""The clean write of an object whose rows lie within one hour: one plain COPY placed at its partition,
the same files as DuckDB's partitioned write, and the partitioned write whenever the rows span hours."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import Deliver, RecordingConnection
from loglake.lake.formats.jsonl import JSONL
from loglake.lake.formats.parquet import PARQUET
from loglake.lake.open import Lake, open_lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.transform import hour_write
from loglake.transform.settings import EtlSettings


@pytest.fixture(autouse=True)
def fresh_streams() -> Iterator[None]:
    hour_write.forget()
    yield
    hour_write.forget()


def _recording() -> RecordingConnection:
    """A connection in the ETL's time zone that keeps the text of every statement it runs."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return RecordingConnection(con)


def _copies(con: RecordingConnection) -> list[str]:
    return [s for s in con.statements if s.lstrip().startswith("COPY")]


def _query(*times: str) -> str:
    """Rows as the clean query gives them: `timestamp`, a payload column, and dt and hour of the timestamp."""
    rows = ", ".join(f"(TIMESTAMP '{t}', {i})" for i, t in enumerate(times))
    return (
        "SELECT ts AS timestamp, n, strftime(ts, '%Y-%m-%d') AS dt, strftime(ts, '%H') AS hour "
        f"FROM (VALUES {rows}) v(ts, n)"
    )


def _files(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect()
    return {
        f.relative_to(folder).as_posix(): con.execute(
            f"SELECT * FROM read_parquet('{f}', hive_partitioning = false) ORDER BY n"
        ).fetchall()
        for f in sorted(folder.rglob("*.parquet"))
    }


def test_rows_within_one_hour_take_one_plain_copy_at_their_partition(tmp_path: Path) -> None:
    con = _recording()
    query = _query("2026-11-26 10:00:00", "2026-11-26 10:59:59.999999", "2026-11-26 10:30:00")
    hour_write.write(con, query, tmp_path / "t", PARQUET, "logs", "stream-a")
    copies = _copies(con)
    assert len(copies) == 1 and "PARTITION_BY" not in copies[0]
    assert _files(tmp_path / "t") == {
        "dt=2026-11-26/hour=10/data_0.parquet": [
            (datetime(2026, 11, 26, 10, 0), 0),
            (datetime(2026, 11, 26, 10, 59, 59, 999999), 1),
            (datetime(2026, 11, 26, 10, 30), 2),
        ]
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t"]  # the one-file COPY's name is gone


def test_the_same_files_and_rows_as_the_partitioned_write(tmp_path: Path) -> None:
    query = _query("2026-11-26 23:00:00", "2026-11-26 23:59:59", "2026-11-26 23:12:00")
    hour_write.write(_recording(), query, tmp_path / "one", PARQUET, "logs", "stream-a")
    duckdb.execute(
        f"COPY ({query}) TO '{tmp_path / 'part'}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt, hour))"
    )
    assert _files(tmp_path / "one") == _files(tmp_path / "part")
    assert list(_files(tmp_path / "one")) == ["dt=2026-11-26/hour=23/data_0.parquet"]


def test_rows_spanning_hours_fall_back_to_the_partitioned_write_and_the_stream_keeps_it(tmp_path: Path) -> None:
    con = _recording()
    query = _query("2026-11-26 10:59:59.999999", "2026-11-26 11:00:00")
    hour_write.write(con, query, tmp_path / "a", PARQUET, "logs", "stream-a")
    assert ["PARTITION_BY" in c for c in _copies(con)] == [False, True]
    assert sorted(_files(tmp_path / "a")) == [
        "dt=2026-11-26/hour=10/data_0.parquet",
        "dt=2026-11-26/hour=11/data_0.parquet",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
    con.statements.clear()  # the stream's next object goes straight to the partitioned write
    hour_write.write(con, _query("2026-11-26 12:00:00"), tmp_path / "b", PARQUET, "logs", "stream-a")
    assert ["PARTITION_BY" in c for c in _copies(con)] == [True]
    con.statements.clear()  # which wrote one partition: the one after tries the plain COPY again
    hour_write.write(con, _query("2026-11-26 13:00:00"), tmp_path / "c", PARQUET, "logs", "stream-a")
    assert ["PARTITION_BY" in c for c in _copies(con)] == [False]
    con.statements.clear()  # another stream starts on the plain COPY
    hour_write.write(con, _query("2026-11-26 13:00:00"), tmp_path / "d", PARQUET, "logs", "stream-b")
    assert ["PARTITION_BY" in c for c in _copies(con)] == [False]


def test_the_streams_remembered_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hour_write, "_REMEMBERED", 2)
    for n, stream in enumerate(("a", "b", "a", "c")):
        hour_write.write(_recording(), _query("2026-11-26 10:00:00"), tmp_path / str(n), PARQUET, "logs", stream)
    assert hour_write._spans == {("c", "logs"): 1}  # "a" again kept two; "c" started over


def test_json_lines_keep_the_partitioned_write(tmp_path: Path) -> None:
    con = _recording()
    hour_write.write(con, _query("2026-11-26 10:00:00"), tmp_path / "t", JSONL, "logs", "stream-a")
    assert ["PARTITION_BY" in c for c in _copies(con)] == [True]


def _one_file(con: duckdb.DuckDBPyConnection, path: Path, select: str) -> Path:
    con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
    return path


@pytest.mark.parametrize(
    ("select", "table", "expected"),
    [
        ("SELECT TIMESTAMP '2026-11-26 10:00:00' AS timestamp", "logs", ("2026-11-26", "10")),
        # the same hour of two days is two partitions
        ("SELECT TIMESTAMP '2026-11-26 10:00:00' + INTERVAL (i) DAY AS timestamp FROM range(2) t(i)", "logs", None),
        (
            "SELECT TIMESTAMP '2026-11-26 10:59:59.999999' + INTERVAL (i) MICROSECOND AS timestamp FROM range(2) t(i)",
            "logs",
            None,
        ),
        # a row without a time would be a dt=NULL partition
        (
            "SELECT CASE WHEN i = 0 THEN TIMESTAMP '2026-11-26 10:00:00' END AS timestamp FROM range(2) t(i)",
            "logs",
            None,
        ),
        ("SELECT TIMESTAMP '2026-11-26 10:00:00' AS timestamp WHERE false", "logs", None),  # no rows
        # waf_logs stores epoch milliseconds
        ("SELECT 1764151200000 + i * 3599999 AS timestamp FROM range(2) t(i)", "waf_logs", ("2025-11-26", "10")),
        ("SELECT 1764151200000 + i * 3600000 AS timestamp FROM range(2) t(i)", "waf_logs", None),
        # a nested field called timestamp is not the column
        ("SELECT {'timestamp': TIMESTAMP '2026-11-26 10:00:00'} AS s", "logs", None),
        # dates DuckDB would name with other characters are left to the partitioned write
        ("SELECT TIMESTAMP '10000-01-01 10:00:00' AS timestamp", "logs", None),
    ],
)
def test_one_hour_from_the_timestamp_statistics(
    tmp_path: Path, select: str, table: str, expected: tuple[str, str] | None
) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    assert hour_write.one_hour(con, _one_file(con, tmp_path / "f.parquet", select), table) == expected


def _clean(lake: Lake, tmp_path: Path) -> dict[str, tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Each clean key: its rows (by event_id) and its schema."""
    con = duckdb.connect()
    out = {}
    for key in sorted(lake.store.list("clean/")):
        path = tmp_path / "read.parquet"
        path.write_bytes(lake.store.get(key))
        rows = con.execute(f"SELECT * FROM read_parquet('{path}') ORDER BY event_id").fetchall()
        out[key] = (rows, con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall())
    return out


@pytest.mark.parametrize("hours", [1, 2])
def test_the_etl_writes_what_the_partitioned_write_wrote(
    deliver: Deliver, lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hours: int
) -> None:
    messages = [
        json.dumps({"timestamp": f"2026-11-26T{10 + i * hours // 40:02d}:{i:02d}:00Z", "level": "info", "n": i})
        for i in range(40)
    ]
    deliver(messages)
    plain = _clean(lake, tmp_path)
    assert sorted({k.rsplit("/", 1)[0] for k in plain}) == [
        f"clean/logs/dt=2026-11-26/hour={10 + h}" for h in range(hours)
    ]
    assert [len(rows) for rows, _schema in plain.values()] == [40 // hours] * hours
    assert not any(name in ("dt", "hour") for _rows, schema in plain.values() for name, *_ in schema)
    other = open_lake(str(tmp_path / "other"))

    class Spans(dict[tuple[str, str], int]):
        def get(self, key: Any, default: Any = None) -> int:
            return 2  # every stream spanned hours last time: the partitioned write, as before this module

    monkeypatch.setattr(hour_write, "_spans", Spans())
    for key in lake.store.list("raw/"):  # the same raw object (its ingestion times are the clock's)
        other.store.put(key, lake.store.get(key))
    run_etl(other, pending_raw_objects(other), EtlSettings(), workers=1)
    assert _clean(other, tmp_path) == plain
