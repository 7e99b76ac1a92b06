"""Terminal habits: `loglake --version`, help without type noise, a row limit for tables on screen."""

from __future__ import annotations

import re

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
