"""A file is known by its identity whatever log group it is filed under (item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CliRun
from loglake.errors import ConfigError
from loglake.lake.open import Lake
from loglake.sources.local_files import FileSource, FileSourceOptions

LINES = b"2026-11-26T10:00:00Z ERROR one\n2026-11-26T10:00:01Z INFO two\n2026-11-26T10:00:02Z INFO three\n"


def count(run_cli: CliRun, lake: str) -> str:
    return run_cli(
        "query", "--lake", lake, "-f", "csv", "SELECT log_group, count(*) AS n FROM logs GROUP BY 1 ORDER BY 1"
    )[1]


def test_the_same_file_under_another_group_is_refused(run_cli: CliRun, tmp_path: Path) -> None:
    log, lake = tmp_path / "app.log", str(tmp_path / "lake")
    log.write_bytes(LINES)
    assert run_cli("ingest", str(log), "--lake", lake, "--log-group", "/svc/app")[0] == 0
    code, out, err = run_cli("ingest", str(log), "--lake", lake)  # the default group, `local`
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert "is already in the lake under log group '/svc/app'; ingesting it under 'local'" in err
    assert "`--log-group /svc/app`" in err and "--refile" in err
    assert count(run_cli, lake) == "log_group,n\n/svc/app,3\n"
    assert run_cli("verify", "--lake", lake)[0] == 0


def test_refile_files_it_under_both_on_purpose(run_cli: CliRun, tmp_path: Path) -> None:
    log, lake = tmp_path / "app.log", str(tmp_path / "lake")
    log.write_bytes(LINES)
    assert run_cli("ingest", str(log), "--lake", lake, "--log-group", "/a")[0] == 0
    assert run_cli("ingest", str(log), "--lake", lake, "--log-group", "/b", "--refile")[0] == 0
    assert count(run_cli, lake) == "log_group,n\n/a,3\n/b,3\n"
    # Resuming under either group reads nothing again.
    assert "no new data" in run_cli("ingest", str(log), "--lake", lake, "--log-group", "/a")[1]
    assert "no new data" in run_cli("ingest", str(log), "--lake", lake, "--log-group", "/b")[1]
    assert count(run_cli, lake) == "log_group,n\n/a,3\n/b,3\n"


def test_the_api_refuses_too_and_a_replaced_file_is_new_content(lake: Lake, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(LINES)
    FileSource(lake.store, FileSourceOptions(log_group="/a")).ingest(str(log))
    with pytest.raises(ConfigError, match="already in the lake under log group '/a'"):
        FileSource(lake.store, FileSourceOptions(log_group="/b")).ingest(str(log))
    log.write_bytes(b"another file entirely\n")
    assert FileSource(lake.store, FileSourceOptions(log_group="/b")).ingest(str(log)).events == 1


def test_two_runs_filing_one_file_under_two_groups_at_once_cannot_both_pass(lake: Lake, tmp_path: Path) -> None:
    """Each run checks before it reads; the record is then written compare-and-swap, so the run that files
    second sees the first's group and stops before writing a batch."""
    from loglake.sources import local_files

    log = tmp_path / "app.log"
    log.write_bytes(LINES)
    first = FileSource(lake.store, FileSourceOptions(log_group="/a"))
    second = FileSource(lake.store, FileSourceOptions(log_group="/b"))
    assert first.refusal(str(log)) is None and second.refusal(str(log)) is None  # both checked: nothing filed yet
    fingerprint = local_files._fingerprint(LINES.splitlines(keepends=True)[0])
    first._record_filing(log.resolve(), fingerprint)
    with pytest.raises(ConfigError, match="already in the lake under log group '/a'"):
        second._record_filing(log.resolve(), fingerprint)
    assert list(lake.store.list("raw/")) == []


def test_a_compressed_file_is_refused_not_read_as_text(run_cli: CliRun, tmp_path: Path) -> None:
    """Rotated logs are often gzip (`app.log.2.gz`, CloudFront's deliveries): read as lines, the compressed
    bytes landed in `logs` as text and the command said OK."""
    import gzip

    log, lake = tmp_path / "app.log.2.gz", str(tmp_path / "lake")
    log.write_bytes(gzip.compress(LINES))
    code, out, err = run_cli("ingest", str(log), "--lake", lake, "--log-group", "/svc/my app")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert f"{log} is gzip-compressed: its bytes would land as text." in err
    assert f"`zcat {log} | loglake ingest - --log-group '/svc/my app'`" in err  # runs as printed
    assert not (tmp_path / "lake" / "raw").exists()
    # A text log that merely starts with bzip2's three letters is text.
    text = tmp_path / "jobs.log"
    text.write_bytes(b"BZh-job started\nBZh-job done\n")
    assert run_cli("ingest", str(text), "--lake", lake)[0] == 0
