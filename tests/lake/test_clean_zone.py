"""The clean zone's contract (lake/clean_zone.py): one definition of the envelope, partitions, reserved
names, default table and key layout, which readers use without importing the ETL or any parser."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import duckdb
import pytest

from conftest import CliRun, Ingest, write_messages
from loglake.errors import StaleTableError, StoreError
from loglake.lake import clean_zone
from loglake.lake.clean_zone import (
    ATHENA_PARTITIONS,
    DEFAULT_TABLE,
    ENVELOPE,
    FILES_PATTERN,
    HIVE_OPTIONS,
    OPTIONAL_ENVELOPE,
    PARTITIONS,
    RESERVED_NAMES,
    TIMESTAMP_TYPES,
    envelope,
    epoch_seconds_sql,
    event_time_sql,
    table_prefix,
)
from loglake.lake.formats import FORMATS
from loglake.lake.keys import clean_key
from loglake.lake.open import Lake
from loglake.lake.raw_zone import list_raw_objects
from loglake.lake.schema_registry import SchemaRegistry
from loglake.pipeline import pending_raw_objects, run_etl, run_etl_objects
from loglake.query.engine import DuckDBEngine
from loglake.sql_quoting import sql_string
from loglake.transform.settings import EtlSettings


def test_envelope_partitions_and_reserved_names() -> None:
    assert list(ENVELOPE) == [
        "timestamp", "time_source", "level", "message", "log_group", "log_stream", "event_id",
        "ingestion_time", "source", "format", "raw_object",
    ]  # fmt: skip
    assert (ENVELOPE["timestamp"], ENVELOPE["ingestion_time"], OPTIONAL_ENVELOPE) == (
        "TIMESTAMP",
        "TIMESTAMP",
        {"message_b64": "VARCHAR"},
    )
    assert (PARTITIONS, ATHENA_PARTITIONS) == ({"dt": "DATE", "hour": "INTEGER"}, {"dt": "date", "hour": "int"})
    assert HIVE_OPTIONS == "hive_partitioning = true, hive_types = {'dt': DATE, 'hour': INTEGER}"
    assert set(ENVELOPE) | {"message_b64", "dt", "hour", "extra"} == RESERVED_NAMES
    assert len(RESERVED_NAMES) == 15
    assert (DEFAULT_TABLE, EtlSettings().table) == ("logs", "logs")


def test_key_layout() -> None:
    key = clean_key(DEFAULT_TABLE, "dt=2026-11-29/hour=07", "0123abcd", FORMATS["parquet"].suffix)
    assert key == "clean/logs/dt=2026-11-29/hour=07/0123abcd.parquet"
    assert key.startswith(table_prefix("logs"))
    assert fnmatch.fnmatchcase(key, table_prefix("logs") + FILES_PATTERN + ".parquet")
    with pytest.raises(StoreError, match=r"invalid table name '\.\./x'"):
        table_prefix("../x")


@pytest.mark.parametrize("output_format", sorted(FORMATS))
def test_the_etl_writes_the_layout(output_format: str, lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(
        b'{"timestamp":"2026-11-29T07:00:00Z","a":1}\n{"timestamp":"2026-11-29T09:30:00Z","a":2}\n',
        settings=EtlSettings(output_format=output_format),
    )
    keys = list(lake.store.list("clean/"))
    suffix = FORMATS[output_format].suffix
    assert [k[: k.rindex("/")] for k in keys] == [
        "clean/logs/dt=2026-11-29/hour=07",
        "clean/logs/dt=2026-11-29/hour=09",
    ]
    assert all(fnmatch.fnmatchcase(k, table_prefix(DEFAULT_TABLE) + FILES_PATTERN + suffix) for k in keys)
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query("SELECT dt, hour, a FROM logs ORDER BY a").rows
        types = engine.query("SELECT typeof(dt), typeof(hour), typeof(timestamp) FROM logs LIMIT 1").rows
    assert [(str(dt), hour, a) for dt, hour, a in rows] == [("2026-11-29", 7, 1), ("2026-11-29", 9, 2)]
    assert types == [("DATE", "INTEGER", "TIMESTAMP")]


def test_building_a_view_imports_neither_the_etl_nor_a_parser() -> None:
    code = (
        "import sys, loglake.catalog.duckdb_views, loglake.catalog.athena_ddl, loglake.query.explain\n"
        "print(sorted(m for m in sys.modules if m.startswith('loglake.transform')))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


WAF_DOCS = (Path(__file__).parents[1] / "events" / "aws_formats" / "waf_docs.log").read_text().splitlines()
"""AWS WAF developer guide's example records (tests/events/ATTRIBUTION.md)."""


