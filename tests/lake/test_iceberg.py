"""Iceberg tables in the embedded mode (lake/iceberg.py): one commit per raw object, idempotent per object
and version, re-drives that replace, schema evolution, compaction and expiry, with exact counts and
`verify` holding throughout."""

from __future__ import annotations

import builtins
import gzip
import os
import threading
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import orjson
import pytest

from conftest import T0, CliRun
from loglake.errors import ConfigError
from loglake.lake import iceberg, iceberg_athena
from loglake.lake.compaction import compact, live_files
from loglake.lake.keys import RawKey, manifest_key
from loglake.lake.open import Lake
from loglake.pipeline import run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings

HOUR_MS = 3_600_000
ICEBERG = EtlSettings(table_format="iceberg")


def _raw(lake: Lake, stream: str, messages: list[str], hour: int = 0, ids: str = "") -> str:
    """One raw object of `messages` (event i at hour `hour` + i ms); its key names the stream."""
    key = RawKey("cloudwatch", "/app", stream, f"{T0}-{T0 + 2 * HOUR_MS}-0").key
    lines = [
        orjson.dumps(
            {
                "log_group": "/app",
                "log_stream": stream,
                "event_id": f"{stream}{ids}-{i}",
                "timestamp": T0 + hour * HOUR_MS + i,
                "ingestion_time": T0,
                "message": message,
                "source": "cloudwatch",
            }
        )
        for i, message in enumerate(messages)
    ]
    lake.store.put(key, gzip.compress(b"\n".join(lines) + b"\n"))
    return key


def _json(n: int, **fields: Any) -> list[str]:
    return [orjson.dumps({"n": i, **fields}).decode() for i in range(n)]


def _query(lake: Lake, sql: str) -> list[tuple[Any, ...]]:
    with DuckDBEngine(lake.store) as engine:
        return [tuple(row) for row in engine.query(sql).rows]


def _verify(lake: Lake) -> None:
    with DuckDBEngine(lake.store) as engine:
        report = check_conservation(engine, lake.store)
    assert report.ok, report.as_dict()


def _table(lake: Lake) -> Any:
    return iceberg.catalog(lake.store).load_table(("loglake", "logs"))


def test_one_commit_per_raw_object_and_queries_count_exactly(lake: Lake) -> None:
    keys = [_raw(lake, f"s{s}", _json(5 + s)) for s in range(3)]
    results = run_etl(lake, keys, ICEBERG, workers=2)

    assert [r.skipped for r in results] == [False] * 3
    assert iceberg.iceberg_tables(lake.store) == ["logs"]
    summaries = iceberg.snapshot_summaries(lake.store, "logs")
    assert sorted(s[iceberg.RAW_OBJECT] for s in summaries) == sorted(keys)  # one snapshot each
    assert {s[iceberg.RAW_VERSION] for s in summaries} == {lake.store.version(k) for k in keys}
    assert [s["operation"] for s in summaries] == ["append"] * 3
    assert sorted(int(s["added-records"]) for s in summaries) == [5, 6, 7]
    assert len(live_files(lake.store, "logs")) == 3
    assert _query(lake, "SELECT count(*), count(DISTINCT event_id), min(dt), max(hour) FROM logs") == [
        (18, 18, date(2025, 11, 28), 0)
    ]
    assert _query(lake, "SELECT typeof(dt), typeof(hour), typeof(n), typeof(level) FROM logs LIMIT 1") == [
        ("DATE", "INTEGER", "BIGINT", "VARCHAR")
    ]
    # A pruned query (query/pruning.py) reads only its hours' files, through the same file list.
    assert _query(lake, "SELECT count(*) FROM logs WHERE dt = DATE '2025-11-28' AND hour = 0") == [(18,)]
    assert _query(lake, "SELECT count(*) FROM logs WHERE dt = DATE '2025-11-28' AND hour = 1") == [(0,)]
    _verify(lake)


