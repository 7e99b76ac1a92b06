"""Iceberg tables in S3 Tables (lake/iceberg_s3tables.py), against a moto server: the catalog over boto3's
`s3tables` calls, then the ETL, DuckDB's reads, verify and compact on such a table. What moto does not cover
is in docs/lake-layout.md (S3 Tables)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import orjson
import pytest
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType
from test_iceberg import ICEBERG
from test_iceberg import _json as json_messages
from test_iceberg import _query as query
from test_iceberg import _raw as raw_object
from test_iceberg import _verify as verify

from loglake.errors import ConfigError, StoreError
from loglake.lake import iceberg
from loglake.lake.compaction import compact
from loglake.lake.iceberg_s3tables import S3TablesCatalog, checked_table_bucket_arn, s3tables_catalog
from loglake.lake.keys import RawKey, manifest_key
from loglake.lake.open import Lake, open_lake
from loglake.pipeline import run_etl

SCHEMA = Schema(
    NestedField(1, "event_id", StringType(), required=False), NestedField(2, "n", LongType(), required=False)
)


@pytest.fixture
def table_bucket(aws: str) -> str:
    return str(boto3.client("s3tables").create_table_bucket(name="loglake-tables")["arn"])


def _pointer(arn: str, name: str = "logs") -> dict[str, str]:
    return dict(
        boto3.client("s3tables").get_table_metadata_location(tableBucketARN=arn, namespace="loglake", name=name)
    )


def test_catalog_creates_commits_and_loads_through_the_service(table_bucket: str) -> None:
    cat = s3tables_catalog(table_bucket)
    with pytest.raises(NoSuchTableError):
        cat.load_table(("loglake", "logs"))
    tbl = cat.create_table(("loglake", "logs"), SCHEMA, properties={"format-version": "2"})
    pointer = _pointer(table_bucket)
    warehouse = pointer["warehouseLocation"]
    assert warehouse.startswith("s3://") and warehouse.endswith("--table-s3")
    assert pointer["metadataLocation"] == tbl.metadata_location
    assert tbl.metadata_location.startswith(f"{warehouse}/metadata/00000-")
    assert tbl.location() == warehouse

    with tbl.transaction() as txn:
        txn.set_properties(owner="loglake")
    again = cat.load_table(("loglake", "logs"))
    assert again.properties["owner"] == "loglake"
    assert again.metadata_location == _pointer(table_bucket)["metadataLocation"] != pointer["metadataLocation"]
    assert again.metadata_location.startswith(f"{warehouse}/metadata/00001-")
    assert [n for t in cat.list_tables("loglake") for n in [t[1]]] == ["logs"]


def test_a_lost_version_token_race_is_commit_failed(table_bucket: str) -> None:
    """The second writer reads the pointer, then the first commits before the second's update: the service's
    version token has changed, and the second's commit fails as pyiceberg's CommitFailedException."""
    first_cat, second_cat = s3tables_catalog(table_bucket), s3tables_catalog(table_bucket)
    first_cat.create_table(("loglake", "logs"), SCHEMA)
    first, second = first_cat.load_table(("loglake", "logs")), second_cat.load_table(("loglake", "logs"))
    write = second_cat._write_metadata

    def first_commits_meanwhile(metadata: object, io: object, metadata_path: str) -> None:
        with first.transaction() as txn:
            txn.set_properties(writer="first")
        write(metadata, io, metadata_path)  # type: ignore[arg-type]

    second_cat._write_metadata = first_commits_meanwhile  # type: ignore[method-assign]
    with pytest.raises(CommitFailedException, match="version token"), second.transaction() as txn:
        txn.set_properties(writer="second")
    assert second_cat.load_table(("loglake", "logs")).properties["writer"] == "first"


def test_table_bucket_arn_is_checked_before_any_call() -> None:
    assert checked_table_bucket_arn("arn:aws:s3tables:us-east-1:123456789012:bucket/logs").endswith("/logs")
    with pytest.raises(ConfigError, match="list-table-buckets"):
        checked_table_bucket_arn("arn:aws:s3:::logs")


@pytest.fixture
def s3tables_lake(table_bucket: str) -> Lake:
    boto3.client("s3").create_bucket(Bucket="loglake-test")
    return open_lake("s3://loglake-test/lake", table_bucket_arn=table_bucket)


def _warehouse_keys(warehouse: str, keys: list[str]) -> list[bool]:
    """Whether each key is an object of the warehouse (one HEAD each: the bucket refuses listing)."""
    s3, bucket = boto3.client("s3"), warehouse.removeprefix("s3://")
    found = []
    for key in keys:
        try:
            s3.head_object(Bucket=bucket, Key=key)
            found.append(True)
        except s3.exceptions.ClientError:
            found.append(False)
    return found


def test_etl_commits_raw_objects_to_s3tables_and_duckdb_reads_them(s3tables_lake: Lake, table_bucket: str) -> None:
    lake = s3tables_lake
    keys = [raw_object(lake, f"s{s}", json_messages(3 + s)) for s in range(2)]
    results = run_etl(lake, keys, ICEBERG, workers=1)
    assert [r.skipped for r in results] == [False, False]

    pointer = _pointer(table_bucket)
    warehouse = pointer["warehouseLocation"]
    assert pointer["metadataLocation"].startswith(f"{warehouse}/metadata/")
    marker = orjson.loads(lake.store.get(iceberg.marker_key("logs")))
    assert marker == {
        "catalog": "s3tables",
        "identifier": "loglake.logs",
        "table_bucket_arn": table_bucket,
        "warehouse": warehouse,
    }
    files = iceberg.data_files(lake.store, "logs")
    assert sorted((rows, part) for _k, part, rows, _b in files) == [
        (3, "dt=2025-11-28/hour=00"),
        (4, "dt=2025-11-28/hour=00"),
    ]
    # the data files are in the table's warehouse, not in the lake
    assert _warehouse_keys(warehouse, [k for k, *_ in files]) == [True, True]
    assert not [
        k
        for k in boto3.client("s3").list_objects_v2(Bucket="loglake-test").get("Contents", [])
        if "/clean/" in k["Key"]
    ]
    summaries = iceberg.snapshot_summaries(lake.store, "logs")
    assert sorted(s[iceberg.RAW_OBJECT] for s in summaries) == sorted(keys)
    assert query(lake, "SELECT count(*), count(DISTINCT event_id), sum(n) FROM logs") == [(7, 7, 3 + 6)]
    verify(lake)

    # A re-run and a duplicate notification add nothing (the snapshot records the raw object's version).
    assert [r.skipped for r in run_etl(lake, keys, ICEBERG, workers=1)] == [True, True]
    assert len(iceberg.snapshot_summaries(lake.store, "logs")) == 2
    # A crash after the commit, before the manifest: the retry finds the object's key and version in the
    # snapshot summary and adds nothing (its new files, never referenced, are deleted).
    lake.store.delete(manifest_key(RawKey.parse(keys[0]).object_id))
    assert [r.skipped for r in run_etl(lake, [keys[0]], ICEBERG, workers=1)] == [False]
    assert len(iceberg.snapshot_summaries(lake.store, "logs")) == 2
    assert iceberg.data_files(lake.store, "logs") == files
    assert query(lake, "SELECT count(*) FROM logs") == [(7,)]
    # A re-drive replaces the object's rows in one commit (the service's pointer moves once).
    token = _pointer(table_bucket)["versionToken"]
    run_etl(lake, [keys[0]], ICEBERG, workers=1, force=True)
    assert _pointer(table_bucket)["versionToken"] != token
    assert len(iceberg.snapshot_summaries(lake.store, "logs")) == 3
    assert query(lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(7, 7)]
    verify(lake)

    # A fresh process (a new store) finds the table through its marker.
    again = open_lake("s3://loglake-test/lake", table_bucket_arn=table_bucket)
    assert query(again, "SELECT count(*) FROM logs") == [(7,)]


def test_a_commit_that_loses_the_race_is_retried_on_the_fresh_table(s3tables_lake: Lake, table_bucket: str) -> None:
    """Another writer commits (outside loglake's lease) between this run's read of the pointer and its update:
    the version token no longer matches, and the commit is retried on the table the other writer left."""
    lake = s3tables_lake
    first, second = raw_object(lake, "s0", json_messages(3)), raw_object(lake, "s1", json_messages(5))
    run_etl(lake, [first], ICEBERG, workers=1)
    real = S3TablesCatalog._write_metadata
    raced: list[str] = []

    def another_writer_commits_first(metadata: Any, io: Any, metadata_path: str) -> None:
        if not raced:
            raced.append(metadata_path)
            other = s3tables_catalog(table_bucket).load_table(("loglake", "logs"))
            with other.transaction() as txn:
                txn.set_properties(**{"other.writer": "yes"})
        real(metadata, io, metadata_path)

    with mock.patch.object(S3TablesCatalog, "_write_metadata", staticmethod(another_writer_commits_first)):
        [result] = run_etl(lake, [second], ICEBERG, workers=1)
    assert not result.skipped and len(raced) == 1
    tbl = s3tables_catalog(table_bucket).load_table(("loglake", "logs"))
    assert tbl.properties["other.writer"] == "yes"  # the other writer's commit kept, ours made on top of it
    assert tbl.metadata_location != raced[0]  # the lost attempt's metadata file is not the table's
    assert query(lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(8, 8)]
    verify(lake)


def test_compact_refuses_a_table_in_s3tables(
    s3tables_lake: Lake, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = s3tables_lake
    run_etl(lake, [raw_object(lake, "s0", json_messages(3))], ICEBERG, workers=1)
    with pytest.raises(ConfigError, match="lives in S3 Tables, which compacts it"):
        compact(lake.store, ["logs"], older_than_s=0, grace_s=0)
    monkeypatch.setenv("LOGLAKE_ICEBERG_CATALOG", "s3tables")
    monkeypatch.setenv("LOGLAKE_TABLE_BUCKET_ARN", lake.store.table_bucket_arn)  # type: ignore[attr-defined]
    code, out, err = run_cli("compact", "--lake", "s3://loglake-test/lake", "--table", "logs")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "loglake compact refused: the Iceberg table 'logs' lives in S3 Tables" in err
    # Not named: left to the service with a note, and the lake's other tables are compacted.
    code, out, err = run_cli("compact", "--lake", "s3://loglake-test/lake")
    assert (code, err) == (0, "left to S3 Tables, which compacts them itself: logs\n")
    assert out.startswith("compacted 0 table-hours: 0 files into 0")
    assert query(lake, "SELECT count(*) FROM logs") == [(3,)]


def test_an_s3tables_table_read_without_the_table_bucket_says_what_to_set(s3tables_lake: Lake) -> None:
    run_etl(s3tables_lake, [raw_object(s3tables_lake, "s0", json_messages(3))], ICEBERG, workers=1)
    plain = open_lake("s3://loglake-test/lake")
    with pytest.raises(ConfigError, match='set \\[iceberg\\] catalog = "s3tables" and table_bucket_arn'):
        query(plain, "SELECT count(*) FROM logs")


def test_s3tables_needs_an_s3_lake(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="S3 Tables \\(table_bucket_arn\\) needs an S3 lake"):
        open_lake(str(tmp_path / "lake"), table_bucket_arn="arn:aws:s3tables:us-east-1:123456789012:bucket/logs")
    assert list(tmp_path.iterdir()) == []  # refused before the lake's folder was made


def test_every_reader_of_an_s3tables_table_through_the_cli(
    s3tables_lake: Lake, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """query, search (with the skip index), status, verify and tables read the table through its snapshot;
    `query --explain` (it lists the table's folder) and `ddl` say what they do not do."""
    lake = s3tables_lake
    run_etl(lake, [raw_object(lake, "s0", json_messages(3, msg="hello world"))], ICEBERG, workers=1)
    run_etl(lake, [raw_object(lake, "s1", json_messages(2, msg="bye"))], ICEBERG, workers=1)
    monkeypatch.setenv("LOGLAKE_ICEBERG_CATALOG", "s3tables")
    monkeypatch.setenv("LOGLAKE_TABLE_BUCKET_ARN", lake.store.table_bucket_arn)  # type: ignore[attr-defined]
    at = ["--lake", "s3://loglake-test/lake"]

    code, out, _err = run_cli(
        "query", "SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM logs", *at, "--format", "csv"
    )
    assert (code, out) == (0, "n,d\n5,5\n")
    code, out, err = run_cli("search", "hello", *at)
    assert code == 0 and out.count("hello world") == 3
    assert "3 matches; read 1 of 2 files in range" in err and "1 skipped by the skip index" in err
    code, out, _err = run_cli("verify", *at)
    assert (code, out) == (0, "OK 2 raw objects: 5 raw events = 5 clean + 0 quarantined\n")
    code, out, _err = run_cli("status", *at)
    assert code == 0 and "2 raw objects, 0 pending" in out
    code, out, _err = run_cli("tables", *at)
    assert code == 0 and out.startswith("logs (")

    code, out, err = run_cli("query", "SELECT count(*) FROM logs", "--explain", *at)
    assert (code, out) == (1, "")
    assert err == (
        "error: query --explain does not support the Iceberg table 'logs' in S3 Tables (its storage cannot be "
        "listed): run the query without --explain\n"
    )
    code, out, err = run_cli("ddl", "logs", *at)
    assert code == 0, err
    assert out.startswith(
        '-- logs lives in S3 Tables: no DDL; Athena reads it as "s3tablescatalog/loglake-tables"."loglake"."logs"'
    )


def test_verify_on_athena_refuses_a_table_in_s3tables(s3tables_lake: Lake) -> None:
    """The scheduled check asks Athena about the Glue database, where an S3 Tables table is not: it says so
    before any query instead of failing on a missing table."""
    from loglake.query.conservation import check_conservation

    run_etl(s3tables_lake, [raw_object(s3tables_lake, "s0", json_messages(3))], ICEBERG, workers=1)
    engine = mock.Mock()
    with pytest.raises(ConfigError, match="verify on Athena does not support the Iceberg table\\(s\\) logs in S3"):
        check_conservation(engine, s3tables_lake.store, on_athena=True)
    assert engine.query.call_count == 0


def test_a_worker_that_saw_no_table_yet_writes_to_the_warehouse_once_another_created_it(
    s3tables_lake: Lake, table_bucket: str
) -> None:
    """A Lambda container remembers that `logs` was no S3 Tables table (it read a clean key before); another
    container then creates the table. The first one's next run must write to the table's warehouse, not to
    the lake (where S3 Tables' maintenance cannot reach its files)."""
    early = open_lake("s3://loglake-test/lake", table_bucket_arn=table_bucket)
    assert not early.store.exists("clean/logs/dt=2025-11-28/hour=00/x.parquet")  # remembered: not in S3 Tables
    run_etl(s3tables_lake, [raw_object(s3tables_lake, "s0", json_messages(3))], ICEBERG, workers=1)
    run_etl(early, [raw_object(early, "s1", json_messages(4))], ICEBERG, workers=1)
    warehouse = _pointer(table_bucket)["warehouseLocation"]
    files = iceberg.data_files(early.store, "logs")
    assert _warehouse_keys(warehouse, [k for k, *_ in files]) == [True, True]
    lake_objects = boto3.client("s3").list_objects_v2(Bucket="loglake-test").get("Contents", [])
    assert [o["Key"] for o in lake_objects if "/clean/" in o["Key"]] == []
    assert query(early, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(7, 7)]


def test_a_lake_opened_with_another_table_bucket_refuses_instead_of_reading_an_empty_table(
    s3tables_lake: Lake, table_bucket: str
) -> None:
    """The table lives in bucket A (its marker says so); a lake opened with bucket B read it as 0 rows and a
    writer made a stray table in B. Both are refused, naming both ARNs and the setting."""
    run_etl(s3tables_lake, [raw_object(s3tables_lake, "s0", json_messages(3))], ICEBERG, workers=1)
    other = str(boto3.client("s3tables").create_table_bucket(name="other-tables")["arn"])
    wrong = open_lake("s3://loglake-test/lake", table_bucket_arn=other)
    message = f"lives in the table bucket {table_bucket}, but this lake is configured with {other}: set"
    with pytest.raises(ConfigError, match=re.escape(message)):
        query(wrong, "SELECT count(*) FROM logs")
    with pytest.raises(ConfigError, match=re.escape(message)):
        iceberg.data_files(open_lake("s3://loglake-test/lake", table_bucket_arn=other).store, "logs")
    writer = open_lake("s3://loglake-test/lake", table_bucket_arn=other)
    with pytest.raises(ConfigError, match=re.escape(message)):
        run_etl(writer, [raw_object(writer, "s1", json_messages(4))], ICEBERG, workers=1)
    assert boto3.client("s3tables").list_tables(tableBucketARN=other)["tables"] == []
    assert query(s3tables_lake, "SELECT count(*) FROM logs") == [(3,)]


def test_a_table_deleted_in_s3tables_while_its_marker_stays_is_an_error_not_empty(
    s3tables_lake: Lake, table_bucket: str
) -> None:
    run_etl(s3tables_lake, [raw_object(s3tables_lake, "s0", json_messages(3))], ICEBERG, workers=1)
    boto3.client("s3tables").delete_table(tableBucketARN=table_bucket, namespace="loglake", name="logs")
    fresh = open_lake("s3://loglake-test/lake", table_bucket_arn=table_bucket)
    with pytest.raises(StoreError, match="the Iceberg table 'logs' is not in S3 Tables, though its marker"):
        query(fresh, "SELECT count(*) FROM logs")
    with pytest.raises(StoreError, match="NoSuchBucket"):  # the warehouse went with the table: nothing made anew
        run_etl(fresh, [raw_object(fresh, "s1", json_messages(4))], ICEBERG, workers=1)
    assert boto3.client("s3tables").list_tables(tableBucketARN=table_bucket)["tables"] == []


def test_a_table_created_but_not_committed_yet_reads_as_empty(s3tables_lake: Lake) -> None:
    iceberg._create_in_s3tables(s3tables_lake.store, "logs")
    assert iceberg.data_files(s3tables_lake.store, "logs") == []


def _service_compacts(table_bucket: str, store: Any) -> str:
    """What S3 Tables' own compaction does: the table's files rewritten into one under <warehouse>/data/, by
    one replace commit. Returns the new file's warehouse key."""
    import duckdb

    from loglake.lake import iceberg_files

    tbl = s3tables_catalog(table_bucket).load_table(("loglake", "logs"))
    warehouse = tbl.location().removeprefix("s3://")
    s3 = boto3.client("s3")
    tasks = list(tbl.scan().plan_files())
    with tempfile.TemporaryDirectory() as tmp:
        inputs = []
        for n, task in enumerate(tasks):
            path = Path(tmp) / f"in{n}.parquet"
            path.write_bytes(s3.get_object(Bucket=warehouse, Key=task.file.file_path.split("/", 3)[3])["Body"].read())
            inputs.append(str(path))
        out = Path(tmp) / "out.parquet"
        con = duckdb.connect()
        con.execute(f"COPY (SELECT * FROM read_parquet({inputs!r})) TO '{out}' (FORMAT parquet)")
        key = "data/0000-compacted-by-s3tables.parquet"
        s3.put_object(Bucket=warehouse, Key=key, Body=out.read_bytes())
        entry = iceberg_files.data_file(con, str(out), f"s3://{warehouse}/{key}", out.stat().st_size, tbl.metadata)
        con.close()
    with tbl.transaction() as txn, txn.update_snapshot().overwrite() as rewrite:
        for task in tasks:
            rewrite.delete_data_file(task.file)
        rewrite.append_data_file(entry)
    return key


def test_files_the_service_compacted_into_the_warehouse_are_read_searched_verified_and_redriven(
    s3tables_lake: Lake, table_bucket: str, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = s3tables_lake
    keys = [raw_object(lake, f"s{s}", json_messages(3 + s, msg=f"word{s}")) for s in range(2)]
    run_etl(lake, keys, ICEBERG, workers=1)
    compacted = _service_compacts(table_bucket, lake.store)

    fresh = open_lake("s3://loglake-test/lake", table_bucket_arn=table_bucket)
    files = iceberg.data_files(fresh.store, "logs")
    assert [(k, part, rows) for k, part, rows, _b in files] == [
        (f"clean/logs/@warehouse/{compacted}", "dt=2025-11-28/hour=00", 7)
    ]
    assert query(fresh, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(7, 7)]
    verify(fresh)
    monkeypatch.setenv("LOGLAKE_ICEBERG_CATALOG", "s3tables")
    monkeypatch.setenv("LOGLAKE_TABLE_BUCKET_ARN", table_bucket)
    code, out, _err = run_cli("search", "word1", "--lake", "s3://loglake-test/lake")
    assert code == 0 and out.count("word1") == 4

    # A re-drive of one object rewrites the shared file without its rows, next to it in the warehouse.
    run_etl(fresh, [keys[0]], ICEBERG, workers=1, force=True)
    assert query(fresh, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(7, 7)]
    after = sorted(k for k, *_ in iceberg.data_files(fresh.store, "logs"))
    assert len(after) == 2 and after[0].startswith("clean/logs/@warehouse/data/c-")
    assert after[1].startswith("clean/logs/dt=2025-11-28/hour=00/")
    warehouse = _pointer(table_bucket)["warehouseLocation"]
    assert _warehouse_keys(warehouse, [after[0].removeprefix("clean/logs/@warehouse/"), after[1]]) == [True, True]
    verify(fresh)


def test_a_process_opened_without_the_table_bucket_still_knows_the_table_is_in_s3tables(
    s3tables_lake: Lake, run_cli: Any
) -> None:
    """The deployed conservation Lambda and a laptop's CLI open the lake without the setting: the marker says
    where the table lives, so verify on Athena refuses and ddl prints no CREATE TABLE over an empty folder."""
    from loglake.query.conservation import check_conservation

    run_etl(s3tables_lake, [raw_object(s3tables_lake, "s0", json_messages(3))], ICEBERG, workers=1)
    plain = open_lake("s3://loglake-test/lake")
    assert iceberg.in_s3tables(plain.store, "logs")
    engine = mock.Mock()
    with pytest.raises(ConfigError, match="verify on Athena does not support the Iceberg table\\(s\\) logs in S3"):
        check_conservation(engine, plain.store, on_athena=True)
    assert engine.query.call_count == 0
    code, out, err = run_cli("ddl", "logs", "--lake", "s3://loglake-test/lake")
    assert code == 0, err
    assert "CREATE" not in out
    assert out.startswith(
        '-- logs lives in S3 Tables: no DDL; Athena reads it as "s3tablescatalog/loglake-tables"."loglake"."logs"'
    )


def test_a_marker_another_worker_wrote_is_never_overwritten(s3tables_lake: Lake, table_bucket: str) -> None:
    """Two workers creating the table write the same marker (the second finds it and goes on); a marker that
    names another warehouse, written between this worker's look and its write, is refused and kept."""
    iceberg._create_in_s3tables(s3tables_lake.store, "logs")
    written = s3tables_lake.store.get(iceberg.marker_key("logs"))
    iceberg._create_in_s3tables(open_lake("s3://loglake-test/lake", table_bucket_arn=table_bucket).store, "logs")
    assert s3tables_lake.store.get(iceberg.marker_key("logs")) == written

    other = {**orjson.loads(written), "warehouse": "s3://another--table-s3"}
    boto3.client("s3").put_object(
        Bucket="loglake-test", Key=f"lake/{iceberg.marker_key('logs')}", Body=orjson.dumps(other)
    )
    with pytest.raises(ConfigError, match=re.escape("already has a marker state/iceberg/tables/logs.json")):
        iceberg._create_in_s3tables(open_lake("s3://loglake-test/lake", table_bucket_arn=table_bucket).store, "logs")
    body = boto3.client("s3").get_object(Bucket="loglake-test", Key=f"lake/{iceberg.marker_key('logs')}")["Body"]
    assert orjson.loads(body.read()) == other


def test_a_worker_racing_another_that_creates_the_table_writes_to_it(s3tables_lake: Lake, table_bucket: str) -> None:
    """Worker B sees no marker, then worker A creates the table in S3 Tables before B checks the lake for hive
    files: that check lists the lake (where hive files live), not the warehouse, which refuses listing."""
    worker_b = open_lake("s3://loglake-test/lake", table_bucket_arn=table_bucket).store
    real = iceberg.is_iceberg
    looked: list[bool] = []

    def a_creates_the_table_after_b_looks(store: Any, table: str) -> bool:
        found = real(store, table)
        if not looked:
            looked.append(found)
            iceberg._create_in_s3tables(s3tables_lake.store, table)
        return found

    with mock.patch.object(iceberg, "is_iceberg", a_creates_the_table_after_b_looks):
        assert iceberg.uses_iceberg(worker_b, "logs", "iceberg") is True
    assert looked == [False]
    assert worker_b.warehouse("logs").bucket == _pointer(table_bucket)["warehouseLocation"].removeprefix("s3://")  # type: ignore[attr-defined]


def test_a_glue_tables_marker_is_read_once_per_store(aws: str) -> None:
    """catalog_kind asks the marker on every catalog lookup (each query, each commit) of an S3 lake without a
    table bucket: it is read once per store, and is_iceberg answers from that read."""
    from loglake.lake.s3_store import S3Store

    boto3.client("s3").create_bucket(Bucket="loglake-test")
    store = open_lake("s3://loglake-test/lake").store
    store.put(iceberg.marker_key("logs"), orjson.dumps({"catalog": "glue", "identifier": "loglake.logs"}))
    with (
        mock.patch.object(S3Store, "read_versioned", autospec=True, side_effect=S3Store.read_versioned) as reads,
        mock.patch.object(S3Store, "exists", autospec=True, side_effect=S3Store.exists) as heads,
    ):
        assert [iceberg.catalog_kind(store, "logs") for _ in range(3)] == ["glue", "glue", "glue"]
        assert [iceberg.is_iceberg(store, "logs") for _ in range(2)] == [True, True]
        assert not iceberg.is_iceberg(store, "other")
    assert (reads.call_count, heads.call_count) == (1, 1)


def test_a_warehouse_is_reached_in_its_table_buckets_region(aws: str) -> None:
    """The lake's client is in the environment's region (us-east-1 here); a table bucket in eu-west-1 has its
    warehouse there, so its objects are read and written by a client in eu-west-1 (moto's s3tables serves one
    region: the marker is written as the ETL writes it)."""
    from loglake.lake.table_bucket_store import TableBucketStore

    boto3.client("s3").create_bucket(Bucket="loglake-test")
    inner = open_lake("s3://loglake-test/lake").store
    for region, reused in (("eu-west-1", False), ("us-east-1", True)):
        arn = f"arn:aws:s3tables:{region}:123456789012:bucket/tables"
        store = TableBucketStore(inner, arn)
        marker = {"catalog": "s3tables", "identifier": "loglake.logs", "table_bucket_arn": arn}
        store.put(iceberg.marker_key("logs"), orjson.dumps({**marker, "warehouse": "s3://abc--table-s3"}))
        client = store.warehouse("logs").client
        assert (client.meta.region_name, client is inner.client) == (region, reused)  # type: ignore[attr-defined]
        inner.delete(iceberg.marker_key("logs"))


def test_warehouses_in_another_region_share_one_client(aws: str) -> None:
    """A lake with many tables in a table bucket of another region built one boto3 client per table."""
    from loglake.lake.table_bucket_store import TableBucketStore

    boto3.client("s3").create_bucket(Bucket="loglake-test")
    arn = "arn:aws:s3tables:eu-west-1:123456789012:bucket/tables"
    store = TableBucketStore(open_lake("s3://loglake-test/lake").store, arn)
    for table in ("a", "b"):
        marker = {"catalog": "s3tables", "identifier": f"loglake.{table}", "table_bucket_arn": arn}
        store.put(iceberg.marker_key(table), orjson.dumps({**marker, "warehouse": f"s3://{table}--table-s3"}))
    first, second = store.warehouse("a").client, store.warehouse("b").client
    assert (first.meta.region_name, first is second) == ("eu-west-1", True)


def test_a_table_in_another_table_bucket_fails_only_the_queries_that_read_it(
    s3tables_lake: Lake, table_bucket: str
) -> None:
    """The engine lists every table's warehouse at start: one marker naming another table bucket failed every
    query, over any table. Only reading that table is refused (naming both ARNs)."""
    run_etl(s3tables_lake, [raw_object(s3tables_lake, "s0", json_messages(3))], ICEBERG, workers=1)
    other = "arn:aws:s3tables:us-east-1:123456789012:bucket/other-tables"
    marker = {"catalog": "s3tables", "identifier": "loglake.old", "table_bucket_arn": other}
    body = orjson.dumps({**marker, "warehouse": "s3://old--table-s3"})
    boto3.client("s3").put_object(Bucket="loglake-test", Key=f"lake/{iceberg.marker_key('old')}", Body=body)
    fresh = open_lake("s3://loglake-test/lake", table_bucket_arn=table_bucket)
    assert query(fresh, "SELECT count(*) FROM logs") == [(3,)]
    message = (
        f"the Iceberg table 'old' lives in the table bucket {other}, but this lake is configured with {table_bucket}"
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        iceberg.data_files(fresh.store, "old")


def _delete_table_and_marker(table_bucket: str) -> None:
    """What docs/lake-layout.md tells an operator to do to start over a table deleted in S3 Tables."""
    boto3.client("s3tables").delete_table(tableBucketARN=table_bucket, namespace="loglake", name="logs")
    boto3.client("s3").delete_object(Bucket="loglake-test", Key=f"lake/{iceberg.marker_key('logs')}")


def test_a_warm_writer_reads_a_deleted_marker_again(s3tables_lake: Lake, table_bucket: str) -> None:
    """A warm ETL container remembered the marker: after the operator deleted the table and its marker,
    every run wrote to the deleted warehouse. The failing write drops what it remembered; the next run
    creates the table anew."""
    run_etl(s3tables_lake, [raw_object(s3tables_lake, "s0", json_messages(3))], ICEBERG, workers=1)
    old = _pointer(table_bucket)["warehouseLocation"]
    _delete_table_and_marker(table_bucket)
    key = raw_object(s3tables_lake, "s1", json_messages(4))
    with pytest.raises(StoreError, match="NoSuchBucket"):
        run_etl(s3tables_lake, [key], ICEBERG, workers=1)
    assert [r.skipped for r in run_etl(s3tables_lake, [key], ICEBERG, workers=1)] == [False]
    assert _pointer(table_bucket)["warehouseLocation"] != old
    assert orjson.loads(s3tables_lake.store.get(iceberg.marker_key("logs")))["warehouse"] != old
    assert query(s3tables_lake, "SELECT count(*) FROM logs") == [(4,)]


def test_a_warm_reader_reads_a_deleted_marker_again(s3tables_lake: Lake, table_bucket: str) -> None:
    """A catalog lookup that finds no table reads the marker again: one deleted since is said once (run
    again) and forgotten, not reported as a table missing from S3 Tables for the life of the process."""
    run_etl(s3tables_lake, [raw_object(s3tables_lake, "s0", json_messages(3))], ICEBERG, workers=1)
    warm = open_lake("s3://loglake-test/lake", table_bucket_arn=table_bucket)
    assert [rows for _k, _p, rows, _b in iceberg.data_files(warm.store, "logs")] == [3]
    _delete_table_and_marker(table_bucket)
    message = "the marker state/iceberg/tables/logs.json of the Iceberg table 'logs' was deleted since"
    with pytest.raises(StoreError, match=re.escape(message)):
        iceberg.data_files(warm.store, "logs")
    assert (iceberg.is_iceberg(warm.store, "logs"), iceberg.in_s3tables(warm.store, "logs")) == (False, False)
