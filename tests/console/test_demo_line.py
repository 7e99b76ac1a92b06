"""The demo's "Console:" line starts the console as printed: its URL answers with the token, 403 without."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from loglake.lake.open import open_lake
from loglake.query.engine import DuckDBEngine


def test_the_demo_console_line_serves_the_demo_lake(tmp_path: Path) -> None:
    demo = subprocess.run(
        [sys.executable, "-m", "loglake", "demo", "--dir", "d", "--events", "2000", "--workers", "1"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    lines = [line for line in demo.stdout.splitlines() if line.startswith("Console: ")]
    assert len(lines) == 1
    command = lines[0].removeprefix("Console: ")
    assert command.endswith(" serve --lake d/lake")
    served = subprocess.Popen(
        command, shell=True, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert served.stdout is not None
        first = served.stdout.readline()
        assert first.startswith("loglake console for ") and first.endswith(
            "d/lake (duckdb); open this URL (it holds the access token):\n"
        )
        url = served.stdout.readline().strip()
        base, token = url.split("/?token=")
        assert base.startswith("http://127.0.0.1:")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/api/info", timeout=30)
        assert refused.value.code == 403
        request = urllib.request.Request(f"{base}/api/histogram", headers={"x-loglake-token": token})
        with urllib.request.urlopen(request, timeout=60) as answer:
            total = json.loads(answer.read())["total"]
        with DuckDBEngine(open_lake(str(tmp_path / "d" / "lake")).store) as engine:
            clean = engine.query("SELECT (SELECT count(*) FROM logs) + (SELECT count(*) FROM apache_logs)").rows[0][0]
        assert total == clean > 1900  # every clean event of the demo's day is in a bar
    finally:
        os.killpg(served.pid, signal.SIGTERM)
        served.wait(timeout=30)