def test_a_retry_adds_nothing_and_a_redrive_replaces_the_objects_rows(lake: Lake) -> None:
    key = _raw(lake, "s0", _json(4))
    other = _raw(lake, "s1", _json(3))
    run_etl(lake, [key, other], ICEBERG, workers=1)
    files = sorted(live_files(lake.store, "logs"))

    # A duplicate notification: the ETL finds the manifest and skips.
    assert [r.skipped for r in run_etl(lake, [key], ICEBERG, workers=1)] == [True]
    # A crash after the Iceberg commit, before the manifest: the retry finds the snapshot and adds nothing.
    lake.store.delete(manifest_key(RawKey.parse(key).object_id))
    assert [r.skipped for r in run_etl(lake, [key], ICEBERG, workers=1)] == [False]
    assert len(iceberg.snapshot_summaries(lake.store, "logs")) == 2
    assert sorted(live_files(lake.store, "logs")) == files
    assert len([k for k in lake.store.list("clean/logs/dt=") if k.endswith(".parquet")]) == 2  # new ones deleted
    assert _query(lake, "SELECT count(*) FROM logs") == [(7,)]

    # A forced re-drive: one catalog commit (one new metadata version), one overwrite snapshot that drops the
    # object's file whole (its 4 rows) and adds its new file.
    commits = len(_table(lake).metadata.metadata_log)
    run_etl(lake, [key], ICEBERG, workers=1, force=True)
    assert len(_table(lake).metadata.metadata_log) == commits + 1
    assert _query(lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(7, 7)]
    last = iceberg.snapshot_summaries(lake.store, "logs")[-1]
    assert (last["operation"], last[iceberg.RAW_OBJECT]) == ("overwrite", key)
    assert (last["deleted-records"], last["added-records"], last["deleted-data-files"]) == ("4", "4", "1")
    # The raw object rewritten with 2 more events (a collector rewrite): its rows replaced, not added.
    _raw(lake, "s0", _json(6))
    run_etl(lake, [key], ICEBERG, workers=1)
    assert _query(lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(9, 9)]
    assert _query(lake, "SELECT count(*) FROM logs WHERE log_stream = 's0'") == [(6,)]
    _verify(lake)


def test_schema_evolution_adds_columns(lake: Lake) -> None:
    run_etl(lake, [_raw(lake, "s0", _json(2))], ICEBERG, workers=1)
    assert str(_table(lake).schema().find_field("n").field_type) == "long"
    run_etl(lake, [_raw(lake, "s1", _json(2, user="ann", ratio=0.5))], ICEBERG, workers=1)

    types = {f.name: str(f.field_type) for f in _table(lake).schema().fields}
    assert (types["user"], types["ratio"], types["dt"], types["hour"]) == ("string", "double", "date", "int")
    assert _query(lake, "SELECT log_stream, user, ratio FROM logs ORDER BY log_stream, n") == [
        ("s0", None, None),
        ("s0", None, None),
        ("s1", "ann", 0.5),
        ("s1", "ann", 0.5),
    ]
    _verify(lake)


def _file(lake: Lake, name: str, x_type: str, raw_key: str) -> str:
    """A clean file as the ETL writes it for Iceberg, with one payload column `x` of `x_type`."""
    key = f"clean/logs/dt=2025-11-28/hour=00/{name}-r{T0:013d}00000000.parquet"
    path = lake.store.root / key  # type: ignore[attr-defined]
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.sql(
        f"COPY (SELECT TIMESTAMP '2025-11-28 00:00:01' AS timestamp, 'e-{name}' AS event_id, "
        f"'{raw_key}' AS raw_object, 7::{x_type} AS x, DATE '2025-11-28' AS dt, 0::INTEGER AS hour) "
        f"TO '{path}' (FORMAT parquet)"
    )
    return key


