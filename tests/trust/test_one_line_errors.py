"""Every error a user can cause is one line on stderr, with what fixes it, and a non-zero exit (item 8).

Run through the real entry point (`python -m loglake`), as a shell runs it: 1 when loglake could not do
what was asked, 2 when the command line itself is wrong.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ACCESS = (
    b'203.0.113.9 - - [26/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8.0"\n'
    b'203.0.113.9 - - [26/Nov/2026:10:00:01 +0000] "GET /b HTTP/1.1" 404 - "-" "curl/8.0"\n'
)


def loglake(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loglake", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("errors")
    (folder / "access.log").write_bytes(ACCESS)
    assert loglake("ingest", "access.log", "--lake", "lake", cwd=folder).returncode == 0
    return folder


def no_aws_region() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return dict(env, AWS_CONFIG_FILE="/nonexistent/config", AWS_SHARED_CREDENTIALS_FILE="/nonexistent/credentials")


CASES: list[tuple[str, list[str], int, str, str | None]] = [
    # name, arguments, exit code, text the line must hold, text it must not hold
    ("collect without a region", ["collect", "/aws/lambda/x", "--lake", "lake"], 1, "export AWS_REGION=", None),
    ("athena without a region", ["query", "--lake", "lake", "--engine", "athena", "SELECT 1"], 1, "AWS_REGION", None),
    ("typo'd table", ["query", "--lake", "lake", "SELECT * FROM log"], 1, "apache_logs", "pg_collation"),
    ("syntax error", ["query", "--lake", "lake", "SELECT 1 * FROM apache_logs"], 1, "syntax", "<class"),
    ("saved query column absent", ["query", "--lake", "lake", "--saved", "latency_by_route"], 1, "--param", "Binder"),
    ("init over a file", ["init", "access.log"], 1, "loglake init --force access.log", None),
    ("unknown option", ["query", "--nope", "SELECT 1"], 2, "No such option: --nope", None),
    ("unknown command", ["frobnicate"], 2, "No such command 'frobnicate'", None),
    ("bad time", ["collect", "/x", "--start", "yesterday"], 2, "--start must be ISO 8601", None),
]


@pytest.mark.parametrize(("name", "args", "code", "says", "never"), CASES, ids=[c[0] for c in CASES])
def test_errors_are_one_line(lake: Path, name: str, args: list[str], code: int, says: str, never: str | None) -> None:
    proc = loglake(*args, cwd=lake, env=no_aws_region())
    assert proc.returncode == code, proc.stderr
    assert proc.stderr.startswith("error: ")
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert says in proc.stderr
    if never is not None:
        assert never not in proc.stderr


def test_a_mistyped_setting_names_the_type_it_needs(tmp_path: Path) -> None:
    (tmp_path / "loglake.toml").write_text('lake = "lake"\n[etl]\nmax_depth = "five"\n')
    proc = loglake("tables", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr == f"error: {tmp_path / 'loglake.toml'}: [etl] max_depth must be an integer, not 'five'\n"


def test_numeric_fields_of_access_logs_sum(lake: Path) -> None:
    """`sum()` over an Apache byte count failed with an 8-line Binder error: the only byte column was VARCHAR.
    AWS's documented apache_logs table keeps returned_obj_size a string (its queries compare it as text), so
    the typed twin bytes_sent is the one to sum; summing the string column is one line naming the types."""
    sql = "SELECT sum(bytes_sent) AS b, count(bytes_sent) AS n, max(status_code) AS s FROM apache_logs"
    proc = loglake("query", "--lake", "lake", "-f", "csv", sql, cwd=lake)
    assert (proc.returncode, proc.stdout) == (0, "b,n,s\n512,1,404\n"), proc.stderr
    proc = loglake("query", "--lake", "lake", "SELECT sum(returned_obj_size) FROM apache_logs", cwd=lake)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "sum(VARCHAR)" in proc.stderr
