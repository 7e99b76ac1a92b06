"""An S3 object read in ranges is pinned to the version it was listed at (If-Match on every GET): an object
rewritten under the same key while a query reads it (etl --force, compaction, the collector) fails the
query with one line that says to run it again, never an answer mixing two versions (review item 3).
On the moto S3 server over HTTP (moto honours If-Match on GetObject)."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import write_messages
from loglake.errors import QueryError
from loglake.lake.open import Lake
from loglake.lake.s3_files import CHANGED, url
from loglake.lake.s3_store import S3Store
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings


def _store(lake: Lake) -> S3Store:
    store = lake.store
    assert isinstance(store, S3Store)
    return store


def test_a_file_rewritten_between_two_ranged_reads_fails_instead_of_mixing_versions(s3_lake: Lake) -> None:
    store = _store(s3_lake)
    store.put("clean/x/one.parquet", b"a" * 1000)
    fs = store.filesystem()
    fs.find(url(store.bucket, store.prefix + "clean"))  # the listing gives size and ETag
    with fs.open(url(store.bucket, store.prefix + "clean/x/one.parquet")) as file:
        assert file.read(10) == b"a" * 10
        store.put("clean/x/one.parquet", b"b" * 1000)  # same size, other bytes: only the ETag tells
        file.seek(500)
        with pytest.raises(OSError) as failed:
            file.read(10)
    assert str(failed.value) == f"s3://{store.bucket}/{store.prefix}clean/x/one.parquet: {CHANGED}"
    assert store.reads.gets == 1
    fs.invalidate_cache()  # the next query lists again and reads the new version
    with fs.open(url(store.bucket, store.prefix + "clean/x/one.parquet")) as file:
        assert file.read(3) == b"bbb"


def test_a_query_whose_parquet_file_is_rewritten_mid_read_says_run_it_again(
    s3_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_messages(s3_lake.store, "/app", [f'{{"n": {i}}}' for i in range(50)], id_prefix="a-")
    run_etl(s3_lake, pending_raw_objects(s3_lake), EtlSettings(), workers=1)
    store = _store(s3_lake)
    (clean_key,) = [k for k in store.list("clean/logs/") if k.endswith(".parquet")]
    original = store.get(clean_key)
    real_get = store.client.get_object
    rewritten: list[str] = []

    def get_then_rewrite(**kwargs: Any) -> Any:
        response = real_get(**kwargs)
        if kwargs["Key"].endswith(".parquet") and not rewritten:  # after the footer, before the chunks
            store.put(clean_key, original[:-8] + b"\0" * 4 + b"PAR1")  # another version, same size
            rewritten.append(kwargs["Key"])
        return response

    monkeypatch.setattr(store.client, "get_object", get_then_rewrite)
    with DuckDBEngine(store) as engine, pytest.raises(QueryError) as failed:
        engine.query("SELECT * FROM logs")
    assert len(rewritten) == 1
    assert str(failed.value) == f"s3://{store.bucket}/{store.prefix}{clean_key}: {CHANGED}"
    store.put(clean_key, original)
    with DuckDBEngine(store) as engine:
        assert len(engine.query("SELECT * FROM logs").rows) == 50


def test_a_raw_object_rewritten_before_its_read_is_not_taken_for_unreadable(
    s3_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gzip object read after its listing was rewritten fails with CHANGED, which is no content error: verify
    and the ETL retry such an object instead of setting it aside as unreadable (lake/unreadable.py)."""
    import duckdb

    from loglake.lake.unreadable import is_content_error

    write_messages(s3_lake.store, "/app", ['{"n": 1}', '{"n": 2}'], id_prefix="r-")
    store = _store(s3_lake)
    assert len(list(store.list("raw/"))) == 1
    real_get = store.client.get_object

    def rewrite_then_get(**kwargs: Any) -> Any:
        if kwargs["Key"].endswith(".json.gz"):  # rewritten after the listing, before the first GET
            store.client.put_object(Bucket=store.bucket, Key=kwargs["Key"], Body=b"\x1f\x8b other version")
        return real_get(**kwargs)

    with DuckDBEngine(store) as engine:
        engine.ensure_views({"raw_events"})
        monkeypatch.setattr(store.client, "get_object", rewrite_then_get)
        with pytest.raises(duckdb.Error) as failed:
            engine.con.execute("SELECT count(*) FROM raw_events").fetchall()
    assert CHANGED in str(failed.value)
    assert not is_content_error(failed.value)
