"""The Lambda artifact, built for real (pip downloads the manylinux wheels), and run on the Lambda Python."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from loglake.deploy.package import LAMBDA_UNZIPPED_LIMIT, PackageError, build_artifact, lambda_requirements


def _lambda_python() -> str | None:
    """A working python3.12: on PATH, or under pyenv (whose shim fails when 3.12 is not selected)."""
    candidates = [
        shutil.which("python3.12"),
        *map(str, sorted(Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"))),
    ]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


LAMBDA_PYTHON = _lambda_python()
needs_lambda_python = pytest.mark.skipif(
    LAMBDA_PYTHON is None and not os.environ.get("CI"),
    reason="needs a python3.12 interpreter, the Lambda runtime's version",
)
"""Skipped on a machine without python3.12; in CI the test runs and fails on the missing interpreter."""

RUN_ETL_ON_A_LOCAL_LAKE = """
import gzip, json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
lake = Path(sys.argv[2])
key = "raw/source=file/log_group=app/stream=a/0-2.json.gz"
(lake / key).parent.mkdir(parents=True)
rows = [
    {"log_group": "app", "log_stream": "a", "event_id": str(i), "timestamp": 1764288000000 + i,
     "ingestion_time": None, "message": m, "source": "file"}
    for i, m in enumerate(['{"level": "warn", "ms": 12}', "not json at all"])
]
(lake / key).write_bytes(gzip.compress("".join(json.dumps(r) + "\\n" for r in rows).encode()))
import os
os.environ["LOGLAKE_LAKE"] = str(lake)
from loglake.aws_events.s3_event import object_created_event
from loglake.handlers import etl
import duckdb
print(duckdb.__file__.startswith(sys.argv[1]), sys.version_info[:2])
print(json.dumps(etl.handler(object_created_event("local", key), None)))
"""


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package") / "lambda.zip"
    built = build_artifact(out, "python3.12", "x86_64")
    assert built.unzipped_bytes < LAMBDA_UNZIPPED_LIMIT * 0.5  # room to spare
    assert built.key == f"loglake/lambda-{built.sha256[:16]}.zip"
    return out


def test_artifact_holds_the_handlers_and_the_core_wheels_only(artifact: Path) -> None:
    names = zipfile.ZipFile(artifact).namelist()
    assert "loglake/handlers/etl.py" in names
    assert any(n.startswith("duckdb/") for n in names) and any(n.startswith("orjson/") for n in names)
    assert not any(n.startswith(("boto3/", "botocore/", "typer/", "rich/")) for n in names)
    assert not any("__pycache__" in n for n in names)
    assert [r.split(">")[0].split("<")[0] for r in lambda_requirements()] == ["duckdb", "orjson"]


def test_the_same_inputs_build_the_same_bytes(artifact: Path, tmp_path: Path) -> None:
    again = build_artifact(tmp_path / "again.zip", "python3.12", "x86_64")
    assert again.path.read_bytes() == artifact.read_bytes()


@needs_lambda_python
def test_handlers_run_from_the_artifact_in_a_clean_python312_venv(artifact: Path, tmp_path: Path) -> None:
    assert LAMBDA_PYTHON is not None
    code = tmp_path / "task"
    zipfile.ZipFile(artifact).extractall(code)
    venv = tmp_path / "venv"
    subprocess.run([LAMBDA_PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-I", "-c", RUN_ETL_ON_A_LOCAL_LAKE, str(code), str(tmp_path / "lake")],
        capture_output=True,
        text=True,
        check=True,
    )
    emf = [line for line in done.stdout.splitlines() if line.startswith('{"_aws"')]  # the function's metrics
    assert len(emf) == 2  # Function, and Function + Table (handlers/metrics.py)
    first, second = [line for line in done.stdout.splitlines() if line not in emf]
    assert first == "True (3, 12)"
    assert second == (
        '{"processed": ["raw/source=file/log_group=app/stream=a/0-2.json.gz"], "already_done": [], '
        '"catalog_updated": false}'
    )
    parquet = list((tmp_path / "lake" / "clean").rglob("*.parquet"))
    assert len(parquet) == 1


def test_unknown_runtimes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match=r"duckdb 2\.x needs 3\.12"):
        build_artifact(tmp_path / "x.zip", "python3.11", "x86_64")
