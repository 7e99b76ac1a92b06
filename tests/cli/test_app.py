"""The command line as a user runs it: real files, real lake, exit codes and output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loglake.cli.app import app

runner = CliRunner()


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    path = tmp_path / "app.log"
    path.write_bytes(
        b'{"timestamp":"2026-11-26T10:00:00Z","level":"error","request":{"route":"/pay","ms":120}}\n'
        b"2026-11-26 10:00:01,000 ERROR [main] c.s.Svc - failed\n"
        b"java.lang.IllegalStateException: boom\n"
        b"\tat c.s.Svc.run(Svc.java:10)\n"
        b'{"timestamp":"2026-11-26T10:00:02Z", "cut\n'
    )
    return path


def test_ingest_query_verify(tmp_path: Path, logs: Path) -> None:
    lake = str(tmp_path / "lake")
    result = runner.invoke(app, ["ingest", str(logs), "--lake", lake, "--log-group", "/svc/pay"])
    assert result.exit_code == 0, result.output
    assert "3 events" in result.output
    assert "etl: 1 raw objects → 2 clean rows (logs 2), 1 quarantined" in result.output

    result = runner.invoke(
        app,
        ["query", "--lake", lake, "-f", "csv", "SELECT level, request_route, request_ms FROM logs ORDER BY timestamp"],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "level,request_route,request_ms\nERROR,/pay,120\nERROR,,\n"

    result = runner.invoke(app, ["verify", "--lake", lake, "--format", "json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert (report["ok"], report["raw_events"], report["clean_events"], report["quarantined_events"]) == (True, 3, 2, 1)
    assert len(report["objects"]) == 1

    result = runner.invoke(app, ["etl", "--lake", lake])
    assert "nothing to do" in result.stdout
    result = runner.invoke(app, ["tables", "--lake", lake])
    assert "request_route" in result.stdout and "/request/route" in result.stdout


def test_verify_fails_when_an_event_is_lost(tmp_path: Path, logs: Path) -> None:
    lake = tmp_path / "lake"
    assert runner.invoke(app, ["ingest", str(logs), "--lake", str(lake)]).exit_code == 0
    for path in (lake / "quarantine").rglob("*.json.gz"):
        path.unlink()
    result = runner.invoke(app, ["verify", "--lake", str(lake)])
    assert result.exit_code == 1
    assert "mismatch" in result.stdout and "FAILED" in result.stdout


def test_errors_are_one_line_without_traceback(tmp_path: Path, logs: Path) -> None:
    lake = str(tmp_path / "lake")
    assert runner.invoke(app, ["ingest", str(logs), "--lake", lake]).exit_code == 0
    cases = [
        (["ingest", str(tmp_path / "missing.log"), "--lake", lake], "no such file"),
        (["query", "--lake", lake, "DELETE FROM logs"], "only read-only queries"),
        (["query", "--lake", lake, "SELECT nope FROM logs"], "nope"),
    ]
    for args, message in cases:
        proc = subprocess.run([sys.executable, "-m", "loglake", *args], capture_output=True, text=True, check=False)
        assert proc.returncode == 1, proc.stderr
        assert message in proc.stderr
        assert "Traceback" not in proc.stderr
        assert proc.stderr.count("\n") == 1, proc.stderr


def test_saved_queries_from_the_command_line(tmp_path: Path, logs: Path) -> None:
    lake = str(tmp_path / "lake")
    assert runner.invoke(app, ["ingest", str(logs), "--lake", lake]).exit_code == 0
    listed = runner.invoke(app, ["saved"])
    assert "latency_by_route" in listed.stdout and "route=request_route" in listed.stdout
    result = runner.invoke(
        app, ["query", "--lake", lake, "-f", "csv", "--saved", "latency_by_route", "--param", "latency=request_ms"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "route,requests,p50,p95,p99\n/pay,1,120,120,120\n"
    both = runner.invoke(app, ["query", "SELECT 1", "--saved", "ingestion_lag", "--lake", lake])
    assert both.exit_code == 2
