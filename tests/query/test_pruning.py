"""Partition pruning before files are opened (query/pruning.py): which queries qualify, what they keep, and
that the answer never changes (the same queries with and without pruning)."""

from __future__ import annotations

import duckdb
import pytest

from conftest import Ingest
from loglake.lake.open import Lake
from loglake.query.engine import DuckDBEngine
from loglake.query.pruning import kept_partitions, partition_condition

TABLES = {"logs", "alb_logs"}
DAY = "dt = CAST('2026-11-29' AS DATE)"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM logs WHERE dt = DATE '2026-11-29' AND hour = 7", ("logs", [DAY, "hour = 7"])),
        ("SELECT n FROM logs l WHERE l.hour BETWEEN 5 AND 6 AND level = 'E'", ("logs", ["hour BETWEEN 5 AND 6"])),
        ("SELECT * FROM logs WHERE (dt = DATE '2026-11-29' OR hour = 3)", ("logs", [f"({DAY} OR hour = 3)"])),
        ("SELECT * FROM logs WHERE dt = DATE '2026-11-29' OR level = 'ERROR'", None),
        ("SELECT * FROM logs", None),
        ("SELECT * FROM logs WHERE level = 'ERROR'", None),
        ("SELECT * FROM logs a JOIN alb_logs b ON a.event_id = b.event_id WHERE a.hour = 7", None),
        ("SELECT * FROM logs WHERE hour = 7 AND event_id IN (SELECT event_id FROM logs WHERE hour = 8)", None),
        ("WITH x AS (SELECT * FROM logs) SELECT * FROM x WHERE hour = 7", None),
        ("SELECT * FROM logs WHERE hour = 7 UNION ALL SELECT * FROM logs WHERE hour = 8", None),
        ("SELECT * FROM quarantine WHERE dt = DATE '2026-11-29'", None),
    ],
)  # fmt: skip
def test_which_queries_are_pruned(sql: str, expected: tuple[str, list[str]] | None) -> None:
    assert partition_condition(sql, TABLES) == expected


def test_kept_partitions_evaluate_athena_sql() -> None:
    con = duckdb.connect()
    parts = [("2026-11-28", 23), ("2026-11-29", 0), ("2026-11-29", 7), ("2026-11-30", 1)]
    assert kept_partitions(con, parts, ["dt = DATE '2026-11-29'"]) == {("2026-11-29", 0), ("2026-11-29", 7)}
    assert kept_partitions(con, parts, ["dt >= date_add('day', 1, DATE '2026-11-28')", "hour < 5"]) == {
        ("2026-11-29", 0),
        ("2026-11-30", 1),
    }
    assert kept_partitions(con, parts, ["hour / 2 = 3"]) == {("2026-11-29", 7)}  # Athena's integer division
    assert kept_partitions(con, parts, ["no_such_function(hour) = 1"]) is None  # the view keeps every file
    assert kept_partitions(con, [], ["hour = 1"]) is None


def test_answers_are_the_same_pruned_or_not_and_views_are_remade(lake: Lake, ingest_lines: Ingest) -> None:
    lines = [f'{{"timestamp":"2026-11-29T{h:02d}:{m:02d}:00Z","n":{h * 100 + m}}}' for h in (5, 6, 7) for m in (1, 2)]
    ingest_lines(("\n".join(lines) + "\n").encode())
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT sum(n) FROM logs WHERE hour = 6").rows == [(1203,)]
        assert engine._pruned == {"logs"}
        assert engine.query("SELECT count(*) FROM logs").rows == [(6,)]  # the next query sees every partition
        assert engine._pruned == set()
        assert engine.query("SELECT count(*) FROM logs WHERE hour >= 6 AND n > 0").rows == [(4,)]
        assert engine.query("SELECT count(*) FROM logs WHERE hour = 9").rows == [(0,)]
        assert engine.query("SELECT count(*), min(n) FROM logs WHERE dt = DATE '2026-11-29'").rows == [(6, 501)]
        assert engine._pruned == set()  # every partition kept: the full view serves
        assert engine.query("SELECT count(*) FROM logs", dialect="duckdb").rows == [(6,)]
