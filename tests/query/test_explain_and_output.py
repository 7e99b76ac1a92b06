from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from conftest import Ingest
from loglake.lake.open import Lake
from loglake.query.engine import DuckDBEngine, QueryResult
from loglake.query.explain import explain, render_plan
from loglake.query.output import histogram, write_result

LINES = b"".join(
    b'{"timestamp":"2026-11-%02dT%02d:00:00Z","route":"/r%d","ms":%d,"blob":"%s"}\n'
    % (day, hour, hour % 3, hour, b"x" * 200)
    for day in (26, 27)
    for hour in range(0, 24, 6)
)


def test_explain_prunes_partitions_and_counts_only_named_columns(lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(LINES)
    with DuckDBEngine(lake.store) as engine:
        (everything,) = explain(engine, "SELECT * FROM logs")
        (pruned,) = explain(
            engine, "SELECT route, count(*) FROM logs WHERE dt = DATE '2026-11-27' AND hour >= 12 GROUP BY 1"
        )
        (unpruned,) = explain(engine, "SELECT route FROM logs WHERE route = '/r1'")
    assert len(everything.partitions) == len(everything.files) == everything.table_files == 8
    assert everything.bytes == everything.table_bytes > 0
    assert pruned.partitions == [("2026-11-27", 12), ("2026-11-27", 18)]
    assert len(pruned.files) == 2 and pruned.columns == ["route"]
    assert 0 < pruned.bytes < unpruned.bytes < everything.bytes / 10  # the blob and message columns are never read
    assert "logs: 2 partitions, 2 of 8 files" in render_plan([pruned])


def test_histogram_only_for_time_and_count() -> None:
    result = QueryResult(
        ["hour", "n"], ["TIMESTAMP", "BIGINT"], [(datetime(2026, 11, 26, 11), 5), (datetime(2026, 11, 26, 10), 10)]
    )
    assert histogram(result, width=10) == ("2026-11-26 10:00:00 │██████████ 10\n2026-11-26 11:00:00 │█████      5\n")
    assert histogram(QueryResult(["a", "b"], ["VARCHAR", "BIGINT"], [("x", 1)])) is None


def test_results_save_as_parquet_with_their_types(tmp_path: Path) -> None:
    result = QueryResult(
        ["service", "n", "at"], ["varchar", "bigint", "timestamp"], [("api", 3, datetime(2026, 11, 26, 10))]
    )
    write_result(result, tmp_path / "out.parquet")
    rows = duckdb.sql(f"SELECT service, n, \"at\", typeof(n) FROM '{tmp_path / 'out.parquet'}'").fetchall()
    assert rows == [("api", 3, datetime(2026, 11, 26, 10), "BIGINT")]
