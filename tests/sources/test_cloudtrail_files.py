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
from loglake.lake.open import open_lake
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.sources.cloudtrail_files import parse_cloudtrail_file
from loglake.sources.cloudwatch_export import ExportError

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
