"""Subscription and Firehose handlers with real CloudWatch Logs payloads (tests/events)."""

from __future__ import annotations

import base64
import copy
import gzip
import json

import pytest

from conftest import load_event
from loglake.aws_events.cloudwatch_logs_event import decode_payload, subscription_payload
from loglake.errors import EventError
from loglake.handlers import firehose, subscription
from loglake.lake.open import Lake
from loglake.lake.raw_zone import decode_batch
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings


@pytest.fixture(autouse=True)
def lake_env(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGLAKE_LAKE", lake.store.uri)


def test_subscription_event_lands_with_cloudwatch_ids(lake: Lake) -> None:
    event = load_event("cloudwatch_logs_subscription")
    answer = subscription.handler(event, context=None)
    assert answer["events"] == 2
    assert subscription.handler(event, context=None) == answer  # a retried invocation rewrites the same key
    (key,) = lake.store.list("raw/")
    assert key == answer["raw_object"]
    assert key.startswith("raw/source=subscription/log_group=testLogGroup/stream=testLogStream/1440442987000-")
    records = decode_batch(lake.store.get(key))
    assert [(r["event_id"], r["timestamp"], r["message"], r["source"]) for r in records] == [
        ("eventId1", 1440442987000, "[ERROR] First test message", "subscription"),
        ("eventId2", 1440442987001, "[ERROR] Second test message", "subscription"),
    ]
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query("SELECT event_id, level, log_group, log_stream FROM logs ORDER BY 1").rows
    assert rows == [
        ("eventId1", "ERROR", "testLogGroup", "testLogStream"),
        ("eventId2", "ERROR", "testLogGroup", "testLogStream"),
    ]


def test_control_messages_are_skipped(lake: Lake) -> None:
    control = {
        "messageType": "CONTROL_MESSAGE",
        "owner": "CloudwatchLogs",
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [{"id": "", "timestamp": 1, "message": "CWL CONTROL MESSAGE"}],
    }
    data = base64.b64encode(gzip.compress(json.dumps(control).encode())).decode()
    assert subscription.handler({"awslogs": {"data": data}}, context=None) == {"raw_object": None, "events": 0}
    assert list(lake.store.list("raw/")) == []


def test_firehose_records_are_stored_and_answered(lake: Lake) -> None:
    event = load_event("firehose_cloudwatch_logs")
    answer = firehose.handler(event, context=None)
    assert [r["result"] for r in answer["records"]] == ["Dropped"] * 4  # the control record too: nothing to deliver
    payloads = [decode_payload(r["data"]) for r in event["records"]]
    events = sum(len(p.events) for p in payloads if not p.is_control)
    stored = [r for key in lake.store.list("raw/") for r in decode_batch(lake.store.get(key))]
    assert len(stored) == events == 9
    assert {r["source"] for r in stored} == {"firehose"}
    assert sorted(str(r["event_id"]) for r in stored) == sorted(
        e.id for p in payloads if not p.is_control for e in p.events
    )


def test_bad_firehose_records_fail_visibly(lake: Lake) -> None:
    event = copy.deepcopy(load_event("firehose_cloudwatch_logs"))
    event["records"][1]["data"] = base64.b64encode(b"not gzip").decode()
    answer = firehose.handler(event, context=None)
    assert [r["result"] for r in answer["records"]] == ["Dropped", "ProcessingFailed", "Dropped", "Dropped"]
    assert answer["records"][1]["data"] == event["records"][1]["data"]


def test_payload_errors_are_clear() -> None:
    with pytest.raises(EventError, match=r"no awslogs\.data"):
        subscription_payload({"Records": []})
    with pytest.raises(EventError, match="base64 of gzip JSON"):
        decode_payload("not base64!")
