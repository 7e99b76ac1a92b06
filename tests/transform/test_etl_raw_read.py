"""Reading a raw object: a small `maximum_object_size` first, the largest line size only for an object that needs
it. DuckDB reserves a buffer of twice that size per reading thread against its memory limit, so with 512 MiB an
ETL connection under a small Lambda's limit could read no object at all."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import write_messages
from loglake.lake import raw_zone
from loglake.lake.open import Lake
from loglake.lake.raw_zone import FIRST_READ_LINE_BYTES, MAX_RAW_LINE_BYTES, RawRecord, encode_batch, list_raw_objects
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings


def raw_object(path: Path, messages: list[str]) -> Path:
    records: list[RawRecord] = [
        {"log_group": "/g", "log_stream": "s", "event_id": f"e{n}", "timestamp": 1_764_460_800_000 + n, "message": m}
        for n, m in enumerate(messages)
    ]
    path.write_bytes(encode_batch(records))
    return path


def read_with_sizes(path: Path) -> tuple[list[int], list[tuple[Any, ...]]]:
    """The maximum_object_size of each read read_raw made, and the rows it left in raw_lines."""
    sizes: list[int] = []

    def statement(size: int) -> str:
        sizes.append(size)
        reader = raw_zone.raw_reader([path], max_line_bytes=size)
        return f"CREATE OR REPLACE TEMP TABLE raw_lines AS SELECT * FROM {reader}"

    con = duckdb.connect()
    try:
        raw_zone.read_raw(con, statement)
        rows = con.execute("SELECT event_id, length(message), md5(message) FROM raw_lines ORDER BY rowid").fetchall()
    finally:
        con.close()
    return sizes, rows


def test_an_ordinary_object_is_read_once_with_the_small_size(tmp_path: Path) -> None:
    path = raw_object(tmp_path / "a.json.gz", ["one", "x" * 20_000, ""])
    sizes, rows = read_with_sizes(path)
    assert sizes == [FIRST_READ_LINE_BYTES]
    assert [(event_id, length) for event_id, length, _md5 in rows] == [("e0", 3), ("e1", 20_000), ("e2", 0)]


def test_a_line_longer_than_the_first_read_allows_is_read_again_whole(tmp_path: Path) -> None:
    long = "y" * (40 << 20)  # past the first read's buffer (twice FIRST_READ_LINE_BYTES)
    path = raw_object(tmp_path / "a.json.gz", ["before", long, "after"])
    sizes, rows = read_with_sizes(path)
    assert sizes == [FIRST_READ_LINE_BYTES, MAX_RAW_LINE_BYTES]
    assert rows == [
        ("e0", 6, hashlib.md5(b"before").hexdigest()),
        ("e1", 40 << 20, hashlib.md5(long.encode()).hexdigest()),
        ("e2", 5, hashlib.md5(b"after").hexdigest()),
    ]


def test_other_reader_errors_are_not_retried(tmp_path: Path) -> None:
    path = tmp_path / "a.json.gz"
    path.write_bytes(b"not gzip at all")
    sizes: list[int] = []

    def statement(size: int) -> str:
        sizes.append(size)
        return f"SELECT * FROM {raw_zone.raw_reader([path], max_line_bytes=size)}"

    with pytest.raises(duckdb.Error):
        raw_zone.read_raw(duckdb.connect(), statement)
    assert sizes == [FIRST_READ_LINE_BYTES]


def test_an_object_is_read_under_a_small_memory_limit(lake: Lake, small_memory_sessions: None) -> None:
    write_messages(lake.store, "/small-memory", ["plain text", '{"a": 1}', "GET / 200"])
    key = next(iter(list_raw_objects(lake.store)))
    # Before: "Out of Memory Error: failed to allocate data of size 1.0 GiB" on every object, retried forever.
    result = process_raw_object(lake.store, key, EtlSettings(skip_index=False), threads=2)
    assert (result.manifest.events, result.manifest.clean_rows, result.manifest.quarantined_rows) == (3, 3, 0)
