"""The Iceberg commit path without pyarrow (the Lambda zip has none): ETL, commit, re-run, compaction and a
re-drive into a compacted file run in a subprocess where `import pyarrow` fails; the counts read back are
exact, and every manifest entry equals what pyiceberg+pyarrow's parquet_file_to_data_file makes of the
same file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loglake.lake import iceberg
from loglake.lake.open import open_lake

SRC = Path(__file__).resolve().parents[2] / "src"

SCRIPT = r"""
import sys

class _NoPyarrow:
    def find_spec(self, name, path=None, target=None):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError(f"No module named {name!r} (blocked by the test)", name=name)
        return None

sys.meta_path.insert(0, _NoPyarrow())

import gzip, json
import duckdb, orjson
from loglake.lake import iceberg
from loglake.lake.compaction import compact
from loglake.lake.keys import RawKey
from loglake.lake.open import open_lake
from loglake.pipeline import run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings

T0, HOUR_MS = 1_764_288_000_000, 3_600_000
settings = EtlSettings(table_format="iceberg")
lake = open_lake(sys.argv[1])


def raw(stream, n, hour, extra):
    key = RawKey("cloudwatch", "/app", stream, f"{T0}-{T0 + 2 * HOUR_MS}-0").key
    lines = [
        orjson.dumps({"log_group": "/app", "log_stream": stream, "event_id": f"{stream}-{i}",
                      "timestamp": T0 + hour * HOUR_MS + i * 1000, "ingestion_time": T0,
                      "message": orjson.dumps({"n": i, "user": f"u{i}" * (i + 1), **extra}).decode(),
                      "source": "cloudwatch"})
        for i in range(n)
    ]
    lake.store.put(key, gzip.compress(b"\n".join(lines) + b"\n"))
    return key


def counts():
    files = [sys.argv[1] + "/" + k for k in iceberg.live_files(lake.store, "logs")]
    con = duckdb.connect()
    listed = ", ".join("'" + f + "'" for f in files)
    row = con.execute(
        f"SELECT count(*), count(DISTINCT event_id) FROM read_parquet([{listed}], union_by_name = true, "
        "hive_partitioning = false)"
    ).fetchall()[0]
    con.close()
    return [len(files), *row]


keys = [raw("s0", 4, 0, {}), raw("s1", 5, 0, {"ratio": 0.5}), raw("s2", 6, 1, {})]
out = {}
run_etl(lake, keys, settings, workers=1)
out["first"] = counts()
run_etl(lake, [keys[0]], settings, workers=1, force=True)
out["rerun"] = counts()
report = compact(lake.store, ["logs"], older_than_s=0, grace_s=3600)
out["compacted"] = [[p.partition, p.inputs, p.outputs, p.rows] for p in report.partitions]
out["after_compaction"] = counts()
raw("s1", 3, 0, {"ratio": 0.25})
run_etl(lake, [keys[1]], settings, workers=1)
out["redrive"] = counts()
with DuckDBEngine(lake.store) as engine:
    out["verify"] = check_conservation(engine, lake.store).ok
out["operations"] = [s["operation"] for s in iceberg.snapshot_summaries(lake.store, "logs")]
out["pyarrow_imported"] = any(m == "pyarrow" or m.startswith("pyarrow.") for m in sys.modules)
print(json.dumps(out))
"""


def _entry(data_file: Any) -> dict[str, Any]:
    return {
        "record_count": data_file.record_count,
        "file_size_in_bytes": data_file.file_size_in_bytes,
        "column_sizes": dict(data_file.column_sizes),
        "value_counts": dict(data_file.value_counts),
        "null_value_counts": dict(data_file.null_value_counts),
        "lower_bounds": dict(data_file.lower_bounds),
        "upper_bounds": dict(data_file.upper_bounds),
        "partition": list(data_file.partition),
        "split_offsets": list(data_file.split_offsets),
    }


def test_etl_commit_rerun_compaction_and_redrive_without_pyarrow(tmp_path: Path) -> None:
    path = tmp_path / "lake"
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TZ": "UTC"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)], capture_output=True, text=True, env=env, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    # [files, rows, distinct event ids]: 4 + 5 + 6 events; s0 and s1 in hour 00, s2 in hour 01.
    assert out["first"] == [3, 15, 15]
    assert out["rerun"] == [3, 15, 15]  # s0's file replaced whole
    assert out["compacted"] == [
        ["dt=2025-11-28/hour=00", 2, 1, 9],
        ["dt=2025-11-28/hour=01", 0, 0, 0],
    ]  # one file: nothing to do
    assert out["after_compaction"] == [2, 15, 15]
    # s1 rewritten with 3 events: its 5 rows leave the compacted file (rewritten by DuckDB with s0's 4).
    assert out["redrive"] == [3, 13, 13]
    assert out["verify"] is True
    assert out["operations"] == ["append", "append", "append", "overwrite", "overwrite", "overwrite"]
    assert out["pyarrow_imported"] is False

    # The entries committed without pyarrow equal pyiceberg+pyarrow's for the same files.
    pytest.importorskip("pyarrow")
    from pyiceberg.io.pyarrow import parquet_file_to_data_file

    tbl = iceberg.catalog(open_lake(str(path)).store).load_table(("loglake", "logs"))
    schema = tbl.schema()
    timestamp = schema.find_field("timestamp").field_id
    # Readers of files without field ids (Athena) map columns by name: every column, `ratio` too (s1's).
    assert sorted(f.names[0] for f in tbl.metadata.name_mapping()) == sorted(f.name for f in schema.fields)
    assert "ratio" in {f.name for f in schema.fields}
    entries = [task.file for task in tbl.scan().plan_files()]
    assert sorted(e.record_count for e in entries) == [3, 4, 6]
    for entry in entries:
        expected = parquet_file_to_data_file(tbl.io, tbl.metadata, entry.file_path)
        assert _entry(entry) == _entry(expected), entry.file_path
        assert entry.file_size_in_bytes == Path(entry.file_path.removeprefix("file://")).stat().st_size
        assert entry.lower_bounds[timestamp] == expected.lower_bounds[timestamp]
        assert entry.upper_bounds[timestamp] == expected.upper_bounds[timestamp]
    # The compacted file rewritten without s1 holds s0's 4 rows; its timestamp bounds are s0's first and last.
    (rewritten,) = [e for e in entries if "/c-" in e.file_path]
    assert rewritten.record_count == 4
    t0_us = 1_764_288_000_000 * 1000
    assert int.from_bytes(rewritten.lower_bounds[timestamp], "little") == t0_us
    assert int.from_bytes(rewritten.upper_bounds[timestamp], "little") == t0_us + 3_000_000
