"""SQS records whose bodies are S3 notifications (tests/events/s3_sqs_event.json, a real delivery)."""

from __future__ import annotations

import orjson
import pytest

from conftest import load_event
from loglake.aws_events.sqs_event import QueuedS3Event, is_sqs_event, queued_s3_events
from loglake.errors import EventError


def test_a_real_delivery_is_an_sqs_event_with_one_object_created_record() -> None:
    event = load_event("s3_sqs_event")
    assert is_sqs_event(event) and not is_sqs_event(load_event("s3_object_created"))
    assert not is_sqs_event({"Records": []})
    [message] = queued_s3_events(event)
    assert (message.message_id, message.error) == ("ca3e7a89-c358-40e5-8aa0-5da01403c267", None)
    [record] = message.records
    assert (record.bucket, record.key, record.size, record.event_name) == (
        "xxx",
        "test.pdf",
        104681,
        "ObjectCreated:Put",
    )


def test_the_test_event_has_no_object_and_a_foreign_body_keeps_its_error() -> None:
    record = load_event("s3_sqs_event")["Records"][0]
    test = {**record, "messageId": "t", "body": orjson.dumps(load_event("s3_test_event")).decode()}
    text = {**record, "messageId": "x", "body": "Test message."}
    other = {**record, "messageId": "o", "body": '{"Records": [{"eventSource": "aws:sns"}]}'}
    removed = load_event("s3_object_created")
    removed["Records"][0]["eventName"] = "ObjectRemoved:Delete"
    gone = {**record, "messageId": "r", "body": orjson.dumps(removed).decode()}
    assert queued_s3_events({"Records": [test, text, other, gone]}) == [
        QueuedS3Event("t", (), test_event=True),
        QueuedS3Event("x", (), "message x: the body is not JSON"),
        QueuedS3Event("o", (), "message o: record 0 is from 'aws:sns', not aws:s3"),
        QueuedS3Event("r", ()),  # no object created, and not the test event
    ]
    with pytest.raises(EventError, match="SQS record 0 has no messageId"):
        queued_s3_events({"Records": [{**record, "messageId": ""}]})
