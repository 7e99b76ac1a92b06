"""The query sandbox: one read-only statement, files only under the lake, settings locked; in both dialects."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from conftest import CliRun, Ingest
from loglake.errors import QueryError
from loglake.lake.keys import RawKey
from loglake.lake.open import Lake, open_lake
from loglake.lake.raw_zone import encode_batch
from loglake.query.engine import DuckDBEngine
from loglake.query.saved_queries import saved_query
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings

LINES = b"".join(
    b'{"timestamp":"2026-11-26T10:%02d:00Z","level":"%s","request_route":"/r%d","request_latency_ms":%d}\n'
    % (n, b"error" if n % 2 else b"info", n % 2, 10 * n)
    for n in range(6)
)
DIALECTS = ["athena", "duckdb"]
ALLOWED = "only read-only queries (SELECT, WITH, VALUES, TABLE) can run here, not"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the lake: a secret CSV and a Parquet file that no query may read."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.csv").write_text("k,v\nsecret,42\n")
    duckdb.connect().execute(f"COPY (SELECT 42 AS v) TO '{folder / 'o.parquet'}' (FORMAT parquet)")
    return folder


@pytest.fixture
def engine(lake: Lake, ingest_lines: Ingest) -> Iterator[DuckDBEngine]:
    ingest_lines(LINES)
    with DuckDBEngine(lake.store) as opened:
        yield opened


def refused(engine: DuckDBEngine, sql: str, dialect: str) -> str:
    with pytest.raises(QueryError) as info:
        engine.query(sql, dialect=dialect)
    message = str(info.value)
    assert "\n" not in message and "LINE 1" not in message
    return message


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("COPY logs TO '{out}/pwn.csv'", "COPY"),
        ("COPY (SELECT 1) TO '{lake}/pwn.csv'", "COPY"),
        ("ATTACH '{out}/x.db' AS x", "ATTACH"),
        ("INSTALL httpfs", "INSTALL"),
        ("LOAD httpfs", "LOAD"),
        ("SET threads = 1", "SET"),
        ("SET enable_external_access = true", "SET"),
        ("PRAGMA threads = 1", "PRAGMA"),
        ("CREATE TABLE t AS SELECT 1", "CREATE"),
        ("  -- a comment first\n  copy logs to '{out}/pwn.csv'", "COPY"),
    ],
)
def test_statements_that_are_not_queries_are_refused(
    engine: DuckDBEngine, outside: Path, dialect: str, sql: str, kind: str
) -> None:
    text = sql.format(out=outside, lake=engine.store.uri)
    assert refused(engine, text, dialect) == f"{ALLOWED} {kind}"
    assert sorted(p.name for p in outside.iterdir()) == ["o.parquet", "secret.csv"]
    assert not (Path(engine.store.uri) / "pwn.csv").exists()
    locked = "SELECT current_setting('enable_external_access'), current_setting('lock_configuration')"
    assert engine.con.execute(locked).fetchall() == [(False, True)]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_two_statements_are_refused(engine: DuckDBEngine, dialect: str) -> None:
    assert refused(engine, "SELECT 1; SELECT 2", dialect) == (
        "expected one SQL statement, got 2; SELECT, WITH, VALUES, TABLE can run here"
    )
    assert refused(engine, "SELECT count(*) FROM logs; DROP TABLE logs", dialect) == (
        "expected one SQL statement, got 2; SELECT, WITH, VALUES, TABLE can run here"
    )


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("sql", "path"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "/etc/passwd"),
        ("SELECT * FROM read_csv('{out}/secret.csv')", "{out}/secret.csv"),
        ("SELECT content FROM read_text('{out}/secret.csv')", "{out}/secret.csv"),
        ("SELECT content FROM read_blob('/etc/passwd')", "/etc/passwd"),
        ("SELECT * FROM read_parquet('{out}/o.parquet')", "{out}/o.parquet"),
        ("SELECT * FROM read_parquet('{lake}/../outside/o.parquet')", "{lake}/../outside/o.parquet"),
        ("SELECT * FROM read_json('{out}/*.csv')", "{out}/*.csv"),
    ],
)
def test_files_outside_the_lake_cannot_be_read(
    engine: DuckDBEngine, outside: Path, dialect: str, sql: str, path: str
) -> None:
    where = {"out": outside, "lake": engine.store.uri}
    assert refused(engine, sql.format(**where), dialect) == (
        f"cannot read {path.format(**where)}: queries read only the lake {engine.store.uri}, "
        "through its tables (logs, quarantine, raw_events)"
    )


def test_glob_outside_the_lake_is_refused_in_both_dialects(engine: DuckDBEngine) -> None:
    assert refused(engine, "SELECT * FROM glob('/etc/*')", "duckdb") == (
        f"cannot read /etc/*: queries read only the lake {engine.store.uri}, "
        "through its tables (logs, quarantine, raw_events)"
    )
    # Athena has no glob(): sqlglot reads GLOB as the operator, so the text is not a query at all.
    assert refused(engine, "SELECT * FROM glob('/etc/*')", "athena") == (
        "SQL syntax error at line 1, column 28, near \"SELECT * FROM glob('/etc/*')\": "
        "incomplete expression (something is missing here)"
    )


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_lake_still_reads_after_the_lock(engine: DuckDBEngine, dialect: str) -> None:
    assert engine.query("SELECT count(*), sum(request_latency_ms) FROM logs", dialect=dialect).rows == [(6, 150)]
    assert engine.query("SELECT count(*) FROM raw_events", dialect=dialect).rows == [(6,)]
    assert engine.query("SELECT count(*) FROM quarantine", dialect=dialect).rows == [(0,)]
    assert engine.query("VALUES (1, 'a'), (2, 'b')", dialect=dialect).rows == [(1, "a"), (2, "b")]
    assert engine.query("TABLE quarantine", dialect=dialect).rows == []
    assert engine.query("WITH e AS (SELECT level FROM logs) SELECT count(*) FROM e", dialect=dialect).rows == [(6,)]


def test_duckdb_dialect_reads_describe_and_from_first(engine: DuckDBEngine) -> None:
    described = engine.query("DESCRIBE logs", dialect="duckdb").rows
    assert [r[0] for r in described][-2:] == ["dt", "hour"]
    assert engine.query("FROM logs SELECT count(*)", dialect="duckdb").rows == [(6,)]
    assert refused(engine, "DESCRIBE logs", "athena") == f"{ALLOWED} DESCRIBE"


def test_saved_queries_run_in_the_sandbox(engine: DuckDBEngine) -> None:
    assert engine.query(saved_query("latency_by_route")).rows == [("/r1", 3, 30, 50, 50), ("/r0", 3, 20, 40, 40)]


def test_a_lake_folder_with_glob_characters_reads(tmp_path: Path, outside: Path) -> None:
    lake = open_lake(str(tmp_path / "g[x]" / "lake"))
    key = RawKey("file", "/t", "s", "0-0").key
    records = [
        {"log_group": "/t", "log_stream": "s", "event_id": str(n), "timestamp": 1_795_687_200_000 + n,
         "ingestion_time": None, "message": f'{{"n": {n}}}', "source": "file"}
        for n in range(3)
    ]  # fmt: skip
    lake.store.put(key, encode_batch(records))  # type: ignore[arg-type]
    process_raw_object(lake.store, key, EtlSettings())
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT count(*), sum(n) FROM logs").rows == [(3, 3)]
        assert engine.query("SELECT count(*) FROM raw_events").rows == [(3,)]
        assert refused(engine, f"SELECT * FROM read_csv('{outside}/secret.csv')", "duckdb").startswith(
            f"cannot read {outside}/secret.csv: "
        )


def test_an_s3_lake_reads_its_own_objects_in_place_only(s3_lake: Lake, outside: Path) -> None:
    key = RawKey("cloudwatch", "/t", "s", "0-0").key
    records = [
        {"log_group": "/t", "log_stream": "s", "event_id": str(n), "timestamp": 1_795_687_200_000 + n,
         "ingestion_time": None, "message": f'{{"n": {n}}}', "source": "cloudwatch"}
        for n in range(4)
    ]  # fmt: skip
    s3_lake.store.put(key, encode_batch(records))  # type: ignore[arg-type]
    process_raw_object(s3_lake.store, key, EtlSettings())
    s3_lake.store.reads.reset()  # type: ignore[attr-defined]
    with DuckDBEngine(s3_lake.store) as engine:
        assert engine.query("SELECT count(*), sum(n) FROM logs").rows == [(4, 6)]
        assert engine.query("SELECT count(*) FROM raw_events").rows == [(4,)]
        read = set(s3_lake.store.reads.keys)  # type: ignore[attr-defined]
        assert f"loglake-test/lake/{key}" in read and all(k.startswith("loglake-test/lake/") for k in read)
        assert refused(engine, f"SELECT * FROM read_csv('{outside}/secret.csv')", "duckdb") == (
            f"cannot read {outside}/secret.csv: queries read only the lake s3://loglake-test/lake/, "
            "through its tables (logs, quarantine, raw_events)"
        )


def test_the_command_line_refuses_in_one_line(run_cli: CliRun, lake: Lake, ingest_lines: Ingest, outside: Path) -> None:
    ingest_lines(LINES)
    lake_dir = lake.store.uri
    code, out, err = run_cli("query", "--lake", lake_dir, "--dialect", "duckdb", f"COPY logs TO '{outside}/pwn.csv'")
    assert (code, out, err) == (1, "", f"error: {ALLOWED} COPY\n")
    code, out, err = run_cli("query", "--lake", lake_dir, f"SELECT * FROM read_text('{outside}/secret.csv')")
    assert (code, out) == (1, "")
    assert err == (
        f"error: cannot read {outside}/secret.csv: queries read only the lake {lake_dir}, "
        "through its tables (logs, quarantine, raw_events)\n"
    )
    assert sorted(p.name for p in outside.iterdir()) == ["o.parquet", "secret.csv"]


def test_only_the_lake_and_a_private_spill_folder_are_open(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB always allows its temp_directory (./.tmp by default): the engine points it at a folder of its own."""
    (tmp_path / ".tmp").mkdir()
    (tmp_path / ".tmp" / "secret.csv").write_text("k,v\nsecret,42\n")
    monkeypatch.chdir(tmp_path)
    engine = DuckDBEngine(lake.store)
    assert refused(engine, "SELECT * FROM read_csv('.tmp/secret.csv')", "duckdb") == (
        f"cannot read .tmp/secret.csv: queries read only the lake {lake.store.uri}, "
        "through its tables (logs, quarantine, raw_events)"
    )
    ((allowed, spill),) = engine.con.execute(
        "SELECT current_setting('allowed_directories'), current_setting('temp_directory')"
    ).fetchall()
    assert spill.startswith(tempfile.gettempdir() + "/loglake-duckdb-")
    assert sorted(allowed) == sorted([lake.store.uri + "/", spill + "/"])
    engine.close()
    assert not Path(spill).exists()
