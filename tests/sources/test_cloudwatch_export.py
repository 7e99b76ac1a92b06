from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from loglake.cli.app import app
from loglake.lake.open import open_lake
from loglake.query.engine import DuckDBEngine
from loglake.sources.cloudwatch_export import ExportError, parse_export_object

EXPORT = (
    b"2026-11-26T10:00:00.000Z START RequestId: 6f0d Version: $LATEST\n"
    b"2026-11-26T10:00:00.120Z ERROR boom\n"
    b"Traceback (most recent call last):\n"
    b'  File "h.py", line 1\n'
    b'2026-11-26T10:00:01.500Z {"level":"info","n":2}\n'
)


def test_export_lines_become_events_with_stable_ids() -> None:
    records = parse_export_object(gzip.compress(EXPORT), "exp/task-1/stream-a/000000.gz", "/aws/lambda/fn", "stream-a")
    assert [(r["timestamp"], r["message"]) for r in records] == [
        (1795687200000, "START RequestId: 6f0d Version: $LATEST"),
        (1795687200120, 'ERROR boom\nTraceback (most recent call last):\n  File "h.py", line 1'),
        (1795687201500, '{"level":"info","n":2}'),
    ]
    again = parse_export_object(gzip.compress(EXPORT), "exp/task-1/stream-a/000000.gz", "/aws/lambda/fn", "stream-a")
    assert [r["event_id"] for r in records] == [r["event_id"] for r in again]
    assert len({r["event_id"] for r in records}) == 3
    with pytest.raises(ExportError, match="not a gzip export object"):
        parse_export_object(EXPORT, "x.gz", "g", "s")
    with pytest.raises(ExportError, match="does not start with a timestamp"):
        parse_export_object(gzip.compress(b"no stamp\n"), "x.gz", "g", "s")


def test_import_export_from_s3(aws: str, tmp_path: Path) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="exports")
    s3.put_object(Bucket="exports", Key="out/task-1/stream-a/000000.gz", Body=gzip.compress(EXPORT))
    s3.put_object(Bucket="exports", Key="out/task-1/aws-logs-write-test", Body=b"Permission Check Successful")
    lake = str(tmp_path / "lake")
    result = CliRunner().invoke(
        app, ["import-export", "s3://exports/out/", "--log-group", "/aws/lambda/fn", "--lake", lake]
    )
    assert result.exit_code == 0, result.output
    assert "1 export objects, 3 events" in result.output
    with DuckDBEngine(open_lake(lake).store) as engine:
        rows = engine.query("SELECT log_stream, level, source, format FROM logs ORDER BY timestamp").rows
        start = engine.query("SELECT type, request_id, version, timestamp FROM lambda_platform").rows
    assert rows == [("stream-a", "ERROR", "export", "stack_trace"), ("stream-a", "INFO", "export", "json")]
    assert start == [("START", "6f0d", "$LATEST", datetime(2026, 11, 26, 10, 0))]
    missing = CliRunner().invoke(app, ["import-export", "s3://exports/none/", "--log-group", "g", "--lake", lake])
    assert missing.exit_code == 1 and "no export objects" in str(missing.exception)
