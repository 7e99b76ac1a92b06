"""The same raw object gives the same columns, in the same order, however many DuckDB threads run it and
however often: its clean files are rewritten byte for byte on a re-run, and a new table's registry does not
depend on which thread finished first (DESIGN.md: immutable zones, deterministic keys).

DuckDB aggregates each row group (122,880 rows) of a table on a thread of its own; the JSON plan's structure
aggregate (transform/structure.py) joined the threads' results in the order they finished, and the order in
which it meets keys is the order of the columns. An object of up to 122,880 events is one row group, read
by one thread: only larger objects (an export, a pass of many small objects) could see their columns move.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from conftest import write_messages
from loglake.lake.keys import RawKey
from loglake.lake.manifests import read_manifest
from loglake.lake.open import open_lake
from loglake.lake.raw_zone import list_raw_objects
from loglake.lake.schema_registry import SchemaRegistry
from loglake.query.engine import DuckDBEngine
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings

LINES = 130_000
"""Two row groups: the first holds keys k0..k12 (key k<n> from line 10,000 n), the second k12 only, so a
structure that read the second first begins with k12."""
KEYS = [f"k{n}" for n in range(13)]


def _columns(lake_root: Path) -> list[list[str]]:
    """Each clean Parquet file's columns, in their order (not the dt and hour of its path)."""
    con = duckdb.connect()
    describe = "DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false)"
    files = sorted((lake_root / "clean").rglob("*.parquet"))
    return [[str(row[0]) for row in con.execute(describe, [str(f)]).fetchall()] for f in files]


def _without_commit_time(manifest: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(manifest).items() if k != "committed_ms"}


def test_a_json_object_over_two_row_groups_writes_the_same_columns_on_every_run(tmp_path: Path) -> None:
    messages = [f'{{"{KEYS[i // 10_000]}":{i % 7}}}' for i in range(LINES)]
    settings = EtlSettings(skip_index=False)
    for threads in (2, 4):
        root = tmp_path / f"lake-{threads}"
        lake = open_lake(str(root))
        write_messages(lake.store, "/test/app", messages)
        (key,) = list_raw_objects(lake.store)
        first = process_raw_object(lake.store, key, settings, threads=threads)
        registry = SchemaRegistry(lake.store).get("logs")
        assert registry is not None
        document = registry.to_json()
        payload = [c.name for c in registry.columns if c.source.startswith("/")]
        assert payload == KEYS  # a new table's registry: the file's order, whichever thread finished first
        columns = _columns(root)
        assert len(columns) == 1 and columns[0][-len(KEYS) :] == KEYS
        manifest = _without_commit_time(read_manifest(lake.store, RawKey.parse(key).object_id))
        parquet = next((root / "clean").rglob("*.parquet")).read_bytes()
        for _rerun in range(3):
            again = process_raw_object(lake.store, key, settings, force=True, threads=threads)
            assert again.schema_versions == first.schema_versions == {"logs": registry.version}
            after = SchemaRegistry(lake.store).get("logs")
            assert after is not None and after.to_json() == document  # no new version, no column moved
            assert _columns(root) == columns
            assert next((root / "clean").rglob("*.parquet")).read_bytes() == parquet
            assert _without_commit_time(read_manifest(lake.store, RawKey.parse(key).object_id)) == manifest
        with DuckDBEngine(lake.store) as engine:
            rows = engine.query("SELECT count(*), count(k0), count(k12), sum(k5), sum(k12) FROM logs").rows
        # k5: lines 50,000-59,999, i % 7 summed; k12: lines 120,000-129,999
        assert rows == [(LINES, 10_000, 10_000, sum(i % 7 for i in range(50_000, 60_000)),
                         sum(i % 7 for i in range(120_000, 130_000)))]  # fmt: skip
