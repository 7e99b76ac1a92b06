"""./dev installs what each command needs, says so on one line first, and keeps its record right.

A fake interpreter logs each call instead of creating a venv or running pip, so this runs in milliseconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

DEV = Path(__file__).resolve().parents[2] / "dev"

FAKE_PYTHON = """#!/bin/sh
echo "$0 $*" | sed "s|^$PWD/||" >> "$CALLS"
if [ "$*" = "-m venv .venv" ]; then mkdir -p .venv/bin && cp "$0" .venv/bin/python; fi
exit 0
"""

PIP = ".venv/bin/python -m pip install --quiet --disable-pip-version-check -e .[{}]"
PYTEST = ".venv/bin/python -m pytest -n logical --dist loadfile"
"""The whole suite on every core, a file per worker at a time (pytest-xdist)."""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(DEV, tmp_path / "dev")
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    python = tmp_path / "fake-python"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return tmp_path


def dev(project: Path, *args: str) -> tuple[int, list[str], str]:
    """Run ./dev; return its exit code, the interpreter calls it made, and its stderr."""
    calls = project / "calls.log"
    calls.unlink(missing_ok=True)
    env = {**os.environ, "PYTHON": str(project / "fake-python"), "CALLS": str(calls)}
    proc = subprocess.run(["./dev", *args], cwd=project, env=env, capture_output=True, text=True, check=False)
    made = calls.read_text().splitlines() if calls.exists() else []
    return proc.returncode, made, proc.stderr


def make_older(path: Path, than: Path) -> None:
    stat = than.stat()
    os.utime(path, ns=(stat.st_atime_ns - 10**9, stat.st_mtime_ns - 10**9))


def test_demo_installs_the_cli_extras_only_and_says_so(project: Path) -> None:
    code, calls, stderr = dev(project, "demo", "--events", "10")
    assert code == 0, stderr
    assert calls == [
        "fake-python -c import sys; sys.exit(0 if sys.version_info >= (3, 11) else "
        '"loglake needs Python 3.11 or newer: set PYTHON=python3.11 (or newer)")',
        "fake-python -m venv .venv",
        PIP.format("cli"),
        ".venv/bin/python -m loglake demo --events 10",
    ]
    assert stderr == (
        f"creating .venv with {project}/fake-python...\n"
        "installing loglake and what the demo needs (.[cli]) into .venv...\n"
    )
    assert (project / ".venv" / ".installed").read_text() == "cli\n"
    assert dev(project, "demo") == (0, [".venv/bin/python -m loglake demo"], "")


def test_a_demo_venv_gets_the_dev_extras_for_the_tests_and_keeps_them(project: Path) -> None:
    dev(project, "demo")
    code, calls, stderr = dev(project, "test", "-q")
    assert code == 0, stderr
    assert calls == [PIP.format("dev"), f"{PYTEST} -q"]
    assert stderr == (
        "installing loglake and the tests' toolchain (.[dev]: moto, pytest, ruff, mypy, cfn-lint) into .venv...\n"
    )
    assert (project / ".venv" / ".installed").read_text() == "dev\n"
    assert dev(project, "test") == (0, [PYTEST], "")
    assert dev(project, "demo") == (0, [".venv/bin/python -m loglake demo"], "")


def test_a_newer_pyproject_reinstalls(project: Path) -> None:
    dev(project, "test")
    marker = project / ".venv" / ".installed"
    make_older(marker, than=project / "pyproject.toml")
    assert dev(project, "test")[1] == [PIP.format("dev"), PYTEST]
    make_older(marker, than=project / "pyproject.toml")
    assert dev(project, "demo")[1] == [PIP.format("cli"), ".venv/bin/python -m loglake demo"]
    assert marker.read_text() == "cli\n"
    assert dev(project, "test")[1] == [PIP.format("dev"), PYTEST]


def test_an_empty_record_from_the_old_script_means_dev(project: Path) -> None:
    dev(project, "test")
    (project / ".venv" / ".installed").write_text("")
    assert dev(project, "test") == (0, [PYTEST], "")


def test_an_unknown_command_installs_nothing(project: Path) -> None:
    code, calls, stderr = dev(project, "tests")
    assert (code, calls, stderr) == (2, [], "usage: ./dev demo [ARGS] | ./dev test [ARGS]\n")
    assert not (project / ".venv").exists()
