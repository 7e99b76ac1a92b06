"""The demo's "Next:" line is a command that runs as printed, even when `loglake` is not on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from loglake.demo.run import loglake_command


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A fake venv: bin/python and bin/loglake, both plain files."""
    bin_dir = tmp_path / "proj" / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "loglake"):
        (bin_dir / name).write_text("#!/bin/sh\n")
    return bin_dir


def test_python_m_loglake_prints_the_script_beside_the_interpreter(venv: Path) -> None:
    main = "/somewhere/site-packages/loglake/__main__.py"
    project = venv.parent.parent
    assert loglake_command(main, str(venv / "python"), project, "") == ".venv/bin/loglake"
    elsewhere = project.parent / "other"
    assert loglake_command(main, str(venv / "python"), elsewhere, "") == str(venv / "loglake")


def test_the_script_as_run_and_bare_loglake_only_when_path_finds_it(venv: Path) -> None:
    project = venv.parent.parent
    script = str(venv / "loglake")
    assert loglake_command(script, str(venv / "python"), project, "") == ".venv/bin/loglake"
    assert loglake_command(script, str(venv / "python"), project, script) == "loglake"
    other = project / "loglake"
    other.write_text("#!/bin/sh\n")
    assert loglake_command(script, str(venv / "python"), project, str(other)) == ".venv/bin/loglake"
    assert loglake_command(str(other), str(venv / "python"), project, "") == "./loglake"


def test_without_a_script_it_is_python_m_loglake(tmp_path: Path) -> None:
    python = tmp_path / "my env" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")
    command = loglake_command("/x/loglake/__main__.py", str(python), tmp_path / "elsewhere", "")
    assert command == f"'{python}' -m loglake"


def test_the_demo_next_line_runs_as_printed(tmp_path: Path) -> None:
    bin_dir = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != bin_dir)
    env = {**os.environ, "PATH": path}
    demo = subprocess.run(
        [sys.executable, "-m", "loglake", "demo", "--dir", "d", "--events", "2000", "--workers", "1"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    next_lines = [line for line in demo.stdout.splitlines() if line.startswith("Next: ")]
    assert len(next_lines) == 1
    command = next_lines[0].removeprefix("Next: ")
    assert command.endswith(" query --lake d/lake 'SELECT level, count(*) FROM logs GROUP BY 1'")
    ran = subprocess.run(
        ["/bin/sh", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[0].split() == ["level", "_col_1"]
