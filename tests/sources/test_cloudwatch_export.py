from __future__ import annotations

import gzip
import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from loglake.cli.app import app
from loglake.errors import ConfigError, ExportError
from loglake.lake.open import open_lake
from loglake.lake.raw_zone import decode_batch, encode_batch
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.sources.cloudwatch_export import (
    EVENT_CAP_ENV,
    OBJECT_CAP_ENV,
    ImportLimits,
    import_export,
    parse_export_object,
)
from loglake.transform.settings import EtlSettings

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


CONTINUATIONS = 200_000


def test_an_event_with_200000_continuation_lines_is_one_event(aws: str, tmp_path: Path) -> None:
    """Issue 11: this object took 205 s (`+=` on a growing message); lines are collected and joined once."""
    body = b"2026-11-26T10:00:00.000Z ERROR boom\n" + b"".join(b"  frame %06d\n" % i for i in range(CONTINUATIONS))
    expected = "ERROR boom" + "".join(f"\n  frame {i:06d}" for i in range(CONTINUATIONS))
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="exports")
    s3.put_object(Bucket="exports", Key="out/task-1/stream-a/000000.gz", Body=gzip.compress(body))
    store = open_lake(str(tmp_path / "lake")).store
    report = import_export(store, "s3://exports/out/", "/aws/lambda/fn", client=s3)
    assert (report.objects_read, report.events, len(report.written), report.refused) == (1, 1, 1, [])
    stored = store.get(report.written[0])
    (record,) = decode_batch(stored)
    assert len(record["message"]) == 3_000_010
    assert record["message"] == expected
    assert record["event_id"].endswith("-000000000000")
    assert stored == encode_batch([record])  # built a record at a time, the same bytes as raw_zone's encoder
    # the parser reads a stream (an S3 body is never read whole): a file object gives the same record
    assert (
        parse_export_object(io.BytesIO(gzip.compress(body)), "out/task-1/stream-a/000000.gz", "g", "s")[0]["message"]
        == expected
    )


def test_a_carriage_return_inside_a_message_is_kept_verbatim() -> None:
    """Only '\\n' ends an export line; a lone '\\r' was a line break to splitlines(), which rewrote it as '\\n'."""
    data = gzip.compress(b"2026-11-26T10:00:00.000Z progress 10%\rprogress 20%\r\n2026-11-26T10:00:01.000Z next\r\n")
    records = parse_export_object(data, "x.gz", "g", "s")
    assert [r["message"] for r in records] == ["progress 10%\rprogress 20%", "next"]
    assert [r["event_id"][-12:] for r in records] == ["000000000000", "000000000052"]


def test_a_line_stamped_with_an_impossible_date_is_kept_for_the_etl_to_quarantine() -> None:
    data = gzip.compress(b"2026-11-26T10:00:00.000Z ok\n2026-13-45T10:00:00.000Z month 13\n")
    records = parse_export_object(data, "x.gz", "g", "s")
    assert [(r["timestamp"], r["message"]) for r in records] == [(1795687200000, "ok"), (-1, "month 13")]


def _put_export(s3: Any, key: str, body: bytes) -> None:
    s3.put_object(Bucket="exports", Key=key, Body=gzip.compress(body))


def test_objects_over_a_cap_are_quarantined_and_the_others_imported(
    aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="exports")
    _put_export(s3, "out/t/a/000000.gz", EXPORT)
    _put_export(s3, "out/t/b/000000.gz", b"2026-11-26T10:00:00.000Z line\n" * 100_000)  # 3 MB of small events
    _put_export(s3, "out/t/c/000000.gz", b"2026-11-26T10:00:00.000Z " + b"x" * 1_500_000 + b"\n")  # one 1.5 MB event
    monkeypatch.setenv(OBJECT_CAP_ENV, "2")
    monkeypatch.setenv(EVENT_CAP_ENV, "1")
    lake = open_lake(str(tmp_path / "lake"))
    report = import_export(lake.store, "s3://exports/out/", "/aws/lambda/fn", client=s3)
    assert (report.objects_read, report.events, len(report.written)) == (3, 3, 1)
    assert "stream=a/" in report.written[0]
    fix_b = f"{OBJECT_CAP_ENV}=4 loglake import-export s3://exports/out/ --log-group /aws/lambda/fn --kind export"
    fix_c = f"{EVENT_CAP_ENV}=2 loglake import-export s3://exports/out/ --log-group /aws/lambda/fn --kind export"
    assert [(r.object_url, r.reason, r.fix) for r in report.refused] == [
        ("s3://exports/out/t/b/000000.gz", "too_large", fix_b),
        ("s3://exports/out/t/c/000000.gz", "too_large", fix_c),
    ]
    assert report.refusal_message() == (
        "2 objects not imported, over a size cap (quarantined with reason too_large): "
        "s3://exports/out/t/b/000000.gz, s3://exports/out/t/c/000000.gz; "
        f"if genuine, raise the cap and re-run: `{fix_b}` or `{fix_c}`"
    )
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query(
            "SELECT raw_object, log_group, log_stream, message, source, reason, stage, detail FROM quarantine "
            "ORDER BY raw_object"
        ).rows
    assert rows == [
        (
            "s3://exports/out/t/b/000000.gz", "/aws/lambda/fn", "b", "", "export", "too_large", "import",
            f"s3://exports/out/t/b/000000.gz: decompressed size is over the cap of 2 MiB, so it was not imported; "
            f"if it is genuine: {fix_b}",
        ),
        (
            "s3://exports/out/t/c/000000.gz", "/aws/lambda/fn", "c", "", "export", "too_large", "import",
            f"s3://exports/out/t/c/000000.gz: one event is over the cap of 1 MiB, so it was not imported; "
            f"if it is genuine: {fix_c}",
        ),
    ]  # fmt: skip
    # Refused objects never reached the raw zone: the conservation check holds for what was imported.
    run_etl(lake, pending_raw_objects(lake), EtlSettings())
    with DuckDBEngine(lake.store) as engine:
        check = check_conservation(engine, lake.store)
    assert (check.ok, [o.status for o in check.objects], check.totals()["raw_events"]) == (True, ["ok"], 3)
    # the fix: a larger cap imports them, and their quarantine records are gone
    monkeypatch.setenv(OBJECT_CAP_ENV, "4")
    monkeypatch.setenv(EVENT_CAP_ENV, "2")
    again = import_export(lake.store, "s3://exports/out/", "/aws/lambda/fn", client=s3)
    assert (again.objects_read, again.events, len(again.written), again.refused) == (3, 100_004, 3, [])
    assert list(lake.store.list("quarantine/")) == []
    assert again.refusal_message() is None


def test_import_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ImportLimits.from_environment() == ImportLimits(256 << 20, 64 << 20)
    monkeypatch.setenv(OBJECT_CAP_ENV, "512")
    assert ImportLimits.from_environment() == ImportLimits(512 << 20, 64 << 20)
    for bad in ("0", "1.5", "lots"):
        monkeypatch.setenv(EVENT_CAP_ENV, bad)
        with pytest.raises(ConfigError, match=f"^{EVENT_CAP_ENV}='{re.escape(bad)}': give a whole number of MiB"):
            ImportLimits.from_environment()
