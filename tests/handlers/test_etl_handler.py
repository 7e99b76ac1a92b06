from __future__ import annotations

import copy
import re
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from conftest import load_event, write_messages
from loglake.errors import EventError, LeaseHeldError, RawObjectError
from loglake.handlers import etl as etl_handler
from loglake.lake.manifests import processed_raw_objects
from loglake.lake.open import Lake
from loglake.lake.s3_store import S3Store
from loglake.query.engine import DuckDBEngine
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform.settings import EtlSettings


def _event_for(key: str, bucket: str = "local") -> dict[str, object]:
    """The real S3 notification, filled in the way S3 fills it: bucket name and URL-encoded key."""
    event = copy.deepcopy(load_event("s3_object_created"))
    event["Records"][0]["s3"]["bucket"]["name"] = bucket
    event["Records"][0]["s3"]["object"]["key"] = quote_plus(key, safe="/")
    return event


def test_lambda_handler_processes_a_key_with_spaces_and_special_characters(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "my app+1 (prod).log"
    path.write_bytes(b'{"level":"error","msg":"x"}\nplain line\n')
    (key,) = FileSource(lake.store, FileSourceOptions(log_group="/aws/lambda/my fn")).ingest(str(path)).objects
    assert " " not in key and "%2F" in key

    monkeypatch.setenv("LOGLAKE_LAKE", lake.store.uri)
    response = etl_handler.handler(_event_for(key), context=None)
    assert response == {"processed": [key], "already_done": [], "catalog_updated": False}  # no Glue configured
    again = etl_handler.handler(_event_for(key), context=None)  # a duplicate notification is harmless
    assert again == {"processed": [], "already_done": [key], "catalog_updated": False}
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query("SELECT log_group, level, raw_object FROM logs ORDER BY event_id").rows
    assert rows == [("/aws/lambda/my fn", "ERROR", key), ("/aws/lambda/my fn", None, key)]


def test_events_for_another_bucket_or_layout_are_refused(lake: Lake) -> None:
    with pytest.raises(EventError, match="bucket 'sourcebucket'"):
        etl_handler.handle_s3_event(load_event("s3_object_created"), lake, EtlSettings())
    with pytest.raises(RawObjectError, match="not in the raw layout"):
        etl_handler.handle_s3_event(_event_for("Happy Face.jpg"), lake, EtlSettings())


def test_handler_needs_to_know_where_the_lake_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOGLAKE_LAKE", raising=False)
    with pytest.raises(EventError, match="LOGLAKE_LAKE is not set"):
        etl_handler.handler(load_event("s3_object_created"), context=None)


def test_the_s3_path_reads_raw_from_s3_and_writes_clean_to_s3(
    s3_lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "svc log (1).log"
    path.write_bytes(b'{"level":"warn","n":1}\n{"cut\n2026-11-26T10:00:00Z ERROR plain\n')
    (key,) = FileSource(s3_lake.store, FileSourceOptions(log_group="/aws/lambda/fn")).ingest(str(path)).objects
    object_key = s3_lake.object_key(key)
    assert object_key.startswith("lake/raw/")

    monkeypatch.setenv("LOGLAKE_LAKE", "s3://loglake-test/lake")
    assert etl_handler.handler(_event_for(object_key, bucket="loglake-test"), context=None) == {
        "processed": [key],
        "already_done": [],
        "catalog_updated": False,
    }
    outputs = sorted(s3_lake.store.list("clean/")) + sorted(s3_lake.store.list("quarantine/"))
    assert [o.split("/")[0] for o in outputs] == ["clean", "clean", "quarantine"]
    store = s3_lake.store
    assert isinstance(store, S3Store)
    store.reads.reset()
    with DuckDBEngine(store) as engine:
        assert engine.query("SELECT level, n FROM logs ORDER BY event_id").rows == [("WARN", 1), ("ERROR", None)]
        clean = [o for o in outputs if o.startswith("clean/") and o.endswith(".parquet")]
        assert sorted(store.reads.keys) == [f"loglake-test/lake/{o}" for o in clean]  # no raw object is read
        assert store.reads.gets >= 1 and store.reads.bytes > 0
        assert engine.query("SELECT reason FROM quarantine").rows == [("invalid_json",)]
    with pytest.raises(EventError, match="outside this lake"):
        etl_handler.handle_s3_event(
            _event_for("elsewhere/raw/x.json.gz", bucket="loglake-test"), s3_lake, EtlSettings()
        )


def test_raw_and_clean_in_different_buckets(aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    from loglake.lake.open import open_lake

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="raw-bucket")
    s3.create_bucket(Bucket="clean-bucket")
    lake = open_lake("s3://clean-bucket/lake", "s3://raw-bucket/logs")
    path = tmp_path / "a b.log"
    path.write_bytes(b"2026-11-26T10:00:00Z WARN disk low\n")
    (key,) = FileSource(lake.store, FileSourceOptions(log_group="g")).ingest(str(path)).objects
    raw_keys = [o["Key"] for o in s3.list_objects_v2(Bucket="raw-bucket")["Contents"]]
    assert raw_keys == [lake.object_key(key)] and raw_keys[0].startswith("logs/raw/")

    monkeypatch.setenv("LOGLAKE_LAKE", "s3://clean-bucket/lake")
    monkeypatch.setenv("LOGLAKE_RAW", "s3://raw-bucket/logs")
    assert etl_handler.handler(_event_for(raw_keys[0], bucket="raw-bucket"), context=None)["processed"] == [key]
    clean = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="clean-bucket")["Contents"])
    assert [k.split("/")[1] for k in clean] == ["clean", "schema", "state", "state", "state", "state", "state"]
    assert sorted(k.split("/")[2] for k in clean if k.split("/")[1] == "state") == [
        "etl",
        "file-identities",
        "files",
        "runs",
        "skip_index",  # the clean file's skip index, next to it in the lake (search reads it)
    ]
    assert not any(
        k.startswith("logs/clean") for k in (o["Key"] for o in s3.list_objects_v2(Bucket="raw-bucket")["Contents"])
    )
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT level, raw_object FROM logs").rows == [("WARN", key)]
        assert engine.query("SELECT count(*) FROM raw_events").rows == [(1,)]


