"""The scheduled conservation check on moto: Athena's answer (canned rows, as moto serves them) becomes the
result in state/conservation/, the run record, and the EMF metric the ConservationAlarm watches."""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from typing import Any

import boto3
import orjson
import pytest
from test_metrics import emf_lines, metric

from conftest import write_messages
from loglake.errors import ConfigError, QueryError
from loglake.handlers import conservation
from loglake.lake.open import Lake
from loglake.lake.runs import read_runs
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.transform.settings import EtlSettings

SCHEDULED_EVENT = {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}
COLUMNS = ["raw_object", "raw_events", "clean_events", "quarantined_events", "distinct_events", "unknown_events"]


def _answer(endpoint: str, rows: list[list[str]]) -> None:
    """The rows moto's Athena returns for the next query (header row first, as Athena does for a SELECT)."""
    data = [{"Data": [{"VarCharValue": c} for c in COLUMNS]}]
    data += [{"Data": [{"VarCharValue": v} for v in row]} for row in rows]
    types = ["varchar"] + ["bigint"] * 5
    info = [{"Name": c, "Label": c, "Type": t} for c, t in zip(COLUMNS, types, strict=True)]
    body = json.dumps({"results": [{"rows": data, "column_info": info}]}).encode()
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/athena/query-results",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture
def checked_lake(s3_lake: Lake, aws: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Lake, list[str]]:
    """Two processed raw objects and one pending, and the function's environment as the template sets it."""
    write_messages(s3_lake.store, "/app/a", ["one", "two", "{bad"], stream="s1")
    write_messages(s3_lake.store, "/app/b", ["three"], stream="s1")
    run_etl(s3_lake, pending_raw_objects(s3_lake), EtlSettings(), workers=1)
    write_messages(s3_lake.store, "/app/b", ["four"], stream="s2")
    boto3.client("s3").create_bucket(Bucket="athena-results")
    boto3.client("athena").create_work_group(
        Name="loglake", Configuration={"ResultConfiguration": {"OutputLocation": "s3://athena-results/r/"}}
    )
    monkeypatch.setenv("LOGLAKE_LAKE", "s3://loglake-test/lake")
    monkeypatch.setenv("LOGLAKE_ATHENA_WORKGROUP", "loglake")
    monkeypatch.setenv("LOGLAKE_CONSERVATION_HOURS", "6")
    return s3_lake, sorted(s3_lake.store.list("raw/"))


def test_a_mismatch_is_recorded_and_counted_for_the_alarm(
    checked_lake: tuple[Lake, list[str]], aws: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lake, (a, b1, b2) = checked_lake
    # Athena's answer: /app/a reconciles, /app/b's first object lost a row, its second is not processed yet.
    _answer(aws, [[a, "3", "2", "1", "3", "0"], [b1, "1", "0", "0", "0", "0"], [b2, "1", "0", "0", "0", "0"]])
    capsys.readouterr()
    answer = conservation.handler(SCHEDULED_EVENT, context=None)
    assert (answer["ok"], answer["raw_objects"], answer["failed_objects"], answer["pending_objects"]) == (
        False,
        3,
        1,
        1,
    )
    assert (answer["hours"], answer["raw_events"], answer["clean_events"], answer["quarantined_events"]) == (
        6,
        5,
        2,
        1,
    )
    result = orjson.loads(lake.store.get("state/conservation/last.json"))
    assert result["failed"] == [
        {"raw_object": b1, "raw_events": 1, "clean_events": 0, "quarantined_events": 0, "status": "mismatch"}
    ]
    documents = emf_lines(capsys.readouterr().out)
    assert metric(documents, "ConservationFailures") == (1, "Count")
    assert metric(documents, "RawObjectsChecked") == (3, "Count")
    assert metric(documents, "PendingRawObjects") == (1, "Count")
    assert metric(documents, "CheckErrors") == (0, "Count")
    run = read_runs(lake.store)["verify"]
    assert (run.ok, run.where, run.error) == (
        False,
        "lambda",
        "1 raw objects do not reconcile (see state/conservation/last.json)",
    )


def test_a_clean_check_reports_no_failure(
    checked_lake: tuple[Lake, list[str]], aws: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lake, (a, b1, _b2) = checked_lake
    _answer(aws, [[a, "3", "2", "1", "3", "0"], [b1, "1", "1", "0", "1", "0"]])
    capsys.readouterr()
    sent: list[str] = []
    original = boto3.client

    def client(name: str, *args: Any, **kwargs: Any) -> Any:
        made = original(name, *args, **kwargs)
        if name == "athena":
            made.meta.events.register(
                "before-parameter-build.athena.StartQueryExecution",
                lambda params, **_: sent.append(params["QueryString"]),
            )
        return made

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boto3, "client", client)
        answer = conservation.handler(SCHEDULED_EVENT, context=None)
    assert (answer["ok"], answer["failed_objects"], answer["ok_objects"]) == (True, 0, 2)
    assert len(sent) == 1 and '"timestamp" >=' in sent[0]  # only the raw objects with an event in the window
    assert metric(emf_lines(capsys.readouterr().out), "ConservationFailures") == (0, "Count")
    assert read_runs(lake.store)["verify"].ok is True


def test_a_check_that_cannot_run_alarms_too(
    checked_lake: tuple[Lake, list[str]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lake, _keys = checked_lake

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise QueryError("Athena refused start_query_execution: AccessDeniedException: not allowed")

    monkeypatch.setattr(conservation, "check_conservation", refuse)
    capsys.readouterr()
    with pytest.raises(QueryError, match="AccessDenied"):
        conservation.handler(SCHEDULED_EVENT, context=None)
    documents = emf_lines(capsys.readouterr().out)
    assert metric(documents, "ConservationFailures") == (1, "Count")
    assert metric(documents, "CheckErrors") == (1, "Count")
    run = read_runs(lake.store)["verify"]
    assert (run.ok, run.error) == (False, "Athena refused start_query_execution: AccessDeniedException: not allowed")
    assert not lake.store.exists("state/conservation/last.json")


def test_the_window_must_be_whole_hours(checked_lake: tuple[Lake, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGLAKE_CONSERVATION_HOURS", "1.5")
    with pytest.raises(
        ConfigError, match=re.escape("LOGLAKE_CONSERVATION_HOURS must be a whole number of hours, not '1.5'")
    ):
        conservation.handler(SCHEDULED_EVENT, context=None)


def test_the_check_runs_without_sqlglot_as_in_the_lambda_package(
    checked_lake: tuple[Lake, list[str]], aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Lambda artifact holds duckdb and orjson only: the check's own SQL must not need the parser that
    screens users' SQL (an `import sqlglot` fails here as it would there)."""
    _lake, (a, b1, _b2) = checked_lake
    _answer(aws, [[a, "3", "2", "1", "3", "0"], [b1, "1", "1", "0", "1", "0"]])
    monkeypatch.setitem(sys.modules, "sqlglot", None)
    answer = conservation.handler(SCHEDULED_EVENT, context=None)
    assert (answer["ok"], answer["ok_objects"]) == (True, 2)
    from loglake.query.athena_engine import AthenaEngine

    with pytest.raises(ImportError):  # users' SQL is still screened
        AthenaEngine(client=object()).query("SELECT 1")
