"""Summaries name the tables that received rows, and an empty answer says where the rows are (item 6)."""

from __future__ import annotations

from pathlib import Path

from conftest import CliRun

ACCESS = (
    b'203.0.113.9 - - [26/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8.0"\n'
    b'203.0.113.9 - - [26/Nov/2026:10:00:01 +0000] "GET /b HTTP/1.1" 404 - "-" "curl/8.0"\n'
)
APP = b'{"timestamp":"2026-11-26T10:00:02Z","level":"error","msg":"boom"}\n'


def test_ingest_names_tables_and_an_empty_query_points_at_them(run_cli: CliRun, tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    (tmp_path / "access.log").write_bytes(ACCESS)
    (tmp_path / "app.log").write_bytes(APP)
    code, out, _err = run_cli("ingest", str(tmp_path / "access.log"), "--lake", lake, "--log-group", "/web")
    assert code == 0
    assert "etl: 1 raw objects → 2 clean rows (apache_logs 2), 0 quarantined" in out
    code, out, _err = run_cli("ingest", str(tmp_path / "app.log"), "--lake", lake, "--log-group", "/app")
    assert "etl: 1 raw objects → 1 clean rows (logs 1), 0 quarantined" in out

    code, out, err = run_cli(
        "query", "--lake", lake, "-f", "csv", "SELECT count(*) AS n FROM logs WHERE log_group = '/web'"
    )
    assert (code, out) == (0, "n\n0\n")
    assert "hint: no rows from logs, but log group '/web' has events in other tables (2 in apache_logs)" in err

    # An answer that is empty because the filter excluded rows of the table read gets no hint.
    code, out, err = run_cli("query", "--lake", lake, "-f", "csv", "SELECT msg FROM logs WHERE level = 'DEBUG'")
    assert (code, out) == (0, "msg\n")
    assert "hint" not in err
