"""The S3 store against a moto server over HTTP."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from loglake.errors import StoreError
from loglake.lake.open import Lake, open_lake
from loglake.lake.s3_store import S3Store


def test_objects_round_trip_under_the_prefix(s3_lake: Lake) -> None:
    store = s3_lake.store
    store.put("raw/b/2.json.gz", b"two")
    store.put("raw/a/1.json.gz", b"one")
    store.put("clean/x.parquet", b"x")
    assert store.get("raw/a/1.json.gz") == b"one"
    assert list(store.list("raw/")) == ["raw/a/1.json.gz", "raw/b/2.json.gz"]
    assert store.exists("clean/x.parquet") and not store.exists("clean/y.parquet")
    listed = boto3.client("s3").list_objects_v2(Bucket="loglake-test")["Contents"]
    assert sorted(o["Key"] for o in listed) == ["lake/clean/x.parquet", "lake/raw/a/1.json.gz", "lake/raw/b/2.json.gz"]
    store.delete("clean/x.parquet")
    store.delete("clean/x.parquet")
    with pytest.raises(StoreError, match="no object"):
        store.get("clean/x.parquet")
    with pytest.raises(StoreError, match="unsafe"):
        store.put("../escape", b"x")


def test_listing_pages_past_a_thousand_keys(s3_lake: Lake) -> None:
    for i in range(1005):
        s3_lake.store.put(f"state/k{i:05d}", b"")
    assert len(list(s3_lake.store.list("state/"))) == 1005


def test_compare_and_swap_uses_conditional_writes(s3_lake: Lake) -> None:
    store = s3_lake.store
    assert store.put_if("schema/logs.json", b"v1", None)
    assert not store.put_if("schema/logs.json", b"v1 again", None)
    data, version = store.read_versioned("schema/logs.json")
    assert data == b"v1"
    assert store.put_if("schema/logs.json", b"v2", version)
    assert not store.put_if("schema/logs.json", b"v3", version)
    assert store.get("schema/logs.json") == b"v2"


def test_glob_names_objects_in_place_and_follows_changes(s3_lake: Lake, tmp_path: Path) -> None:
    """No mirror: DuckDB reads the objects through the store's filesystem, so a change shows at once."""
    import duckdb

    from loglake.query.engine import register_lake

    store = s3_lake.store
    store.put("clean/logs/dt=2026-11-26/hour=01/a.parquet", b"a")
    store.put("clean/logs/dt=2026-11-26/hour=02/b.parquet", b"b")
    store.put("clean/other/dt=2026-11-26/hour=01/c.parquet", b"c")
    located = store.glob("clean/logs/*/*/*.parquet")
    assert located == "loglakes3://loglake-test/lake/clean/logs/*/*/*.parquet"
    con = duckdb.connect()
    register_lake(con, store)
    read = f"SELECT substr(filename, 31), content FROM read_text('{located}') ORDER BY 1"
    assert con.execute(read).fetchall() == [
        ("clean/logs/dt=2026-11-26/hour=01/a.parquet", "a"),
        ("clean/logs/dt=2026-11-26/hour=02/b.parquet", "b"),
    ]
    store.put("clean/logs/dt=2026-11-26/hour=01/a.parquet", b"changed")
    store.delete("clean/logs/dt=2026-11-26/hour=02/b.parquet")
    assert con.execute(read).fetchall() == [("clean/logs/dt=2026-11-26/hour=01/a.parquet", "changed")]
    assert not list(tmp_path.rglob("*.parquet"))


def test_missing_bucket_is_a_clear_error(aws: str) -> None:
    store = S3Store("no-such-bucket", "lake")
    with pytest.raises(StoreError, match="NoSuchBucket"):
        store.put("raw/x", b"x")
    with pytest.raises(StoreError, match="NoSuchBucket"):
        list(store.list("raw/"))


def test_open_lake_understands_s3_urls(aws: str) -> None:
    lake = open_lake("s3://my-bucket/some/prefix")
    assert (lake.raw_bucket, lake.store.uri) == ("my-bucket", "s3://my-bucket/some/prefix/")
