"""Headers remembered per stream (issue 13, item 3): a VPC flow log file in a custom format, split by
`ingest` into several raw objects, has its header only in the first; every object's records must still be
typed in the header's order, whatever order the objects are processed in, each event counted once.

The records are ours (Apache-2.0), in the custom format of the VPC guide's example header."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from loglake.lake.keys import RawKey
from loglake.lake.open import Lake
from loglake.lake.raw_zone import list_raw_objects
from loglake.lake.stream_headers import remembered
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform import etl
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings

HEADER = (
    "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport "
    "pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status"
)


def _record(n: int) -> str:
    return (
        f"3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 "
        f"123456789010 IPv4 10.0.0.{n} 10.0.1.9 {40000 + n} 443 10.0.0.{n} 10.0.1.9 6 {100 * n} {n} "
        f"{1700000000 + 60 * n} {1700000060 + 60 * n} ACCEPT 2 OK"
    )


RECORDS = [_record(n) for n in range(1, 8)]
EXPECTED = [
    (f"10.0.0.{n}", 40000 + n, 443, 100 * n, n, "vpc-abcdefab012345678", "IPv4", f"10.0.0.{n}", 2) for n in range(1, 8)
]


def _ingest(lake: Lake, tmp_path: Path) -> list[str]:
    path = tmp_path / "123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20231114T2210Z_hash.log"
    path.write_text("\n".join([HEADER, *RECORDS]) + "\n")
    FileSource(lake.store, FileSourceOptions(log_group="/vpc/custom", batch_events=2)).ingest(str(path))
    return sorted(list_raw_objects(lake.store))


def _typed(lake: Lake) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with DuckDBEngine(lake.store) as engine:
        flows = engine.query(
            "SELECT srcaddr, srcport, dstport, bytes, packets, vpc_id, type, pkt_srcaddr, tcp_flags "
            "FROM vpc_flow_logs ORDER BY srcport"
        ).rows
        text = engine.query("SELECT format, message FROM logs").rows
        report = check_conservation(engine, lake.store)
    assert report.ok
    assert (report.totals()["clean_events"], report.totals()["quarantined_events"]) == (8, 0)
    return flows, text


def test_every_object_of_a_split_custom_format_file_is_typed(lake: Lake, tmp_path: Path) -> None:
    keys = _ingest(lake, tmp_path)
    assert len(keys) == 4  # the header and the first record, then two records per object
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    flows, text = _typed(lake)
    assert flows == EXPECTED
    assert text == [("text", HEADER)]


def test_objects_processed_before_the_header_are_read_again_when_it_arrives(lake: Lake, tmp_path: Path) -> None:
    keys = _ingest(lake, tmp_path)
    settings = EtlSettings()
    for key in reversed(keys):  # the header's object last: the others land as text first
        process_raw_object(lake.store, key, settings)
    flows, text = _typed(lake)
    assert flows == EXPECTED
    assert text == [("text", HEADER)]
    assert remembered(lake.store, keys[-1]) == {"vpc_flow_log": HEADER.split(" ")}
    assert RawKey.parse(keys[0]).range.startswith("000000000000000-")


def test_a_retried_header_object_reruns_nothing(lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = _ingest(lake, tmp_path)
    settings = EtlSettings()
    run_etl(lake, pending_raw_objects(lake), settings, workers=1)
    runs: list[str] = []
    original = etl.process_raw_object

    def counted(store: Any, key: str, *args: Any, **kwargs: Any) -> Any:
        runs.append(key)
        return original(store, key, *args, **kwargs)

    monkeypatch.setattr(etl, "process_raw_object", counted)
    etl.process_raw_object(lake.store, keys[0], settings, force=True)  # a retry of the header's object
    etl.process_raw_object(lake.store, keys[2], settings, force=True)  # and of a later one
    assert runs == [keys[0], keys[2]]  # the header is known already: nothing else is read again
    flows, _text = _typed(lake)
    assert flows == EXPECTED


CF_FIELDS = "#Fields: date time c-ip sc-status cs-uri-stem x-edge-result-type c-country asn"
CF_RECORDS = [f"2024-11-0{n}\t10:00:0{n}\t192.0.2.{n}\t{200 + n}\t/page/{n}\tHit\tUS\t1650{n}" for n in range(1, 6)]


def test_a_split_cloudfront_file_with_a_field_selection_is_typed_by_name(lake: Lake, tmp_path: Path) -> None:
    """Standard logging v2 writes the selected fields in its `#Fields` order: every object of the file is read
    by name, in any processing order; fields outside the guide's list go to extra_fields."""
    path = tmp_path / "E2EXAMPLE.2024-11-01-10.abcd.log"
    path.write_text("\n".join(["#Version: 1.0", CF_FIELDS, *CF_RECORDS]) + "\n")
    FileSource(lake.store, FileSourceOptions(log_group="/cf/v2", batch_events=2)).ingest(str(path))
    keys = sorted(list_raw_objects(lake.store))
    assert len(keys) == 4
    for key in reversed(keys):
        process_raw_object(lake.store, key, EtlSettings())
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query(
            "SELECT date, time, request_ip, status, uri, result_type, bytes, extra_fields, timestamp "
            "FROM cloudfront_logs ORDER BY time"
        ).rows
        assert engine.query("SELECT message FROM logs ORDER BY message").rows == [(CF_FIELDS,), ("#Version: 1.0",)]
        assert check_conservation(engine, lake.store).ok
    assert [row[1:8] for row in rows] == [
        (f"10:00:0{n}", f"192.0.2.{n}", 200 + n, f"/page/{n}", "Hit", None, f'{{"c-country":"US","asn":"1650{n}"}}')
        for n in range(1, 6)
    ]
    assert [(row[0].isoformat(), row[8].isoformat()) for row in rows] == [
        (f"2024-11-0{n}", f"2024-11-0{n}T10:00:0{n}") for n in range(1, 6)
    ]


