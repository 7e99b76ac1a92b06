"""Terminal habits: `loglake --version`, help without type noise, a row limit for tables on screen."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loglake import __version__
from loglake.cli.app import app

runner = CliRunner()

COMMANDS = [
    ["ingest"], ["etl"], ["collect"], ["import-export"], ["init"], ["query"], ["saved"], ["verify"], ["tables"],
    ["ddl"], ["demo"], ["package"], ["template"], ["deploy"], ["destroy"], ["version"], ["catalog", "sync"], [],
]  # fmt: skip


def test_version_option_and_command_print_the_version() -> None:
    for args in (["--version"], ["version"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert result.stdout == f"{__version__}\n"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "loglake")
def test_help_has_no_type_noise(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "120"}, terminal_width=120)
    assert result.exit_code == 0, result.output
    assert re.findall(r"<[a-z\[\]|,]+>", result.stdout) == []
    assert "--help" in result.stdout


def test_help_shows_plain_metavars_and_defaults_in_words() -> None:
    result = runner.invoke(app, ["ingest", "--help"], prog_name="loglake", env={"COLUMNS": "120"}, terminal_width=120)
    lines = [" ".join(line.strip("│ ").split()) for line in result.stdout.splitlines()]
    assert "Usage: loglake ingest [OPTIONS] {PATHS}..." in lines
    assert "* PATHS Files, globs (quote them), or - for stdin. [required]" in lines
    assert "--log-group TEXT Log group for these files (default: local)." in lines
    assert "--workers N Raw objects processed side by side." in lines
    assert "--etl --no-etl Run the ETL on every pending raw object. [default: etl]" in lines
    assert "--help Show this message and exit." in lines


@pytest.fixture
def lake(tmp_path: Path) -> str:
    logs = tmp_path / "app.log"
    logs.write_text('{"timestamp":"2026-11-26T10:00:00Z","level":"info","msg":"a"}\n')
    lake = str(tmp_path / "lake")
    assert runner.invoke(app, ["ingest", str(logs), "--lake", lake]).exit_code == 0
    return lake


ROWS_1005 = "SELECT x FROM UNNEST(sequence(1, 1005)) AS t(x)"
HINT = (
    "5 of 1,005 rows not shown: raise the limit with --limit N, show all with --all, or save them with "
    "--out FILE (.csv, .json, .parquet)\n"
)


def test_a_table_shows_1000_rows_and_says_how_to_see_the_rest(lake: str) -> None:
    result = runner.invoke(app, ["query", "--lake", lake, ROWS_1005])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:3] == ["   x", "----", "   1"]
    assert lines[-2:] == ["1000", "(first 1,000 of 1,005 rows)"]
    assert len(lines) == 1003
    assert result.stderr.startswith(HINT)
    assert result.stderr.count("\n") == 2  # the hint, then the engine's timing line


def test_limit_and_all_choose_the_rows_shown(lake: str) -> None:
    sql = "SELECT x FROM UNNEST(sequence(1, 5)) AS t(x)"
    limited = runner.invoke(app, ["query", "--lake", lake, "--limit", "2", sql])
    assert limited.exit_code == 0, limited.output
    assert limited.stdout == "x\n-\n1\n2\n(first 2 of 5 rows)\n"
    assert limited.stderr.startswith(
        "3 of 5 rows not shown: raise the limit with --limit N, show all with --all, or save them with --out FILE "
        "(.csv, .json, .parquet)\n"
    )
    everything = runner.invoke(app, ["query", "--lake", lake, "--all", sql])
    assert everything.stdout == "x\n-\n1\n2\n3\n4\n5\n(5 rows)\n"
    assert "not shown" not in everything.stderr
    exact = runner.invoke(app, ["query", "--lake", lake, "--limit", "5", sql])
    assert exact.stdout == everything.stdout
    assert "not shown" not in exact.stderr


def test_csv_json_and_out_are_never_cut(lake: str, tmp_path: Path) -> None:
    csv_result = runner.invoke(app, ["query", "--lake", lake, "-f", "csv", ROWS_1005])
    assert csv_result.stdout == "x\n" + "".join(f"{n}\n" for n in range(1, 1006))
    assert "not shown" not in csv_result.stderr
    json_result = runner.invoke(app, ["query", "--lake", lake, "-f", "json", ROWS_1005])
    assert json.loads(json_result.stdout) == [{"x": n} for n in range(1, 1006)]
    saved = tmp_path / "all.csv"
    table = runner.invoke(app, ["query", "--lake", lake, "--out", str(saved), ROWS_1005])
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[-1] == "(first 1,000 of 1,005 rows)"
    assert saved.read_text() == csv_result.stdout
    assert table.stderr.startswith(f"saved 1,005 rows to {saved}\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "0"], "--limit must be 1 or more, not 0 (--all shows every row)"),
        (["--limit", "3", "--all"], "give either --limit N or --all"),
        (["-f", "csv", "--limit", "3"], "--limit and --all cut only the table; --format csv prints every row"),
        (["-f", "json", "--all"], "--limit and --all cut only the table; --format json prints every row"),
    ],
)
def test_limit_mistakes_are_usage_errors(lake: str, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["query", "--lake", lake, *args, "SELECT 1"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert message in result.output


def test_loglake_alone_prints_the_help_and_no_empty_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "loglake"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr == ""
    assert "Usage: loglake [OPTIONS] COMMAND [ARGS]..." in proc.stdout


def test_usage_errors_name_loglake_also_under_python_m(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "loglake", "catalog", "nope"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr == "error: No such command 'nope'. (see `loglake catalog --help`)\n"
