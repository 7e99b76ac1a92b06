"""The console with --engine athena, against moto's Athena: the histogram is Athena SQL with the range's
partition conditions, and its answer is drawn from what Athena returns (moto's canned rows)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import boto3
import pytest

from loglake.console.api import Console, parse_range
from loglake.lake.open import Lake
from loglake.query.athena_engine import AthenaEngine


def _post_results(endpoint: str, header: list[str], types: list[str], rows: list[list[str]]) -> None:
    """moto returns these rows for the next query (as tests/query/test_athena_engine.py posts them)."""
    data = [{"Data": [{"VarCharValue": h} for h in header]}]
    data += [{"Data": [{"VarCharValue": v} for v in row]} for row in rows]
    info = [{"Name": h, "Label": h, "Type": t} for h, t in zip(header, types, strict=True)]
    body = json.dumps({"results": [{"rows": data, "column_info": info}]}).encode()
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/athena/query-results", data=body, method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture
def athena(aws: str) -> Any:
    client = boto3.client("athena")
    boto3.client("s3").create_bucket(Bucket="athena-results")
    client.create_work_group(
        Name="loglake", Configuration={"ResultConfiguration": {"OutputLocation": "s3://athena-results/loglake/"}}
    )
    return client


def test_the_histogram_runs_as_athena_sql_with_partition_conditions(aws: str, athena: Any, console_lake: Lake) -> None:
    console = Console(
        console_lake,
        "athena",
        engine_factory=lambda: AthenaEngine(workgroup="loglake", database="loglake", client=athena),
    )
    _post_results(
        aws, ["bar", "level", "n"], ["bigint", "varchar", "bigint"], [["0", "INFO", "7"], ["2", "ERROR", "3"]]
    )
    found = console.histogram(parse_range("2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z"))
    assert [(bar["start"], bar["counts"]) for bar in found["bars"]] == [
        ("2026-11-29T10:00:00Z", {"INFO": 7}),
        ("2026-11-29T10:02:00Z", {"ERROR": 3}),
    ]
    assert found["total"] == 10
    (execution_id,) = athena.list_query_executions(WorkGroup="loglake")["QueryExecutionIds"]
    sql = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]["Query"]
    assert 'to_unixtime("timestamp")' in sql and "epoch(" not in sql
    assert "dt >= DATE '2026-11-29'" in sql and '"hour" <= 10' in sql