def test_the_direct_handler_leaves_an_object_another_run_holds_and_processes_it_once_when_free(
    s3_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The direct path (EtlBatchSize 1) takes the lease `loglake etl --lake s3://...` takes
    (transform/leased_etl.py): while a re-drive holds an object the invocation fails, retryable, and
    writes nothing for it; once free the object is processed once, and a redelivery adds nothing."""
    write_messages(s3_lake.store, "/app/a", ['{"level":"info","n":1}', "{bad json", "plain text"])
    (key,) = s3_lake.store.list("raw/")
    event = _event_for(s3_lake.object_key(key), bucket="loglake-test")
    monkeypatch.setenv("LOGLAKE_LAKE", "s3://loglake-test/lake")
    with s3_lake.store.lease(f"etl/{key}") as held:
        assert held
        with pytest.raises(LeaseHeldError, match=f"another run holds the lease etl/{re.escape(key)};"):
            etl_handler.handler(event, context=None)
    written = [k for k in s3_lake.store.list("") if not k.startswith(("raw/", "state/runs/"))]
    assert written == []  # no clean, quarantine, registry or manifest write for the object
    assert etl_handler.handler(event, context=None) == {
        "processed": [key],
        "already_done": [],
        "catalog_updated": False,
    }
    assert etl_handler.handler(event, context=None) == {  # a redelivery
        "processed": [],
        "already_done": [key],
        "catalog_updated": False,
    }
    assert list(processed_raw_objects(s3_lake.store)) == [key]
    assert list(s3_lake.store.list("state/leases/")) == []  # released after each invocation
    with DuckDBEngine(s3_lake.store) as engine:
        assert engine.query("SELECT count(*) FROM logs").rows == [(2,)]
        assert engine.query("SELECT count(*) FROM quarantine").rows == [(1,)]
