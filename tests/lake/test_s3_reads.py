"""Queries over an S3 lake read objects in place (lake/s3_files.py): partitions are pruned before any GET,
and a Parquet scan fetches its footer and the column chunks it needs, not whole objects (issue 12, item 4).
All against the moto S3 server over HTTP."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest

from conftest import write_messages
from loglake.errors import QueryError
from loglake.lake.open import Lake
from loglake.lake.s3_store import S3Store
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings

HOUR_7 = 1_795_935_600_000
"""2026-11-29T07:00:00Z in ms."""


def _events(hour_ms: int, count: int, tag: str) -> list[str]:
    """JSON events with a wide, incompressible column (so whole objects are much larger than one column)."""
    return [
        orjson.dumps(
            {
                "ts": hour_ms + i * 1000,
                "level": "ERROR" if i % 10 == 0 else "INFO",
                "blob": "".join(hashlib.sha256(f"{tag}{i}.{j}".encode()).hexdigest() for j in range(8)),
            }
        ).decode()
        for i in range(count)
    ]


@pytest.fixture
def two_hours(s3_lake: Lake) -> S3Store:
    """Hours 07 and 09 of 2026-11-29, 3,000 events each, one raw object per hour, ETL'd to Parquet."""
    for n, hour_ms in enumerate((HOUR_7, HOUR_7 + 2 * 3_600_000)):
        write_messages(s3_lake.store, "/app", _events(hour_ms, 3000, str(n)), id_prefix=f"h{n}-", timestamp=hour_ms)
    run_etl(s3_lake, pending_raw_objects(s3_lake), EtlSettings(), workers=1)
    store = s3_lake.store
    assert isinstance(store, S3Store)
    return store


def _sizes(store: S3Store, prefix: str) -> dict[str, int]:
    listed = store.client.list_objects_v2(Bucket=store.bucket, Prefix=store.prefix + prefix)["Contents"]
    return {f"{store.bucket}/{item['Key']}": int(item["Size"]) for item in listed}


def test_one_column_of_one_hour_fetches_only_that_hours_footers_and_chunks(two_hours: S3Store) -> None:
    store = two_hours
    clean = _sizes(store, "clean/logs/")
    hour_7 = {key: size for key, size in clean.items() if "/hour=07/" in key}
    assert len(clean) == 2 and len(hour_7) == 1
    store.reads.reset()
    with DuckDBEngine(store) as engine:
        rows = engine.query("SELECT level, count(*) FROM logs WHERE dt = DATE '2026-11-29' AND hour = 7 GROUP BY 1")
    assert sorted(rows.rows) == [("ERROR", 300), ("INFO", 2700)]
    assert set(store.reads.keys) == set(hour_7)  # no raw object, no file of hour 09, not even its footer
    (size,) = hour_7.values()
    assert size > 500_000
    assert store.reads.bytes < size / 20, (store.reads.snapshot(), size)
    assert store.reads.gets == 2, store.reads.snapshot()  # the footer (once, though bound twice), the chunk


def test_a_query_without_partition_conditions_still_reads_columns_not_objects(two_hours: S3Store) -> None:
    store = two_hours
    total = sum(_sizes(store, "clean/logs/").values())
    store.reads.reset()
    with DuckDBEngine(store) as engine:
        assert engine.query("SELECT count(*) FROM logs WHERE level = 'ERROR'").rows == [(600,)]
    assert {key.split("/hour=")[1][:2] for key in store.reads.keys} == {"07", "09"}
    assert all("/clean/logs/" in key for key in store.reads.keys)
    assert store.reads.bytes < total / 5, (store.reads.snapshot(), total)


def test_verify_reads_raw_objects_and_only_the_clean_columns_it_counts(two_hours: S3Store) -> None:
    store = two_hours
    raw, clean = _sizes(store, "raw/"), _sizes(store, "clean/logs/")
    store.reads.reset()
    with DuckDBEngine(store) as engine:
        report = check_conservation(engine, store)
    assert report.ok and report.totals() == {"raw_events": 6000, "clean_events": 6000, "quarantined_events": 0}
    fetched = store.reads.keys
    assert set(fetched) == set(raw) | set(clean)
    assert sum(fetched[key] for key in raw) == sum(raw.values())  # gzip is read whole, in few GETs
    assert sum(fetched[key] for key in clean) < sum(clean.values()) / 20, store.reads.snapshot()
    assert store.reads.gets <= 8, store.reads.snapshot()


def test_the_sandbox_still_refuses_what_is_not_the_lake(two_hours: S3Store, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    with DuckDBEngine(two_hours) as engine:
        for sql in (
            f"SELECT * FROM read_csv('{secret}')",
            "SELECT * FROM read_parquet('loglakes3://loglake-test/other/*.parquet')",
            "SELECT * FROM read_text('loglakes3://another-bucket/x')",
        ):
            with pytest.raises(QueryError, match="queries read only the lake s3://loglake-test/lake/"):
                engine.query(sql, dialect="duckdb")


def test_nothing_is_written_locally(two_hours: S3Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with DuckDBEngine(two_hours) as engine:
        assert engine.query("SELECT count(*) FROM raw_events").rows == [(6000,)]
        assert engine.query("SELECT count(*) FROM logs").rows == [(6000,)]
    assert not (tmp_path / "cache").exists() and not (tmp_path / "home").exists()


def test_explain_on_s3_counts_the_chunks_a_query_needs(two_hours: S3Store) -> None:
    from loglake.query.explain import explain

    store = two_hours
    with DuckDBEngine(store) as engine:
        (plan,) = explain(engine, "SELECT level FROM logs WHERE hour = 7")
        store.reads.reset()
        rows = engine.query("SELECT level FROM logs WHERE hour = 7").rows
    assert (len(rows), plan.partitions, len(plan.files), plan.table_files) == (3000, [("2026-11-29", 7)], 1, 2)
    assert plan.files[0].startswith("loglakes3://loglake-test/lake/clean/logs/dt=2026-11-29/hour=07/")
    assert 0 < plan.bytes < plan.table_bytes / 50
    footer = 16_384  # DuckDB reads a file's last 16 KiB for its footer
    assert plan.bytes <= store.reads.bytes <= plan.bytes + footer, (plan.bytes, store.reads.snapshot())


def test_only_a_missing_key_is_not_found_a_refusal_says_what_it_was() -> None:
    """A HEAD that S3 refuses (403) or throttles is an error about that object, not "no such file"."""
    import boto3
    from botocore.stub import Stubber

    from loglake.lake.s3_files import FetchCounter, s3_filesystem, url

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    fs = s3_filesystem({"b": client}, FetchCounter())
    with Stubber(client) as stub:
        stub.add_client_error("head_object", "404", "Not Found", 404)
        stub.add_client_error("head_object", "AccessDenied", "Access Denied", 403)
        with pytest.raises(FileNotFoundError):
            fs.info(url("b", "gone.parquet"))
        with pytest.raises(OSError, match=r"cannot read s3://b/denied\.parquet: .*AccessDenied") as refused:
            fs.info(url("b", "denied.parquet"))
    assert not isinstance(refused.value, FileNotFoundError)
