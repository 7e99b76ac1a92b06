"""The raw_events view under a small memory limit, and a raw line longer than its first read size.

The view read with maximum_object_size 512 MiB, for which DuckDB reserves a 1 GiB buffer per reading thread
(2.1 GB on two threads, 4.3 GB over several objects): under a 400 MB limit every query of raw_events, and so
`loglake verify`, failed with Out of Memory. It now reads with 16 MiB, and a query DuckDB refuses for a longer
line runs again over a view of 512 MiB (raw_zone.read_raw), for that query only."""

from __future__ import annotations

import hashlib
import re

import pytest

from conftest import write_messages
from loglake.errors import QueryError
from loglake.lake.open import Lake
from loglake.lake.raw_zone import FIRST_READ_LINE_BYTES, MAX_RAW_LINE_BYTES, list_raw_objects
from loglake.query.engine import DuckDBEngine

LONG = "y" * (40 << 20)
"""Past the first read's buffer (twice FIRST_READ_LINE_BYTES)."""


def _view_size(engine: DuckDBEngine) -> int:
    """The maximum_object_size the raw_events view reads with now."""
    (sql,) = engine.con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'raw_events'").fetchall()[0]
    found = re.search(r"maximum_object_size\s*=\s*(\d+)", str(sql))
    assert found is not None
    return int(found.group(1))


def test_raw_events_is_read_under_a_small_memory_limit(lake: Lake, small_memory_engines: None) -> None:
    write_messages(lake.store, "/a", ["one", "two", "three"])
    write_messages(lake.store, "/b", ["four"])
    with DuckDBEngine(lake.store) as engine:
        # Before: "Out of Memory Error: failed to allocate data of size 1.0 GiB" on every query of raw_events.
        rows = engine.query("SELECT log_group, count(*) FROM raw_events GROUP BY log_group ORDER BY 1").rows
        assert rows == [("/a", 3), ("/b", 1)]
        assert _view_size(engine) == FIRST_READ_LINE_BYTES


def test_a_line_longer_than_the_first_read_is_read_whole_by_that_query_only(lake: Lake) -> None:
    write_messages(lake.store, "/long", ["before", LONG, "after"])
    write_messages(lake.store, "/short", ["x"])
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query(
            "SELECT log_group, event_id, length(message), md5(to_utf8(message)) FROM raw_events ORDER BY 1, 2"
        ).rows
        assert [row[:3] for row in rows] == [
            ("/long", "e0", 6), ("/long", "e1", 40 << 20), ("/long", "e2", 5), ("/short", "e0", 1),
        ]  # fmt: skip
        assert rows[1][3] == hashlib.md5(LONG.encode()).digest()
        assert _view_size(engine) == MAX_RAW_LINE_BYTES
        (long_key,) = [key for key in list_raw_objects(lake.store) if "long" in key]
        lake.store.delete(long_key)
        assert engine.query("SELECT log_group, count(*) FROM raw_events GROUP BY 1").rows == [("/short", 1)]
        assert _view_size(engine) == FIRST_READ_LINE_BYTES  # the next query has the small view again


def test_a_long_line_over_the_memory_limit_is_refused_naming_the_fix(lake: Lake, small_memory_engines: None) -> None:
    write_messages(lake.store, "/long", ["before", LONG])
    with DuckDBEngine(lake.store) as engine, pytest.raises(QueryError) as caught:
        engine.query("SELECT count(*) FROM raw_events")
    assert str(caught.value) == (
        "raw_events holds a record line longer than 32 MiB, which DuckDB reads whole only with a 1 GiB buffer per "
        "thread (2 threads), over its memory limit of 381.4 MiB: run the query where DuckDB's limit (80% of the "
        "machine's memory) is 5 GiB or more, or read that event in the clean tables"
    )
