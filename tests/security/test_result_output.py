"""`query --out res.parquet`: column names are data (a query's aliases), never SQL text."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import CliRun, Ingest
from loglake.errors import QueryError
from loglake.lake.open import Lake
from loglake.query.engine import DuckDBEngine, QueryResult
from loglake.query.output import write_result


def read_back(path: Path) -> tuple[list[tuple[str, str]], list[tuple[object, ...]]]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    rows = con.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    return [(r[0], r[1]) for r in described], rows


def test_the_issues_alias_is_a_column_name(tmp_path: Path) -> None:
    alias = "x\") TO '/tmp/pwn' --"
    write_result(QueryResult([alias, "n"], ["INTEGER", "BIGINT"], [(1, 2)]), tmp_path / "res.parquet")
    assert read_back(tmp_path / "res.parquet") == ([(alias, "INTEGER"), ("n", "BIGINT")], [(1, 2)])


def test_an_alias_that_would_run_statements_runs_none(tmp_path: Path) -> None:
    pwned = tmp_path / "pwned.csv"
    alias = f"a\" INTEGER); COPY (SELECT 'pwned' AS p) TO '{pwned}'; CREATE TABLE t2 (\"b"
    write_result(QueryResult([alias], ["INTEGER"], [(7,)]), tmp_path / "res.parquet")
    assert read_back(tmp_path / "res.parquet") == ([(alias, "INTEGER")], [(7,)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res.parquet"]


def test_a_crafted_alias_from_a_real_query(lake: Lake, ingest_lines: Ingest, tmp_path: Path) -> None:
    ingest_lines(
        b'{"timestamp":"2026-11-26T10:00:00Z","route":"/a"}\n{"timestamp":"2026-11-26T10:00:01Z","route":"/b"}\n'
    )
    pwned = tmp_path / "pwned.csv"
    alias = f"r\" varchar); copy (select 1) to '{pwned}' --"  # lower case: Athena folds even quoted names
    quoted = '"' + alias.replace('"', '""') + '"'
    with DuckDBEngine(lake.store) as engine:
        result = engine.query(f"SELECT route AS {quoted}, count(*) AS n FROM logs GROUP BY 1 ORDER BY 1")
    write_result(result, tmp_path / "res.parquet")
    assert read_back(tmp_path / "res.parquet") == ([(alias, "VARCHAR"), ("n", "BIGINT")], [("/a", 1), ("/b", 1)])
    assert not pwned.exists()


def test_types_survive_and_a_file_is_replaced(tmp_path: Path) -> None:
    result = QueryResult(
        ["at", "amount", "nothing", "tags", 'odd "field"', "when"],
        ["TIMESTAMP WITH TIME ZONE", "DECIMAL(9,2)", '"NULL"', "VARCHAR[]", 'STRUCT("a b" INTEGER)', "timestamp"],
        [
            (datetime(2026, 11, 26, 10, tzinfo=UTC), Decimal("12.50"), None, ["x", "y"], {"a b": 1}, None),
            (None, None, None, None, None, datetime(2026, 11, 26, 11)),
        ],
    )
    path = tmp_path / "res.parquet"
    path.write_bytes(b"an older result")
    write_result(result, path)
    columns, rows = read_back(path)
    assert columns == [
        ("at", "TIMESTAMP WITH TIME ZONE"),
        ("amount", "DECIMAL(9,2)"),
        ("nothing", "INTEGER"),
        ("tags", "VARCHAR[]"),
        ('odd "field"', 'STRUCT("a b" INTEGER)'),
        ("when", "TIMESTAMP"),
    ]
    assert [tuple(str(v) if isinstance(v, datetime) else v for v in row) for row in rows] == [
        ("2026-11-26 10:00:00+00:00", Decimal("12.50"), None, ["x", "y"], {"a b": 1}, None),
        (None, None, None, None, None, "2026-11-26 11:00:00"),
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res.parquet"]


def test_a_type_that_is_not_a_type_is_saved_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a relative COPY target would land here, where the listing below looks
    result = QueryResult(["v"], ["INTEGER); COPY (SELECT 1) TO 'x.csv'; --"], [("1",)])
    write_result(result, tmp_path / "res.parquet")
    assert read_back(tmp_path / "res.parquet") == ([("v", "VARCHAR")], [("1",)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res.parquet"]


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (["a", "A"], "two columns are named 'a' and 'A' (DuckDB's names ignore case); give them different aliases"),
        (["n", "n"], "two columns are named 'n' and 'n' (DuckDB's names ignore case); give them different aliases"),
        (["", "n"], "a column has no name; give it one with AS"),
    ],
)
def test_names_parquet_cannot_hold_are_one_line(tmp_path: Path, columns: list[str], message: str) -> None:
    path = tmp_path / "res.parquet"
    with pytest.raises(QueryError) as info:
        write_result(QueryResult(columns, ["INTEGER", "INTEGER"], [(1, 2)]), path)
    assert str(info.value).startswith(f"--out {path}: {message}")
    assert not path.exists()


def test_the_command_line_saves_a_crafted_alias(
    run_cli: CliRun, lake: Lake, ingest_lines: Ingest, tmp_path: Path
) -> None:
    ingest_lines(b'{"timestamp":"2026-11-26T10:00:00Z","route":"/a"}\n')
    out = tmp_path / "res.parquet"
    code, _out, _err = run_cli(
        "query",
        "--dialect",
        "duckdb",
        "--lake",
        lake.store.uri,
        "--out",
        str(out),
        'SELECT route AS "x"") TO \'/tmp/pwn\' --" FROM logs',
    )
    assert code == 0
    assert read_back(out) == ([("x\") TO '/tmp/pwn' --", "VARCHAR")], [("/a",)])


def test_many_rows_go_in_through_the_appender(tmp_path: Path) -> None:
    rows = [(f"svc{i % 7}", i) for i in range(20_000)]
    write_result(QueryResult(["service", "n"], ["VARCHAR", "BIGINT"], rows), tmp_path / "res.parquet")
    con = duckdb.connect()
    summary = con.execute(
        "SELECT count(*), sum(n), count(DISTINCT service) FROM read_parquet(?)", [str(tmp_path / "res.parquet")]
    ).fetchall()
    assert summary == [(20_000, 199_990_000, 7)]
