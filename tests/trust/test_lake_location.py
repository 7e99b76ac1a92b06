"""A path that holds no lake is refused, never read as an empty lake (issue: no silent wrong answers, item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CliRun

LINES = b"2026-11-26T10:00:00Z ERROR one\n2026-11-26T10:00:01Z INFO two\n2026-11-26T10:00:02Z INFO three\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LOGLAKE_LAKE", raising=False)
    monkeypatch.delenv("LOGLAKE_RAW", raising=False)
    (tmp_path / "app.log").write_bytes(LINES)
    return tmp_path


@pytest.mark.parametrize(
    "command",
    [
        ["query", "SELECT count(*) FROM logs"],
        ["verify"],
        ["tables"],
        ["ddl"],
        ["etl"],
        ["query", "--saved", "errors_per_service_per_hour"],
    ],
)
def test_reading_commands_refuse_a_typo_d_lake(run_cli: CliRun, project: Path, command: list[str]) -> None:
    assert run_cli("ingest", str(project / "app.log"), "--lake", str(project / "lake"))[0] == 0
    code, out, err = run_cli(*command, "--lake", str(project / "lkae"))
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"error: no lake at {project / 'lkae'} (chosen by --lake);")
    assert f"loglake ingest FILE --lake {project / 'lkae'}" in err


def test_an_empty_folder_is_not_a_lake_that_verifies(run_cli: CliRun, project: Path) -> None:
    (project / "empty").mkdir()
    code, out, err = run_cli("verify", "--lake", str(project / "empty"), "--format", "json")
    assert (code, out) == (1, "")
    assert "no lake at" in err


def test_the_message_says_how_the_lake_was_chosen(
    run_cli: CliRun, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGLAKE_LAKE", str(project / "nowhere"))
    assert "(chosen by $LOGLAKE_LAKE)" in run_cli("tables")[2]
    monkeypatch.delenv("LOGLAKE_LAKE")
    sub = project / "sub"
    sub.mkdir()
    code, _out, err = run_cli("query", "SELECT 1", cwd=sub)
    assert code == 1
    assert f"no lake at {sub / 'lake'} (the default ./lake: no --lake, no $LOGLAKE_LAKE, and no loglake.toml" in err
    (project / "loglake.toml").write_text('lake = "elsewhere"\n')
    assert f"(chosen by {project / 'loglake.toml'})" in run_cli("verify", cwd=sub)[2]


def test_loglake_toml_is_found_in_a_folder_above(run_cli: CliRun, project: Path) -> None:
    (project / "loglake.toml").write_text('lake = "data/lake"\n[ingest]\nlog_group = "/svc/app"\n')
    assert run_cli("ingest", "app.log", cwd=project)[0] == 0
    deep = project / "src" / "module"
    deep.mkdir(parents=True)
    code, out, _err = run_cli("query", "-f", "csv", "SELECT log_group, count(*) AS n FROM logs GROUP BY 1", cwd=deep)
    assert (code, out) == (0, "log_group,n\n/svc/app,3\n")
    assert (project / "data" / "lake" / "raw").is_dir()


def test_demo_lake_means_the_lake(run_cli: CliRun, project: Path) -> None:
    lake = project / "x"
    code, _out, err = run_cli("demo", "--dir", str(project / "demo"), "--lake", str(lake), "--events", "1000")
    assert code == 0, err
    assert (lake / "raw").is_dir() and not (project / "demo" / "lake").exists()
    code, out, _err = run_cli("verify", "--lake", str(lake), "--format", "json")
    assert code == 0
    assert '"raw_events": 1000' in out


def test_demo_never_deletes_a_lake_it_did_not_make(run_cli: CliRun, project: Path) -> None:
    lake = project / "lake"
    assert run_cli("ingest", str(project / "app.log"), "--lake", str(lake))[0] == 0
    code, _out, err = run_cli("demo", "--dir", str(project / "demo"), "--lake", str(lake), "--events", "1000")
    assert code == 1
    assert "was not made by `loglake demo`; choose another --lake" in err
    assert run_cli("verify", "--lake", str(lake))[0] == 0
