"""Interrupted work is always finished by the next run, and verify names what is left (item 2)."""

from __future__ import annotations

from pathlib import Path

from conftest import CliRun


def lines(start: int, count: int) -> bytes:
    return b"".join(
        b"2026-11-26T10:%02d:%02dZ INFO line %d\n" % (i // 60 % 60, i % 60, i) for i in range(start, start + count)
    )


def test_ingest_after_an_interrupted_one_processes_every_pending_object(run_cli: CliRun, tmp_path: Path) -> None:
    log, lake = tmp_path / "app.log", str(tmp_path / "lake")
    log.write_bytes(lines(0, 120))
    # What Ctrl-C during the ETL of a large ingest leaves: raw objects written, none processed.
    assert run_cli("ingest", str(log), "--lake", lake, "--no-etl")[0] == 0

    code, out, err = run_cli("verify", "--lake", lake)
    assert code == 1
    assert "1 raw objects are pending (not processed by the ETL, so not queryable yet): raw/source=file/" in err
    assert f"run `loglake etl --lake {lake}`" in err

    with log.open("ab") as handle:
        handle.write(lines(120, 30))
    code, out, _err = run_cli("ingest", str(log), "--lake", lake)
    assert code == 0
    assert "30 events" in out  # the file resumed where it stopped ...
    assert "etl: 2 raw objects → 150 clean rows" in out  # ... and the earlier object was processed too
    assert run_cli("query", "--lake", lake, "-f", "csv", "SELECT count(*) AS n FROM logs")[1] == "n\n150\n"
    assert run_cli("verify", "--lake", lake)[0] == 0


def test_ingest_with_nothing_new_still_finishes_pending_objects(run_cli: CliRun, tmp_path: Path) -> None:
    log, lake = tmp_path / "app.log", str(tmp_path / "lake")
    log.write_bytes(lines(0, 10))
    assert run_cli("ingest", str(log), "--lake", lake, "--no-etl")[0] == 0
    code, out, _err = run_cli("ingest", str(log), "--lake", lake)
    assert code == 0
    assert "no new data" in out
    assert "etl: 1 raw objects → 10 clean rows" in out
    assert run_cli("verify", "--lake", lake)[0] == 0
