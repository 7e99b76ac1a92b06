from __future__ import annotations

import pytest

from conftest import Ingest
from loglake.errors import QueryError
from loglake.lake.open import Lake
from loglake.query.dialect import athena_to_duckdb
from loglake.query.engine import DuckDBEngine


def test_a_new_lake_has_an_empty_logs_table(lake: Lake) -> None:
    with DuckDBEngine(lake.store) as engine:
        result = engine.query("SELECT * FROM logs")
        assert result.rows == []
        assert result.columns[:4] == ["timestamp", "time_source", "level", "message"]
        assert result.columns[-2:] == ["dt", "hour"]
        assert engine.query("SELECT count(*) FROM quarantine").rows == [(0,)]
        assert engine.query("SELECT count(*) FROM raw_events").rows == [(0,)]


def test_athena_sql_runs_locally(lake: Lake, ingest_lines: Ingest) -> None:
    lines = b"".join(b'{"timestamp":"2026-11-26T10:00:00Z","route":"/a","ms":%d}\n' % ms for ms in range(1, 101))
    ingest_lines(lines)
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query(
            "SELECT route, count(*) AS n, approx_percentile(ms, 0.5) AS p50, count_if(ms > 90) AS slow, "
            "date_format(min(timestamp), '%Y') AS y FROM logs GROUP BY route"
        ).rows
    assert len(rows) == 1
    route, n, p50, slow, year = rows[0]
    assert (route, n, slow, year) == ("/a", 100, 10, "2026")
    assert 45 <= p50 <= 55  # approx_percentile is approximate in both engines


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELEC 1", "syntax error"),
        ("SELECT * FROM logs WHERE (", "syntax error at line 1"),
        ("DROP TABLE logs", "only read-only queries"),
        ("INSERT INTO logs VALUES (1)", "only read-only queries"),
        ("SELECT 1; SELECT 2", "one SQL statement"),
    ],
)
def test_bad_sql_gets_one_clear_line(sql: str, message: str) -> None:
    with pytest.raises(QueryError, match=message) as info:
        athena_to_duckdb(sql)
    assert "\n" not in str(info.value)


def test_unknown_columns_are_named(lake: Lake) -> None:
    with DuckDBEngine(lake.store) as engine, pytest.raises(QueryError, match="no_such_column") as info:
        engine.query("SELECT no_such_column FROM logs")
    assert "\n" not in str(info.value)
