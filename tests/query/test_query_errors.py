"""Query errors are one line that names what fixes them: no sqlglot class names, no DuckDB caret blocks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CliRun, Ingest, write_messages
from loglake.errors import QueryError
from loglake.lake.open import Lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.query.saved_queries import saved_query
from loglake.transform.settings import EtlSettings

LINES = b'{"timestamp":"2026-11-26T10:00:00Z","level":"error","route":"/a","ms":5}\n' * 3
TABLES = "logs, quarantine, raw_events"


@pytest.fixture
def engine(lake: Lake, ingest_lines: Ingest) -> Iterator[DuckDBEngine]:
    ingest_lines(LINES)
    with DuckDBEngine(lake.store) as opened:
        yield opened


def message(engine: DuckDBEngine, sql: str, dialect: str = "athena") -> str:
    with pytest.raises(QueryError) as info:
        engine.query(sql, dialect=dialect)
    text = str(info.value)
    assert "\n" not in text and "LINE 1" not in text and "<class" not in text
    return text


@pytest.mark.parametrize("dialect", ["athena", "duckdb"])
def test_a_typod_table_names_the_lakes_tables(engine: DuckDBEngine, dialect: str) -> None:
    assert message(engine, "SELECT * FROM log", dialect) == (
        f'no table "log" (did you mean logs?); tables: {TABLES}; see loglake tables'
    )
    assert (
        message(engine, "SELECT count(*) FROM zzz", dialect) == f'no table "zzz"; tables: {TABLES}; see loglake tables'
    )


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "SELECT 2 * FROM logs",
            "SQL syntax error at line 1, column 15, near 'SELECT 2 * FROM': incomplete expression "
            "(something is missing here)",
        ),
        ("SELEC 1", "SQL syntax error at line 1, column 7, near 'SELEC 1': unexpected text"),
        ("SELECT (1", "SQL syntax error at line 1, column 9, near 'SELECT (1': expected )"),
        (
            "SELECT level\nFROM logs\nWHERE ms > 1 AND",
            "SQL syntax error at line 3, column 16, near 'SELECT level FROM logs WHERE ms > 1 AND': "
            "incomplete expression (something is missing here)",
        ),
        (
            "SELECT route FROM logs WHERE level = 'ERROR",
            'SQL syntax error near "…LECT route FROM logs WHERE level = \'ERRO": a quote or comment is not closed',
        ),
    ],
)
def test_athena_syntax_errors_give_the_place_not_sqlglots_classes(
    engine: DuckDBEngine, sql: str, expected: str
) -> None:
    assert message(engine, sql) == expected


def test_duckdb_syntax_errors_are_one_line(engine: DuckDBEngine) -> None:
    assert message(engine, "SELECT 2 * FROM logs", "duckdb") == 'SQL syntax error at or near "FROM"'
    assert message(engine, "SELECT level FROM logs WHERE", "duckdb") == 'SQL syntax error at or near "WHERE"'
    assert message(engine, "SELECT (1", "duckdb") == 'SQL syntax error at or near "1"'


@pytest.mark.parametrize("dialect", ["athena", "duckdb"])
def test_binder_errors_are_one_line(engine: DuckDBEngine, dialect: str) -> None:
    assert message(engine, "SELECT level + 1 FROM logs", dialect) == (
        "Binder Error: No function matches the given name and argument types '+(VARCHAR, INTEGER_LITERAL)'. "
        "You might need to add explicit type casts."
    )
    unknown = message(engine, "SELECT nope FROM logs", dialect)
    assert unknown.startswith('Referenced column "nope" not found in FROM clause! Candidate bindings: ')
    assert unknown.endswith("; see loglake tables for the columns")


def test_a_saved_querys_missing_default_column_names_the_param(engine: DuckDBEngine) -> None:
    assert message(engine, saved_query("latency_by_route")) == (
        'latency_by_route: no column "request_route" in logs; pass --param route=<column> '
        "(see loglake tables for the columns)"
    )
    assert message(engine, saved_query("latency_by_route", {"route": "route"})) == (
        'latency_by_route: no column "request_latency_ms" in logs; pass --param latency=<column> '
        "(see loglake tables for the columns)"
    )
    assert engine.query(saved_query("latency_by_route", {"route": "route", "latency": "ms"})).rows == [
        ("/a", 3, 5, 5, 5)
    ]
    assert message(engine, saved_query("latency_by_route", {"table": "nope"})) == (
        f'latency_by_route: no table "nope"; pass --param table=<table> (tables: {TABLES})'
    )


def test_the_command_line_prints_the_param_to_pass(run_cli: CliRun, lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(LINES)
    code, out, err = run_cli("query", "--lake", lake.store.uri, "--saved", "latency_by_route")
    assert (code, out) == (1, "")
    assert " ".join(err.split()) == (
        'error: latency_by_route: no column "request_route" in logs; pass --param route=<column> '
        "(see loglake tables for the columns)"
    )
    assert err.count("\n") == 1


WAF_RECORD = (Path(__file__).parents[1] / "events" / "aws_formats" / "waf_docs.log").read_text().splitlines()[0]
"""AWS WAF developer guide's first example record (tests/events/ATTRIBUTION.md)."""


@pytest.mark.parametrize("dialect", ["athena", "duckdb"])
def test_timestamp_hints_say_which_tables_keep_milliseconds(lake: Lake, ingest_lines: Ingest, dialect: str) -> None:
    """waf_logs' `timestamp` is AWS's epoch ms (BIGINT), every other table's a TIMESTAMP: each hint names the
    right type, and AWS's own arithmetic on waf_logs runs."""
    ingest_lines(LINES)
    write_messages(lake.store, "/waf", [WAF_RECORD])
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    with DuckDBEngine(lake.store) as engine:
        assert message(engine, "SELECT timestamp / 1000 FROM logs", dialect).endswith(
            "; `timestamp` is a TIMESTAMP in every table but waf_logs (epoch milliseconds, as in AWS's table): "
            "for epoch seconds use to_unixtime(timestamp)"
        )
        assert message(engine, "SELECT date_trunc('hour', timestamp) FROM waf_logs", dialect) == (
            "No function matches the given name and argument types 'date_trunc(STRING_LITERAL, BIGINT)'; "
            "`timestamp` in waf_logs is epoch milliseconds (BIGINT, as in AWS's table): for its time use "
            "from_unixtime(timestamp / 1000)"
        )
        seconds = 1576280412 if dialect == "athena" else 1576280412.771  # Athena's bigint division is integer
        assert engine.query("SELECT timestamp / 1000 FROM waf_logs", dialect=dialect).rows == [(seconds,)]