def test_int_promotes_to_long_in_one_commit(lake: Lake) -> None:
    first = _file(lake, "a", "INTEGER", "raw/a")
    iceberg.commit_object(lake.store, "raw/a", "v1", "etl/x", [first], ["logs"], force=False)
    assert str(_table(lake).schema().find_field("x").field_type) == "int"
    second = _file(lake, "b", "BIGINT", "raw/b")
    [done] = iceberg.commit_object(lake.store, "raw/b", "v1", "etl/x", [second], ["logs"], force=False)

    assert (done.committed, done.files) == (True, 1)
    assert str(_table(lake).schema().find_field("x").field_type) == "long"
    assert sorted(live_files(lake.store, "logs")) == [first, second]
    assert _table(lake).scan().to_arrow().num_rows == 2  # pyiceberg reads both under the promoted type


def test_a_widening_iceberg_cannot_make_is_refused_with_the_fix(lake: Lake) -> None:
    run_etl(lake, [_raw(lake, "s0", _json(2, code=7, ratio=1))], ICEBERG, workers=1)
    to_string = _raw(lake, "s1", [orjson.dumps({"n": 0, "code": "E7"}).decode()])
    to_double = _raw(lake, "s2", [orjson.dumps({"n": 0, "ratio": 0.5}).decode()])

    with pytest.raises(ConfigError, match=r"Iceberg table 'logs' cannot take .*code: long -> string.*routes"):
        run_etl(lake, [to_string], ICEBERG, workers=1)
    with pytest.raises(ConfigError, match=r"Iceberg table 'logs' cannot take .*ratio: long -> double.*routes"):
        run_etl(lake, [to_double], ICEBERG, workers=1)
    assert _query(lake, "SELECT count(*) FROM logs") == [(2,)]  # nothing of either object committed
    assert len(iceberg.snapshot_summaries(lake.store, "logs")) == 1


def test_compaction_is_one_replace_commit_per_hour_and_expiry_deletes_what_nothing_references(lake: Lake) -> None:
    keys = [_raw(lake, f"s{s}", _json(3 + s), hour=s % 2) for s in range(6)]
    run_etl(lake, keys, ICEBERG, workers=2)
    assert len(live_files(lake.store, "logs")) == 6

    report = compact(lake.store, ["logs"], older_than_s=0, grace_s=3600)
    assert [(p.partition, p.inputs, p.outputs, p.rows, p.status, p.deleted) for p in report.partitions] == [
        ("dt=2025-11-28/hour=00", 3, 1, 3 + 5 + 7, "compacted", 0),
        ("dt=2025-11-28/hour=01", 3, 1, 4 + 6 + 8, "compacted", 0),
    ]
    live = live_files(lake.store, "logs")
    assert [k.rsplit("/", 1)[1][:2] for k in live] == ["c-", "c-"]
    summaries = iceberg.snapshot_summaries(lake.store, "logs")
    assert [(s["operation"], s["deleted-data-files"], s["added-data-files"]) for s in summaries[6:]] == [
        ("overwrite", "3", "1"),
        ("overwrite", "3", "1"),
    ]
    assert _query(lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(33, 33)]
    _verify(lake)
    data = [k for k in lake.store.list("clean/logs/dt=") if k.endswith(".parquet")]
    assert len(data) == 8  # the inputs stay for the grace period

    # A re-drive after compaction: its rows leave the compacted file, its new file comes in.
    run_etl(lake, [keys[0]], ICEBERG, workers=1, force=True)
    assert _query(lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(33, 33)]
    _verify(lake)

    again = compact(lake.store, ["logs"], older_than_s=0, grace_s=0)
    assert [(p.partition, p.inputs, p.status) for p in again.partitions] == [
        ("dt=2025-11-28/hour=00", 2, "compacted"),
        ("dt=2025-11-28/hour=01", 0, "nothing"),
    ]
    assert len(iceberg.snapshot_summaries(lake.store, "logs")) == 1  # everything before the newest expired
    data = sorted(k for k in lake.store.list("clean/logs/dt=") if k.endswith(".parquet"))
    assert data == sorted(live_files(lake.store, "logs")) and len(data) == 2
    assert again.partitions[-1].deleted == 6 + 1 + 1 + 1  # inputs, the re-drive's file, its rewrite, c- of hour 0
    assert _query(lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(33, 33)]
    _verify(lake)