def test_a_table_declares_its_timestamp_type() -> None:
    """One declaration: waf_logs keeps AWS's BIGINT milliseconds; every other table the envelope's TIMESTAMP."""
    assert TIMESTAMP_TYPES == {"waf_logs": "BIGINT"}
    assert envelope("waf_logs") == {**ENVELOPE, "timestamp": "BIGINT"}
    assert list(envelope("waf_logs")) == list(ENVELOPE)
    assert (envelope("logs"), envelope("elb_logs")) == (ENVELOPE, ENVELOPE)
    assert (event_time_sql("logs"), event_time_sql("waf_logs")) == ('"timestamp"', 'epoch_ms("timestamp")')
    assert epoch_seconds_sql("waf_logs", dialect="athena") == '(CAST("timestamp" AS double) / 1000)'
    assert event_time_sql("waf_logs", dialect="athena") == (
        "CAST(from_unixtime(CAST(\"timestamp\" AS double) / 1000) AT TIME ZONE 'UTC' AS timestamp)"
    )
    assert epoch_seconds_sql("logs", dialect="athena") == 'to_unixtime("timestamp")'


def _legacy_lake(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """waf_logs as the previous loglake wrote it (no table had AWS's timestamp type): two raw objects whose
    rows share partitions, then compacted, so a re-run must also rewrite a compacted file."""
    from loglake.lake.compaction import compact

    with monkeypatch.context() as before:
        before.setattr(clean_zone, "TIMESTAMP_TYPES", {})
        write_messages(lake.store, "/waf/a", WAF_DOCS, id_prefix="a")
        write_messages(lake.store, "/waf/b", WAF_DOCS[:2], id_prefix="b", stream="s2")
        write_messages(lake.store, "/app", ["started"])  # a table the change does not touch
        run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
        with DuckDBEngine(lake.store) as engine:
            assert engine.query("SELECT typeof(timestamp), count(*) FROM waf_logs GROUP BY 1").rows == [
                ("TIMESTAMP", 8)
            ]
    # This version's compaction keeps the earlier type in a table not yet rewritten: one type per table.
    report = compact(lake.store, ["waf_logs"], older_than_s=0, target_bytes=1 << 30, grace_s=0)
    assert sum(p.inputs for p in report.partitions if p.status == "compacted") == 4
    files = sql_string(lake.store.glob("clean/waf_logs/*/*/*.parquet"))
    assert duckdb.sql(f"SELECT DISTINCT typeof(timestamp) FROM read_parquet({files})").fetchall() == [("TIMESTAMP",)]


REFUSAL = (
    "clean table waf_logs was written by an earlier loglake: its `timestamp` is TIMESTAMP, and is now "
    "BIGINT (epoch milliseconds, as in AWS's table); rewrite its files with `loglake compact --table waf_logs "
    "--rewrite-stale` (every hour of the table, exactly)"
)
STALE = f"error: {REFUSAL}\n"


def test_a_table_written_with_the_old_timestamp_type_is_refused_until_rewritten(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, run_cli: CliRun
) -> None:
    """The registry's TIMESTAMP is not widened to BIGINT (that would make it VARCHAR) nor read as milliseconds:
    queries, --since and the ETL of new WAF records refuse, on one line naming the re-run; after it the
    table holds AWS's milliseconds, every event once."""
    _legacy_lake(lake, monkeypatch)
    path = lake.store.uri
    count = "SELECT count(*) AS n FROM waf_logs"
    assert run_cli("query", "--lake", path, count) == (1, "", STALE)
    assert run_cli("query", "--lake", path, "--since", "2020-01-01", count) == (1, "", STALE)
    assert run_cli("query", "--lake", path, "-f", "csv", "SELECT count(*) AS n FROM logs") == (0, "n\n1\n", ANY)
    write_messages(lake.store, "/waf/c", WAF_DOCS[2:3], id_prefix="c")
    code, _out, err = run_cli("etl", "--lake", path)
    (new,) = [key for key in pending_raw_objects(lake) if "%2Fwaf%2Fc" in key]
    assert (code, err.splitlines()[-1]) == (
        1,
        f"error: cannot process raw object {new}: {REFUSAL}; fix the cause, then run `loglake etl`",
    )
    schema = SchemaRegistry(lake.store).get("waf_logs")
    assert schema is not None and schema.column("timestamp") is not None
    assert schema.column("timestamp").type == "TIMESTAMP"  # type: ignore[union-attr]

    assert run_cli("etl", "--lake", path, "--force")[0] == 1  # a forced run refuses too: it never retypes
    code, out, err = run_cli("compact", "--lake", path, "--table", "waf_logs", "--rewrite-stale")
    assert (code, out, err) == (
        0,
        "rewrote waf_logs: 4 table-hours, 4 files into 4 (8 rows); its `timestamp` now has the current type\n",
        "",
    )
    code, _out, err = run_cli("etl", "--lake", path)
    assert code == 0, err
    millis = sorted(json.loads(line)["timestamp"] for line in [*WAF_DOCS, *WAF_DOCS[:2], WAF_DOCS[2]])
    with DuckDBEngine(lake.store) as engine:
        assert [row[0] for row in engine.query("SELECT timestamp FROM waf_logs ORDER BY 1").rows] == millis
    code, out, _err = run_cli("query", "--lake", path, "-f", "csv", "--since", "2020-06-17", "--until",
                              "2020-06-17T02:00:00Z", count)  # fmt: skip
    assert (code, out) == (0, "n\n2\n")  # the guide's 01:26 record, from objects a and b
    column = SchemaRegistry(lake.store).get("waf_logs").column("timestamp")  # type: ignore[union-attr]
    assert column is not None and column.type == "BIGINT"
    assert [h["change"] for h in column.history] == [
        "added",
        "retyped TIMESTAMP -> BIGINT (the contract's type; files rewritten)",
    ]


def _timestamps(lake: Lake) -> list[int]:
    with DuckDBEngine(lake.store) as engine:
        return [row[0] for row in engine.query('SELECT "timestamp" FROM waf_logs ORDER BY 1').rows]


LEGACY_MILLIS = sorted(json.loads(line)["timestamp"] for line in [*WAF_DOCS, *WAF_DOCS[:2]])
"""The 8 events of _legacy_lake, as AWS's milliseconds."""


def _refused(lake: Lake) -> str:
    with pytest.raises(StaleTableError) as refused, DuckDBEngine(lake.store) as engine:
        engine.query('SELECT "timestamp" FROM waf_logs')
    return str(refused.value)


def test_a_forced_run_of_one_object_keeps_the_table_refused(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """A forced run rewrites one object's files (a quarantine re-drive, a stream-header re-run, an interrupted
    `etl --force`): it never retypes the table. It is refused as the table's readers are, and nothing is written."""
    _legacy_lake(lake, monkeypatch)
    keys = sorted(k for k in list_raw_objects(lake.store) if "%2Fwaf%2F" in k)
    before = sorted(lake.store.list("clean/waf_logs/"))
    run = run_etl_objects(lake, keys[:1], EtlSettings(), force=True)
    assert [(f.raw_object, f.reason) for f in run.failures] == [(keys[0], REFUSAL)]
    assert _refused(lake) == REFUSAL
    column = SchemaRegistry(lake.store).get("waf_logs").column("timestamp")  # type: ignore[union-attr]
    assert column is not None and (column.type, len(column.history)) == ("TIMESTAMP", 1)
    assert sorted(lake.store.list("clean/waf_logs/")) == before


@pytest.mark.parametrize("output_format", sorted(FORMATS))
def test_rewrite_stale_converts_every_file_exactly(
    output_format: str, lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every hour is rewritten (a file alone, and compacted files too), whatever its age, then the
    registry is retyped: every live file holds BIGINT milliseconds, every event once, in every format."""
    from loglake.lake.compaction import live_files, rewrite_stale

    with monkeypatch.context() as before:
        before.setattr(clean_zone, "TIMESTAMP_TYPES", {})
        write_messages(lake.store, "/waf/a", WAF_DOCS, id_prefix="a")
        write_messages(lake.store, "/waf/b", WAF_DOCS[:2], id_prefix="b", stream="s2")
        run_etl(lake, pending_raw_objects(lake), EtlSettings(output_format=output_format), workers=1)
    assert len(live_files(lake.store, "waf_logs")) == 6  # 4 hours; 2 of them with a file of each object
    report = rewrite_stale(lake.store, "waf_logs", grace_s=0)
    assert [(p.partition, p.status, p.inputs, p.outputs, p.rows) for p in report.partitions] == [
        ("dt=2019-12-13/hour=23", "compacted", 2, 1, 3),
        ("dt=2020-06-17/hour=01", "compacted", 2, 1, 2),
        ("dt=2020-06-17/hour=02", "compacted", 1, 1, 1),
        ("dt=2021-09-23/hour=18", "compacted", 1, 1, 2),
    ]
    live = live_files(lake.store, "waf_logs")
    assert live == sorted(key for p in report.partitions for key in p.written)
    assert _timestamps(lake) == LEGACY_MILLIS
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT typeof(timestamp), count(*) FROM waf_logs GROUP BY 1").rows == [("BIGINT", 8)]
    column = SchemaRegistry(lake.store).get("waf_logs").column("timestamp")  # type: ignore[union-attr]
    assert column is not None and column.type == "BIGINT"
    assert column.history[-1]["by"] == "loglake compact --rewrite-stale"
    assert rewrite_stale(lake.store, "waf_logs", grace_s=0).partitions == []  # not stale any more: nothing


@pytest.mark.parametrize("crash_at", ["second hour", "retype"])
def test_a_rewrite_killed_midway_leaves_the_table_refused(
    crash_at: str, lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after one hour is rewritten, or after all of them but before the retype: the table holds both
    types, and stays refused (readers and the ETL); run again, it is rewritten, every event once."""
    from loglake.lake import compaction
    from loglake.lake.schema_registry import TableSchema

    _legacy_lake(lake, monkeypatch)
    real = compaction.compact_partition
    done: list[str] = []

    def killed_after_one(*args: Any, **kwargs: Any) -> Any:
        if done:
            raise KeyboardInterrupt
        done.append(args[2])
        return real(*args, **kwargs)

    def killed(*_args: Any) -> bool:
        raise KeyboardInterrupt

    with monkeypatch.context() as crash:
        if crash_at == "second hour":
            crash.setattr(compaction, "compact_partition", killed_after_one)
        else:
            crash.setattr(TableSchema, "retype", killed)
        with pytest.raises(KeyboardInterrupt):
            compaction.rewrite_stale(lake.store, "waf_logs", grace_s=0)
    assert _refused(lake) == REFUSAL
    write_messages(lake.store, "/waf/c", WAF_DOCS[2:3], id_prefix="c")
    (new,) = [k for k in pending_raw_objects(lake) if "%2Fwaf%2Fc" in k]
    assert [f.reason for f in run_etl_objects(lake, [new], EtlSettings()).failures] == [REFUSAL]
    report = compaction.rewrite_stale(lake.store, "waf_logs", grace_s=0)
    assert [(p.status, p.rows) for p in report.partitions] == [("compacted", n) for n in (3, 2, 1, 2)]
    assert _timestamps(lake) == LEGACY_MILLIS
    assert run_etl_objects(lake, [new], EtlSettings()).failures == []
    assert _timestamps(lake) == sorted([*LEGACY_MILLIS, json.loads(WAF_DOCS[2])["timestamp"]])


def test_a_rewrite_that_finds_an_hour_busy_does_not_retype(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, run_cli: CliRun
) -> None:
    """An hour held by a compaction is left; the registry keeps TIMESTAMP (the table stays refused) and the
    command says to run it again, exit 1; run again, it finishes, every event once."""
    _legacy_lake(lake, monkeypatch)
    path = lake.store.uri
    with lake.store.lease("compact/waf_logs/dt=2020-06-17/hour=01") as held:
        assert held
        assert run_cli("compact", "--lake", path, "--table", "waf_logs", "--rewrite-stale") == (
            1,
            "",
            "error: 1 of 4 hours of waf_logs were busy or changed while rewritten (first dt=2020-06-17/hour=01); "
            f"its type is unchanged and it stays refused: run `loglake compact --lake {path} --table waf_logs "
            "--rewrite-stale` again\n",
        )
    assert _refused(lake) == REFUSAL
    assert run_cli("compact", "--lake", path, "--table", "waf_logs", "--rewrite-stale")[0] == 0
    assert _timestamps(lake) == LEGACY_MILLIS


ICEBERG_REFUSAL = (
    "error: clean table waf_logs is an Iceberg table an earlier loglake wrote with a TIMESTAMP `timestamp`, and "
    "Iceberg cannot change a column to BIGINT: nothing changed; drop the table, then make it again from the raw "
    'zone with `loglake etl --force` (the steps: docs/troubleshooting.md, "An Iceberg table of an earlier '
    'loglake")\n'
)


def test_an_iceberg_table_of_the_old_type_is_refused_and_the_documented_steps_repair_it(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, run_cli: CliRun
) -> None:
    """Iceberg cannot change timestamp to long: --rewrite-stale refuses on one line and changes nothing (the
    registry keeps TIMESTAMP, so the table stays refused); the steps troubleshooting.md gives (delete the
    table's files and registry, drop it from the embedded catalog, `etl --force`) give AWS's milliseconds."""
    import shutil
    import sqlite3

    iceberg = EtlSettings(table_format="iceberg")
    with monkeypatch.context() as before:
        before.setattr(clean_zone, "TIMESTAMP_TYPES", {})
        write_messages(lake.store, "/waf/a", WAF_DOCS, id_prefix="a")
        write_messages(lake.store, "/waf/b", WAF_DOCS[:2], id_prefix="b", stream="s2")
        run_etl(lake, pending_raw_objects(lake), iceberg, workers=1)
    path = lake.store.uri
    files = sorted(lake.store.list(""))
    assert run_cli("compact", "--lake", path, "--table", "waf_logs", "--rewrite-stale") == (1, "", ICEBERG_REFUSAL)
    assert sorted(lake.store.list("")) == files
    assert _refused(lake) == REFUSAL
    keys = sorted(list_raw_objects(lake.store))
    assert [f.reason for f in run_etl_objects(lake, keys, iceberg, force=True).failures] == [REFUSAL, REFUSAL]

    root = Path(path)  # docs/troubleshooting.md, "An Iceberg table of an earlier loglake", local lake
    for folder in ("clean/waf_logs", "state/skip_index/waf_logs"):
        shutil.rmtree(root / folder)
    for file in ("state/iceberg/tables/waf_logs.json", "schema/waf_logs.json"):
        (root / file).unlink()
    with sqlite3.connect(root / "state/iceberg/catalog.db") as catalog:
        catalog.execute("DELETE FROM iceberg_tables WHERE table_name = 'waf_logs'")
    (code, _out, err) = run_cli("etl", "--lake", path, "--force", "--table-format", "iceberg")
    assert code == 0, err
    assert _timestamps(lake) == LEGACY_MILLIS
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT typeof(timestamp), count(*) FROM waf_logs GROUP BY 1").rows == [("BIGINT", 8)]


@pytest.mark.parametrize("output_format", sorted(FORMATS))
def test_compaction_keeps_the_milliseconds_of_waf_logs(output_format: str, lake: Lake) -> None:
    """Compaction reads waf_logs' `timestamp` as either version wrote it and writes the contract's BIGINT:
    the milliseconds come back exact, in every output format."""
    from loglake.lake.compaction import compact

    records = [json.dumps({**json.loads(WAF_DOCS[0]), "timestamp": 1576280412771 + n}) for n in range(3)]
    write_messages(lake.store, "/waf/a", records[:2], id_prefix="a")
    write_messages(lake.store, "/waf/b", records[2:], id_prefix="b", stream="s2")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(output_format=output_format), workers=1)
    report = compact(lake.store, ["waf_logs"], older_than_s=0, target_bytes=1 << 30, grace_s=0)
    assert [(p.status, p.inputs, p.rows) for p in report.partitions] == [("compacted", 2, 3)]
    with DuckDBEngine(lake.store) as engine:
        got = engine.query("SELECT timestamp, typeof(timestamp), raw_object LIKE '%waf%2Fa%' FROM waf_logs").rows
    assert sorted(got) == [(1576280412771, "BIGINT", True), (1576280412772, "BIGINT", True),
                           (1576280412773, "BIGINT", False)]  # fmt: skip


def test_partition_of_reads_loglakes_and_icebergs_names_of_an_hour() -> None:
    from loglake.lake.clean_zone import partition_of

    assert partition_of("clean/logs/dt=2026-11-27/hour=05/0123456789abcdef01234567.parquet") == ("2026-11-27", 5)
    assert partition_of("clean/logs/data/dt=2026-11-27/hour=5/00000-0-a9ace14a.parquet") == ("2026-11-27", 5)
    assert partition_of("clean/logs/data/dt=2026-11-27/hour=23/00000-0-a9ace14a.parquet") == ("2026-11-27", 23)
    assert partition_of("clean/logs/data/dt=2026-11-27/hour=24/x.parquet") is None
    assert partition_of("clean/logs/metadata/00001-x.metadata.json") is None
    assert partition_of("clean/logs/dt=2026-11-27/hour=5/") is None  # a folder, not a file