def test_a_split_cloudfront_file_in_the_guide_s_order_is_typed(lake: Lake, tmp_path: Path) -> None:
    """AWS's example log file (tests/events/aws_formats/cloudfront_docs.log), cut into objects of two lines."""
    sample = Path(__file__).parents[1] / "events" / "aws_formats" / "cloudfront_docs.log"
    path = tmp_path / "E2EXAMPLE.2019-12-13-22.abcd.log"
    path.write_bytes(sample.read_bytes())
    FileSource(lake.store, FileSourceOptions(log_group="/cf/docs", batch_events=2)).ingest(str(path))
    keys = sorted(list_raw_objects(lake.store))
    assert len(keys) == 4
    for key in reversed(keys):
        process_raw_object(lake.store, key, EtlSettings())
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT count(*), sum(bytes), count(c_port) FROM cloudfront_logs").rows == [(6, 3876, 6)]
        assert engine.query("SELECT count(*) FROM logs").rows == [(2,)]
        assert check_conservation(engine, lake.store).ok


def test_a_cloudfront_field_selection_that_starts_with_the_epoch_time(lake: Lake, tmp_path: Path) -> None:
    """v2's `timestamp(ms)` in place of date and time: records start with no date, and are still read."""
    path = tmp_path / "E2EXAMPLE.2024-11-01-11.abcd.log"
    records = [f"17304552000{n}0\t198.51.100.{n}\t50{n}\t/x/{n}" for n in range(3)]
    path.write_text("\n".join(["#Version: 1.0", "#Fields: timestamp(ms) c-ip sc-status cs-uri-stem", *records]) + "\n")
    FileSource(lake.store, FileSourceOptions(log_group="/cf/ms")).ingest(str(path))
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query(
            "SELECT request_ip, status, uri, level, extra_fields, timestamp FROM cloudfront_logs ORDER BY uri"
        ).rows
    assert [row[:5] for row in rows] == [
        (f"198.51.100.{n}", 500 + n, f"/x/{n}", "ERROR", '{"timestamp(ms)":"17304552000' + f'{n}0"}}') for n in range(3)
    ]
    assert [row[5].isoformat(timespec="milliseconds") for row in rows] == [
        "2024-11-01T10:00:00.000",
        "2024-11-01T10:00:00.010",
        "2024-11-01T10:00:00.020",
    ]
