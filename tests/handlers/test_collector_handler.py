from __future__ import annotations

import time

import boto3
import pytest

from loglake.errors import EventError
from loglake.handlers import collector
from loglake.lake.open import Lake

SCHEDULED_EVENT = {  # the shape EventBridge sends on a schedule
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "time": "2026-11-26T10:00:00Z",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/loglake-collect"],
    "detail": {},
}


def test_scheduled_collector_keeps_its_state_in_the_s3_lake(s3_lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    logs = boto3.client("logs")
    now = int(time.time() * 1000)
    for group in ("/svc/a", "/svc/b"):
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="s")
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": now - 60_000 + i, "message": f"m{i}"} for i in range(3)],
        )
    monkeypatch.setenv("LOGLAKE_LAKE", "s3://loglake-test/lake")
    monkeypatch.setenv("LOGLAKE_LOG_GROUPS", "/svc/*")
    first = collector.handler(SCHEDULED_EVENT, context=None)
    second = collector.handler(SCHEDULED_EVENT, context=None)
    assert (first["groups"], first["streams"], first["events"], first["objects_written"]) == (2, 2, 6, 2)
    assert (second["objects_written"], second["objects_unchanged"]) == (0, 2)
    assert sorted(s3_lake.store.list("state/cloudwatch/")) == [
        "state/cloudwatch/%2Fsvc%2Fa.json",
        "state/cloudwatch/%2Fsvc%2Fb.json",
    ]


def test_collector_needs_log_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOGLAKE_LOG_GROUPS", raising=False)
    with pytest.raises(EventError, match="LOGLAKE_LOG_GROUPS is not set"):
        collector.handler(SCHEDULED_EVENT, context=None)


def test_the_scheduled_collector_takes_the_lease_a_laptop_collect_holds(
    s3_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`loglake collect` from a laptop holds the group's lease: the Lambda checks it too, so the same events
    never land in two packs (review item 7); the next run after the lease is released collects them."""
    from loglake.errors import CollectError
    from loglake.sources.cloudwatch_logs import SOURCE

    logs = boto3.client("logs")
    now = int(time.time() * 1000)
    logs.create_log_group(logGroupName="/svc/a")
    logs.create_log_stream(logGroupName="/svc/a", logStreamName="s")
    logs.put_log_events(
        logGroupName="/svc/a",
        logStreamName="s",
        logEvents=[{"timestamp": now - 60_000 + i, "message": f"m{i}"} for i in range(3)],
    )
    monkeypatch.setenv("LOGLAKE_LAKE", "s3://loglake-test/lake")
    monkeypatch.setenv("LOGLAKE_LOG_GROUPS", "/svc/a")
    with s3_lake.store.lease(f"collect/{SOURCE}//svc/a") as held:
        assert held
        with pytest.raises(CollectError) as failed:
            collector.handler(SCHEDULED_EVENT, context=None)
        assert str(failed.value) == (
            "another collect of log group '/svc/a' is running; run `loglake collect /svc/a` again once it has finished"
        )
        assert list(s3_lake.store.list("raw/")) == []
    done = collector.handler(SCHEDULED_EVENT, context=None)
    assert (done["events"], done["objects_written"]) == (3, 1)
    assert list(s3_lake.store.list("state/leases/")) == []
