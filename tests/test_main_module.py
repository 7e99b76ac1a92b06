"""`python -m loglake` without one of the CLI's dependencies says which and how to get it; any other
ImportError (a bug, a broken checkout) keeps its traceback instead of a misleading hint about extras."""

from __future__ import annotations

import sys

import pytest

from loglake import __main__ as entry


def test_a_missing_cli_dependency_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in sys.modules if n == "loglake.cli.app" or n == "typer" or n.startswith("typer.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "typer", None)
    with pytest.raises(SystemExit) as exited:
        entry.run()
    assert exited.value.code == (
        "loglake's command line needs typer, which is not installed: pip install --upgrade loglake"
    )


def test_another_import_error_is_not_blamed_on_an_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "loglake.cli.app", None)  # as a module of loglake's that fails to import
    with pytest.raises(ImportError) as raised:
        entry.run()
    assert raised.value.name == "loglake.cli.app"