def test_a_hive_table_is_not_turned_into_iceberg_silently(lake: Lake) -> None:
    run_etl(lake, [_raw(lake, "s0", _json(2))], EtlSettings(), workers=1)
    with pytest.raises(ConfigError, match=r"'logs' already holds 1 parquet-hive files.*routes.*'hive'"):
        run_etl(lake, [_raw(lake, "s1", _json(2))], ICEBERG, workers=1)
    assert _query(lake, "SELECT count(*) FROM logs") == [(2,)]


def test_an_iceberg_table_stays_iceberg_when_the_setting_says_hive(lake: Lake) -> None:
    run_etl(lake, [_raw(lake, "s0", _json(2))], ICEBERG, workers=1)
    run_etl(lake, [_raw(lake, "s1", _json(3))], EtlSettings(), workers=1)
    assert len(iceberg.snapshot_summaries(lake.store, "logs")) == 2
    assert _query(lake, "SELECT count(*) FROM logs") == [(5,)]
    _verify(lake)


def test_settings_refuse_unknown_formats_and_jsonl_iceberg() -> None:
    with pytest.raises(ConfigError, match=r"table_format must be one of \['hive', 'iceberg'\], not 'delta'"):
        EtlSettings(table_format="delta")
    with pytest.raises(ConfigError, match="set output_format = 'parquet', not 'jsonl'"):
        EtlSettings(table_format="iceberg", output_format="jsonl")


def test_without_the_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch, lake: Lake) -> None:
    real_import = builtins.__import__

    def no_pyiceberg(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] == "pyiceberg":
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyiceberg)
    with pytest.raises(ConfigError) as raised:
        run_etl(lake, [_raw(lake, "s0", _json(2))], ICEBERG, workers=1)
    assert (
        ": table_format = 'iceberg' needs the iceberg extra (pyiceberg is not installed): pip install "
        "'loglake[iceberg]'; fix the cause" in str(raised.value)
    )
    assert list(lake.store.list("clean/")) == []


def test_cli_etl_table_format_ddl_and_compact(lake: Lake, run_cli: CliRun) -> None:
    root = str(lake.store.root)  # type: ignore[attr-defined]
    _raw(lake, "s0", _json(3, user="ann"))
    _raw(lake, "s1", _json(2))
    code, _out, err = run_cli("etl", "--lake", root, "--table-format", "iceberg")
    assert code == 0, err
    assert _query(lake, "SELECT count(*) FROM logs") == [(5,)]
    assert len(iceberg.snapshot_summaries(lake.store, "logs")) == 2

    code, out, err = run_cli("search", "ann", "--lake", root, "--column", "user")
    assert code == 0, err
    assert out.count("user=ann\n") == 3  # search reads the snapshot's files (live_files) too

    code, out, err = run_cli("ddl", "logs", "--lake", root, "--location", "s3://bucket/lake/", "--database", "db")
    assert (code, err) == (0, "")
    assert out.startswith("CREATE TABLE IF NOT EXISTS `db`.`logs` (\n  `timestamp` timestamp,\n")
    assert out.endswith(
        "  `user` string,\n  `dt` date,\n  `hour` int\n)\nPARTITIONED BY (`dt`, `hour`)\n"
        "LOCATION 's3://bucket/lake/clean/logs/'\nTBLPROPERTIES (\n  'table_type' = 'ICEBERG',\n"
        "  'format' = 'parquet',\n  'write_compression' = 'zstd',\n  'vacuum_max_snapshot_age_seconds' = '3600',\n"
        "  'vacuum_min_snapshots_to_keep' = '1'\n);\n"
    )
    code, out, err = run_cli("ddl", "logs", "--lake", root, "--location", "s3://b/", "--since-version", "1")
    assert (code, out) == (0, "-- logs is an Iceberg table: each ETL commit changes its schema in the catalog\n")

    code, out, err = run_cli("compact", "--lake", root, "--older-than", "0s", "--grace", "0s")
    assert code == 0, err
    assert len(live_files(lake.store, "logs")) == 1
    assert _query(lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(5, 5)]

    code, _out, err = run_cli("etl", "--lake", root, "--table-format", "delta")
    assert (code, err) == (1, "error: table_format must be one of ['hive', 'iceberg'], not 'delta'\n")


