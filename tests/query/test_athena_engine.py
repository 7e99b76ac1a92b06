"""The Athena engine against a moto server: workgroup, submission, polling, paging, failure, cancel."""

from __future__ import annotations

import json
import urllib.request
from datetime import date
from typing import Any

import boto3
import pytest

from loglake.errors import QueryError
from loglake.query.athena_engine import AthenaEngine, cost_usd


def _moto_api(endpoint: str, path: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{endpoint}{path}", data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=10).close()


def _post_results(endpoint: str, header: list[str], types: list[str], rows: list[list[str | None]]) -> None:
    """moto returns canned rows for the next query: Athena's shape, header row first."""
    data = [{"Data": [{"VarCharValue": h} for h in header]}]
    data += [{"Data": [{"VarCharValue": v} if v is not None else {} for v in row]} for row in rows]
    info = [{"Name": h, "Label": h, "Type": t} for h, t in zip(header, types, strict=True)]
    _moto_api(endpoint, "/moto-api/static/athena/query-results", {"results": [{"rows": data, "column_info": info}]})


def _page_like_athena(client: Any) -> list[int]:
    """moto 5.2.5 answers GetQueryResults whole, ignoring MaxResults; page its answer the way Athena does."""
    requested: dict[str, Any] = {}
    pages = [0]

    def remember(params: dict[str, Any], **_: Any) -> None:
        requested.update(max=params.get("MaxResults", 1000), token=params.get("NextToken"))

    def slice_page(parsed: dict[str, Any], **_: Any) -> None:
        start = int(requested["token"] or 0)
        rows = parsed["ResultSet"]["Rows"]
        parsed["ResultSet"]["Rows"] = rows[start : start + requested["max"]]
        if start + requested["max"] < len(rows):
            parsed["NextToken"] = str(start + requested["max"])
        pages[0] += 1

    client.meta.events.register("before-parameter-build.athena.GetQueryResults", remember)
    client.meta.events.register("after-call.athena.GetQueryResults", slice_page)
    return pages


@pytest.fixture
def athena(aws: str) -> Any:
    client = boto3.client("athena")
    boto3.client("s3").create_bucket(Bucket="athena-results")
    client.create_work_group(
        Name="loglake",
        Configuration={"ResultConfiguration": {"OutputLocation": "s3://athena-results/loglake/"},
                       "BytesScannedCutoffPerQuery": 10 * 1024**3},
    )  # fmt: skip
    return client


def test_submission_polling_and_a_multi_page_result(aws: str, athena: Any) -> None:
    rows = [[f"svc-{i % 3}", str(i), "2026-11-26" if i % 2 else None] for i in range(2_500)]
    _post_results(aws, ["service", "n", "dt"], ["varchar", "bigint", "date"], rows)
    pages = _page_like_athena(athena)
    engine = AthenaEngine(workgroup="loglake", database="loglake", client=athena)
    result = engine.query("SELECT service, n, dt FROM logs")
    assert pages[0] == 3
    assert result.columns == ["service", "n", "dt"]
    assert len(result.rows) == 2_500
    assert result.rows[:3] == [("svc-0", 0, None), ("svc-1", 1, date(2026, 11, 26)), ("svc-2", 2, None)]
    assert result.rows[-1] == ("svc-0", 2_499, date(2026, 11, 26))
    assert result.stats is not None and result.stats["engine"] == "athena"
    assert result.stats["cost_usd"] == pytest.approx(10 * 1024 * 1024 / 1e12 * 5)  # the 10 MB minimum
    execution = athena.get_query_execution(QueryExecutionId=result.stats["query_id"])["QueryExecution"]
    assert execution["WorkGroup"] == "loglake"
    assert execution["QueryExecutionContext"]["Database"] == "loglake"


def test_a_failed_query_shows_athenas_reason(aws: str, athena: Any) -> None:
    def fail(parsed: dict[str, Any], **_: Any) -> None:
        parsed["QueryExecution"]["Status"] = {
            "State": "FAILED",
            "StateChangeReason": "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
        }

    athena.meta.events.register("after-call.athena.GetQueryExecution", fail)
    with pytest.raises(QueryError, match=r"failed: COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved"):
        AthenaEngine(workgroup="loglake", client=athena).query("SELECT nope FROM logs")


def test_ctrl_c_stops_the_query(aws: str, athena: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _moto_api(aws, "/moto-api/state-manager/set-transition",
              {"model_name": "athena::execution", "transition": {"progression": "manual", "times": 1000}})  # fmt: skip

    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("loglake.query.athena_engine.time.sleep", interrupt)
    with pytest.raises(QueryError, match=r"cancelled: Athena query .* was stopped"):
        AthenaEngine(workgroup="loglake", client=athena).query("SELECT 1")
    (query_id,) = athena.list_query_executions(WorkGroup="loglake")["QueryExecutionIds"]
    assert athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"] == "CANCELLED"
    _moto_api(aws, "/moto-api/state-manager/unset-transition", {"model_name": "athena::execution"})


def test_only_read_only_sql_is_sent(athena: Any) -> None:
    with pytest.raises(QueryError, match="only read-only queries"):
        AthenaEngine(workgroup="loglake", client=athena).query("DROP TABLE logs")
    assert athena.list_query_executions()["QueryExecutionIds"] == []


def test_cost() -> None:
    assert cost_usd(0) == cost_usd(10 * 1024 * 1024)
    assert cost_usd(2 * 10**12) == pytest.approx(10.0)


def test_query_and_verify_commands_on_athena(
    aws: str, athena: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, ingest_lines: Any, lake: Any
) -> None:
    from typer.testing import CliRunner

    from loglake.cli.app import app

    (result,) = ingest_lines(b'{"n":1}\n{"bad\n')
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loglake.toml").write_text(
        f'lake = "{lake.store.uri}"\n[athena]\nworkgroup = "loglake"\ndatabase = "db"\n'
    )
    _post_results(aws, ["level", "n"], ["varchar", "bigint"], [["INFO", "3"]])
    shown = CliRunner().invoke(
        app, ["query", "--engine", "athena", "-f", "csv", "SELECT level, count(*) AS n FROM logs"]
    )
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == "level,n\nINFO,3\n"
    assert "athena: 0.0 MB scanned, $0.000052" in shown.stderr

    raw = result.manifest.raw_object
    header = ["raw_object", "raw_events", "clean_events", "quarantined_events", "distinct_events", "unknown_events"]
    _post_results(aws, header, ["varchar"] + ["bigint"] * 5, [[raw, "2", "1", "1", "2", "0"]])
    checked = CliRunner().invoke(app, ["verify", "--engine", "athena", "--format", "json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["objects"] == [
        {"raw_object": raw, "raw_events": 2, "clean_events": 1, "quarantined_events": 1, "status": "ok"}
    ]
    (last, *_rest) = sorted(
        (athena.get_query_execution(QueryExecutionId=q)["QueryExecution"] for q in
         athena.list_query_executions(WorkGroup="loglake")["QueryExecutionIds"]),
        key=lambda e: e["Status"]["SubmissionDateTime"], reverse=True,
    )  # fmt: skip
    assert "regexp_extract(\"$path\", 'raw/source=.*$')" in last["Query"]


def test_every_saved_query_runs_on_athena(aws: str, athena: Any) -> None:
    from loglake.query.saved_queries import SAVED_QUERIES, saved_query

    engine = AthenaEngine(workgroup="loglake", client=athena)
    for name in SAVED_QUERIES:
        _post_results(aws, ["x"], ["bigint"], [["1"]])
        result = engine.query(saved_query(name))
        assert result.rows == [(1,)]
        assert result.stats is not None
        sent = athena.get_query_execution(QueryExecutionId=result.stats["query_id"])["QueryExecution"]["Query"]
        assert sent == saved_query(name)
