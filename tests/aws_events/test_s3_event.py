from __future__ import annotations

import copy

import pytest

from conftest import load_event
from loglake.aws_events.s3_event import object_created_event, s3_records
from loglake.errors import EventError


def test_real_notification_is_read_and_its_key_decoded() -> None:
    (record,) = s3_records(load_event("s3_object_created"))
    assert (record.event_name, record.bucket, record.key, record.size) == (
        "ObjectCreated:Put",
        "sourcebucket",
        "Happy Face.jpg",  # sent as Happy%20Face.jpg
        1024,
    )
    assert record.is_object_created


def test_plus_means_space_and_percent_escapes_survive() -> None:
    event = copy.deepcopy(load_event("s3_object_created"))
    event["Records"][0]["s3"]["object"]["key"] = "raw/log_group%3D%252Faws+fn/a%2Bb.json.gz"
    (record,) = s3_records(event)
    assert record.key == "raw/log_group=%2Faws fn/a+b.json.gz"


def test_local_events_round_trip_any_key() -> None:
    key = "raw/source=file/log_group=%2Fdemo %2Bx/stream=a+b.log.1/0-1.json.gz"
    (record,) = s3_records(object_created_event("local", key, 10))
    assert (record.bucket, record.key, record.size) == ("local", key, 10)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({}, "no 'Records' list"),
        ({"Records": [{"eventSource": "aws:sqs"}]}, "not aws:s3"),
        ({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {}}]}, "lacks"),
    ],
)
def test_other_shapes_are_refused(event: dict[str, object], message: str) -> None:
    with pytest.raises(EventError, match=message):
        list(s3_records(event))
