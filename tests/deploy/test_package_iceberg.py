"""`loglake package --iceberg`: pyiceberg without pyarrow (and without its CLI's click and rich) in the
Lambda zip, under the 250 MB limit; and the ETL handler run from that zip on python3.12, committing an
S3 lake's raw object to an Iceberg table in the Glue catalog (a moto server)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_package import LAMBDA_PYTHON, needs_lambda_python

from conftest import write_messages
from loglake.deploy.package import LAMBDA_UNZIPPED_LIMIT, build_artifact, iceberg_requirements
from loglake.lake import iceberg
from loglake.lake.open import Lake
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine

RUN_ETL_ON_THE_S3_LAKE = """
import json, sys
sys.path[:0] = sys.argv[1:3]
from loglake.aws_events.s3_event import object_created_event
from loglake.handlers import etl
print(json.dumps(etl.handler(object_created_event("loglake-test", sys.argv[3]), None)))
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & {"pyarrow", "click", "rich", "sqlalchemy"})))
"""
RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")
"""What the Lambda runtime ships besides the zip (pure Python, copied from this interpreter's packages)."""


@pytest.fixture(scope="module")
def iceberg_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package") / "lambda-iceberg.zip"
    built = build_artifact(out, "python3.12", "x86_64", iceberg=True)
    assert built.unzipped_bytes < LAMBDA_UNZIPPED_LIMIT
    return out


def test_iceberg_requirements_leave_out_pyarrow_and_the_cli() -> None:
    pin, deps = iceberg_requirements()
    assert pin == "pyiceberg<0.13,>=0.12"
    names = sorted(d.split(">")[0].split("<")[0].split("!")[0].split("=")[0] for d in deps)
    assert names == [
        "cachetools", "fsspec", "mmh3", "pydantic", "pyparsing", "pyroaring", "requests", "strictyaml", "tenacity",
        "zstandard",
    ]  # fmt: skip


def test_iceberg_zip_holds_pyiceberg_without_pyarrow(iceberg_zip: Path) -> None:
    names = zipfile.ZipFile(iceberg_zip).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert {"pyiceberg", "duckdb", "orjson", "loglake", "pydantic", "zstandard"} <= tops
    assert not tops & {"pyarrow", "click", "rich", "sqlalchemy", "boto3", "botocore"}
    assert "loglake/lake/iceberg_files.py" in names and "loglake/lake/iceberg_io.py" in names


@needs_lambda_python
def test_etl_handler_from_the_iceberg_zip_commits_to_glue(iceberg_zip: Path, s3_lake: Lake, tmp_path: Path) -> None:
    assert LAMBDA_PYTHON is not None
    code, runtime = tmp_path / "task", tmp_path / "runtime"
    zipfile.ZipFile(iceberg_zip).extractall(code)
    here = Path(sys.modules["boto3"].__file__ or "").parents[1]
    for name in RUNTIME:
        (shutil.copytree if (here / name).is_dir() else shutil.copy)(here / name, runtime / name)
    write_messages(s3_lake.store, "/app", [json.dumps({"n": i}) for i in range(5)])
    (key,) = s3_lake.store.list("raw/")
    env = {
        **{k: v for k, v in os.environ.items() if k.startswith("AWS_")},
        "LOGLAKE_LAKE": "s3://loglake-test/lake",
        "LOGLAKE_ETL_TABLE_FORMAT": "iceberg",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    venv = tmp_path / "venv"
    subprocess.run([LAMBDA_PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-I", "-c", RUN_ETL_ON_THE_S3_LAKE, str(code), str(runtime), f"lake/{key}"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if not line.startswith('{"_aws"')]
    assert json.loads(lines[0])["processed"] == [key]
    assert json.loads(lines[1]) == []  # neither pyarrow nor the CLI's packages were imported
    assert iceberg.is_iceberg(s3_lake.store, "logs")
    assert [s[iceberg.RAW_OBJECT] for s in iceberg.snapshot_summaries(s3_lake.store, "logs")] == [key]
    with DuckDBEngine(s3_lake.store) as engine:
        assert engine.query("SELECT count(*), count(DISTINCT event_id) FROM logs").rows == [(5, 5)]
        assert check_conservation(engine, s3_lake.store).ok