def test_athena_maintenance_sql_for_iceberg_tables() -> None:
    now = datetime(2025, 11, 28, 5, 30, tzinfo=UTC)
    assert iceberg_athena.maintenance_sql("logs", "loglake", 3600, grace_s=600, now=now) == [
        "ALTER TABLE loglake.logs SET TBLPROPERTIES ('vacuum_max_snapshot_age_seconds' = '600')",
        "OPTIMIZE loglake.logs REWRITE DATA USING BIN_PACK\n"
        "WHERE dt >= DATE '2025-11-26' AND (dt < DATE '2025-11-28' OR (dt = DATE '2025-11-28' AND hour < 4))",
        "VACUUM loglake.logs",
    ]
    # Midnight: the closed hours are every hour of the days before, back to `days` days before.
    assert iceberg_athena.optimize_sql("logs", None, 0, datetime(2025, 11, 28, 0, 0, tzinfo=UTC), days=1) == (
        "OPTIMIZE logs REWRITE DATA USING BIN_PACK\n"
        "WHERE dt >= DATE '2025-11-27' AND (dt < DATE '2025-11-28' OR (dt = DATE '2025-11-28' AND hour < 0))"
    )
    # The database never in backticks (AWS's VACUUM page), nor the table (OPTIMIZE is Trino SQL): plain names only.
    with pytest.raises(ConfigError, match=r"Glue database '_db' is not a name loglake accepts"):
        iceberg_athena.vacuum_sql("logs", "_db")


def test_optimize_covers_a_bounded_number_of_days_however_old_the_table() -> None:
    """A backlog does not make each hourly run rewrite the table's whole history: the first day is fixed by
    `days`, across a month's and a year's edge."""
    now = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)  # less an hour: 2025-12-31 23:30, hours before 23
    assert iceberg_athena.optimize_sql("logs", "loglake", 3600, now, days=30) == (
        "OPTIMIZE loglake.logs REWRITE DATA USING BIN_PACK\n"
        "WHERE dt >= DATE '2025-12-01' AND (dt < DATE '2025-12-31' OR (dt = DATE '2025-12-31' AND hour < 23))"
    )


def test_the_grace_alter_is_left_out_when_the_table_already_has_it() -> None:
    """Each ALTER TABLE is an Iceberg commit and a Glue table version: only when the value differs."""
    now = datetime(2025, 11, 28, 5, 30, tzinfo=UTC)
    properties = {"table_type": "ICEBERG", "vacuum_max_snapshot_age_seconds": "3600"}
    same = iceberg_athena.maintenance_sql("logs", "loglake", 3600, 3600, now, properties=properties)
    assert [sql.split(None, 1)[0] for sql in same] == ["OPTIMIZE", "VACUUM"]
    for parameters in ({"vacuum_max_snapshot_age_seconds": "600"}, {"table_type": "ICEBERG"}):
        other = iceberg_athena.maintenance_sql("logs", "loglake", 3600, 3600, now, properties=parameters)
        assert other[0] == "ALTER TABLE loglake.logs SET TBLPROPERTIES ('vacuum_max_snapshot_age_seconds' = '3600')"
        assert len(other) == 3


def test_the_lambda_reads_the_table_format_from_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from loglake.handlers.environment import etl_settings_from_environment

    assert etl_settings_from_environment().table_format == "hive"
    monkeypatch.setenv("LOGLAKE_ETL_TABLE_FORMAT", "iceberg")
    assert etl_settings_from_environment().table_format == "iceberg"


