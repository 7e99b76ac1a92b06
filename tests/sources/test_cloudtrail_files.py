"""CloudTrail log files from S3: one raw event, then one cloudtrail_logs row, per record."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from conftest import EVENTS
from loglake.cli.app import app
from loglake.errors import ExportError
from loglake.lake.open import open_lake
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.sources.cloudtrail_files import parse_cloudtrail_file
from loglake.sources.cloudwatch_export import EVENT_CAP_ENV, OBJECT_CAP_ENV, import_export

TRAIL = json.loads((EVENTS / "aws_formats" / "cloudtrail_otel.json").read_text())
KEY = "AWSLogs/123456789012/CloudTrail/us-east-1/2023/07/19/123456789012_CloudTrail_us-east-1_20230719T2100Z_x.json.gz"


def test_each_record_is_one_event_with_cloudtrails_own_id() -> None:
    records = parse_cloudtrail_file(gzip.compress(json.dumps(TRAIL).encode()), KEY, "cloudtrail", "us-east-1")
    assert len(records) == len(TRAIL["Records"]) == 7
    assert [r["event_id"] for r in records] == [r["eventID"] for r in TRAIL["Records"]]
    assert json.loads(records[0]["message"]) == TRAIL["Records"][0]
    with pytest.raises(ExportError, match="no Records list"):
        parse_cloudtrail_file(b'{"hello": 1}', KEY, "cloudtrail", "s")
    with pytest.raises(ExportError, match="not a CloudTrail log file"):
        parse_cloudtrail_file(b"\x1f\x8bnot gzip", KEY, "cloudtrail", "s")


def test_import_cloudtrail_files_from_s3(aws: str, tmp_path: Path) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="trail")
    s3.put_object(Bucket="trail", Key=KEY, Body=gzip.compress(json.dumps(TRAIL).encode()))
    lake = str(tmp_path / "lake")
    result = CliRunner().invoke(
        app,
        ["import-export", "s3://trail/AWSLogs/", "--log-group", "cloudtrail", "--kind", "cloudtrail", "--lake", lake],
    )
    assert result.exit_code == 0, result.output
    with DuckDBEngine(open_lake(lake).store) as engine:
        rows = engine.query("SELECT count(*), count(DISTINCT eventid), min(eventtime) FROM cloudtrail_logs").rows
        assert rows == [(7, 7, min(r["eventTime"] for r in TRAIL["Records"]))]
        assert check_conservation(engine, engine.store).ok


def test_cloudtrail_files_over_a_cap_are_quarantined_and_the_others_imported(
    aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="trail")
    big = {"Records": [dict(TRAIL["Records"][0], eventID=f"id-{i}") for i in range(2_000)]}  # ~2.6 MB of JSON
    huge_record = {"Records": [dict(TRAIL["Records"][0], requestParameters={"blob": "x" * 1_100_000})]}
    s3.put_object(Bucket="trail", Key=KEY, Body=gzip.compress(json.dumps(TRAIL).encode()))
    s3.put_object(Bucket="trail", Key=KEY.replace("_x.", "_big."), Body=gzip.compress(json.dumps(big).encode()))
    s3.put_object(
        Bucket="trail", Key=KEY.replace("_x.", "_huge."), Body=gzip.compress(json.dumps(huge_record).encode())
    )
    monkeypatch.setenv(OBJECT_CAP_ENV, "2")
    monkeypatch.setenv(EVENT_CAP_ENV, "1")
    store = open_lake(str(tmp_path / "lake")).store
    report = import_export(store, "s3://trail/AWSLogs/", "cloudtrail", client=s3, kind="cloudtrail")
    assert (report.objects_read, report.events, len(report.written)) == (3, 7, 1)
    trail = "s3://trail/" + KEY.rsplit("_", 1)[0]
    assert [(r.object_url, r.reason, r.detail.split(", so it")[0]) for r in report.refused] == [
        (f"{trail}_big.json.gz", "too_large", f"{trail}_big.json.gz: decompressed size is over the cap of 2 MiB"),
        (f"{trail}_huge.json.gz", "too_large", f"{trail}_huge.json.gz: record 0 is over the cap of 1 MiB"),
    ]
    assert sorted(r.quarantine_key for r in report.refused) == list(store.list("quarantine/"))
    assert len(set(store.list("quarantine/"))) == 2