def test_a_new_table_with_another_workers_uncommitted_file_is_still_iceberg(lake: Lake) -> None:
    """Two workers creating the table: one's written, not yet committed, file is not a hive file."""
    pending = f"clean/logs/dt=2025-11-28/hour=00/{iceberg.run_name('0' * 24)}.parquet"
    lake.store.put(pending, b"not committed yet")
    run_etl(lake, [_raw(lake, "s0", _json(3))], ICEBERG, workers=1)
    assert _query(lake, "SELECT count(*) FROM logs") == [(3,)]
    assert pending not in live_files(lake.store, "logs")
    assert iceberg.expire(lake.store, "logs", grace_s=3600) == 0  # young: it may still be committed
    assert lake.store.exists(pending)


def test_readers_count_exactly_while_compaction_and_redrives_commit(lake: Lake) -> None:
    """Each query reads one snapshot's file list: whatever commits meanwhile, every event exactly once."""
    keys = [_raw(lake, f"s{s}", _json(4 + s), hour=s % 2) for s in range(6)]
    run_etl(lake, keys, ICEBERG, workers=2)
    seen: list[tuple[Any, ...]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                seen.extend(_query(lake, "SELECT count(*), count(DISTINCT event_id) FROM logs"))
        except BaseException as exc:  # reported below, with the counts
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        compact(lake.store, ["logs"], older_than_s=0, grace_s=3600)
        run_etl(lake, keys[:3], ICEBERG, workers=1, force=True)
        compact(lake.store, ["logs"], older_than_s=0, grace_s=3600)
    finally:
        done.set()
        reader.join()
    assert errors == []
    assert len(seen) >= 1 and set(seen) == {(39, 39)}
    assert len(live_files(lake.store, "logs")) == 2
    _verify(lake)


def test_a_duplicate_after_compaction_and_expiry_is_skipped(lake: Lake) -> None:
    keys = [_raw(lake, f"s{s}", _json(3)) for s in range(2)]
    run_etl(lake, keys, ICEBERG, workers=1)
    compact(lake.store, ["logs"], older_than_s=0, grace_s=0)  # the ETL's own files are gone now
    snapshots = len(iceberg.snapshot_summaries(lake.store, "logs"))

    assert [r.skipped for r in run_etl(lake, keys, ICEBERG, workers=1)] == [True, True]
    assert len(iceberg.snapshot_summaries(lake.store, "logs")) == snapshots
    assert _query(lake, "SELECT count(*) FROM logs") == [(6,)]


def test_waf_logs_is_an_iceberg_table_with_aws_millisecond_timestamp(lake: Lake) -> None:
    """The contract's `timestamp` type reaches the Iceberg schema (long, not timestamp): AWS's queries that
    divide it run on the Iceberg table too. The record is the WAF guide's (tests/events/ATTRIBUTION.md)."""
    from pathlib import Path

    docs = Path(__file__).parents[1] / "events" / "aws_formats" / "waf_docs.log"
    doc = orjson.loads(docs.read_text().splitlines()[0])
    times = [T0 + 1, T0 + 2, T0 + 3_000]
    key = _raw(lake, "waf", [orjson.dumps({**doc, "timestamp": ms}).decode() for ms in times])
    run_etl(lake, [key], ICEBERG, workers=1)
    field = iceberg.catalog(lake.store).load_table(("loglake", "waf_logs")).schema().find_field("timestamp")
    assert str(field.field_type) == "long"
    sql = "SELECT timestamp, to_iso8601(from_unixtime(timestamp / 1000)) FROM waf_logs ORDER BY 1"
    iso = datetime.fromtimestamp(T0 // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert _query(lake, sql) == [(T0 + 1, iso), (T0 + 2, iso), (T0 + 3_000, iso.replace(":00.000Z", ":03.000Z"))]
    _verify(lake)


def test_expiry_never_deletes_a_file_loglake_did_not_name(lake: Lake) -> None:
    """Athena's OPTIMIZE writes its outputs (no loglake name stamp) before it commits them: `compact`'s expiry
    leaves them to Athena's VACUUM, and still deletes loglake's own orphans once the grace period is over."""
    keys = [_raw(lake, f"s{s}", _json(2)) for s in range(2)]
    run_etl(lake, keys, ICEBERG, workers=1)
    athenas = "clean/logs/data/dt=2025-11-28/hour=0/00000-0-6f1d2c3a-5b4e-4c7d-8e9f-0a1b2c3d4e5f-00001.parquet"
    lake.store.put(athenas, b"written by OPTIMIZE, not yet committed")
    ours = f"clean/logs/dt=2025-11-28/hour=00/{'0' * 24}-r{T0:013d}0a1b2c3d.parquet"  # a crashed run's, old
    lake.store.put(ours, b"never committed")

    report = compact(lake.store, ["logs"], older_than_s=0, grace_s=3600)
    assert [(p.partition, p.inputs, p.outputs, p.rows, p.status) for p in report.partitions] == [
        ("dt=2025-11-28/hour=00", 2, 1, 4, "compacted"),
    ]
    assert lake.store.exists(athenas)
    assert not lake.store.exists(ours)
    assert iceberg.expire(lake.store, "logs", grace_s=0) == 2  # the compacted inputs; Athena's file stays
    assert lake.store.exists(athenas)
    assert _query(lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(4, 4)]
    _verify(lake)


def test_pyiceberg_evaluates_manifests_on_one_thread(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyiceberg's manifest evaluator keeps the manifest it evaluates in an attribute and is shared by the pool's
    threads (_ManifestEvalVisitor.eval): with several workers, an overwrite (a re-run's commit) can leave out the
    manifest that holds a file to delete and fail with "Missing required files to delete" (CI met it once). The
    lake's catalog makes the pool one worker, also where a pool of several existed before."""
    from concurrent.futures import ThreadPoolExecutor

    from pyiceberg.utils.concurrent import ExecutorFactory

    monkeypatch.setenv("PYICEBERG_MAX_WORKERS", "8")
    monkeypatch.setattr(ExecutorFactory, "_instance", ThreadPoolExecutor(max_workers=8))
    monkeypatch.setattr(ExecutorFactory, "_instance_pid", os.getpid())
    iceberg.catalog(lake.store)
    assert ExecutorFactory.get_or_create()._max_workers == 1  # type: ignore[attr-defined]
    monkeypatch.setattr(ExecutorFactory, "_instance_pid", None)  # as in a new process: a new pool
    assert ExecutorFactory.get_or_create()._max_workers == 1  # type: ignore[attr-defined]


def test_expiry_deletes_a_committed_file_loglake_did_not_name_without_its_index(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file committed by another writer (pyiceberg's add_files here, as Athena's OPTIMIZE outputs) has no skip
    index: expiry deletes only the file. Before, it deleted the index first, and a kill there left the file
    for good (once its removing snapshot expires, nothing shows it was committed)."""
    keys = [_raw(lake, f"s{s}", _json(2)) for s in range(2)]
    run_etl(lake, keys, ICEBERG, workers=1)
    first = live_files(lake.store, "logs")[0]
    other = "clean/logs/dt=2025-11-28/hour=00/written-by-another-engine.parquet"
    lake.store.put(other, lake.store.get(first))
    tbl = iceberg.catalog(lake.store).load_table(("loglake", "logs"))
    tbl.add_files([f"{iceberg._base(lake.store)}/{other}"])
    assert _query(lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(6, 4)]
    compact(lake.store, ["logs"], older_than_s=0, grace_s=3600)
    index_for = iceberg.skip_index.delete_for

    def no_index(store: Any, key: str) -> None:
        if key == other:
            raise RuntimeError("killed")  # asked for an index this file never had: a kill here stranded it
        index_for(store, key)

    monkeypatch.setattr(iceberg.skip_index, "delete_for", no_index)

    assert iceberg.expire(lake.store, "logs", grace_s=0) == 3  # the 2 ETL files and the other engine's
    assert not lake.store.exists(other)
    assert len(live_files(lake.store, "logs")) == 1
    assert _query(lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(6, 4)]
