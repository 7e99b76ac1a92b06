"""The batched ETL on AWS (EtlBatchSize > 1): the raw bucket notifies an SQS queue on the moto server, and the
ETL handler gets the queue's messages the way Lambda's event source mapping hands them over
(tests/events/s3_sqs_event.json's shape), answering with exactly the messages to retry."""

from __future__ import annotations

import copy
import gzip
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import boto3
import orjson
import pytest

from conftest import load_event, shared_passes, write_messages
from loglake.aws_events.s3_event import object_created_event
from loglake.aws_events.sqs_event import queued_event
from loglake.errors import StoreError
from loglake.handlers import etl as etl_handler
from loglake.handlers.etl_queue import handle_sqs_event
from loglake.lake.keys import RawKey
from loglake.lake.manifests import processed_raw_objects
from loglake.lake.open import Lake, open_lake
from loglake.lake.raw_zone import list_raw_objects
from loglake.lake.s3_store import S3Store
from loglake.lake.unreadable import set_aside, unreadable_objects
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.transform import etl_batch
from loglake.transform.settings import EtlSettings

BUCKET = "loglake-test"


@pytest.fixture
def queued(aws: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Lake, str]:
    """A lake whose raw bucket notifies a queue of its new raw objects, as the stack does with EtlBatchSize > 1."""
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    s3.create_bucket(Bucket=BUCKET)
    url = sqs.create_queue(QueueName="loglake-etl")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rules = [{"Name": "prefix", "Value": "lake/raw/"}, {"Name": "suffix", "Value": ".json.gz"}]
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": rules}}}
            ]
        },
    )
    monkeypatch.setenv("LOGLAKE_LAKE", f"s3://{BUCKET}/lake")
    return open_lake(f"s3://{BUCKET}/lake"), url


def _delivered(url: str, wanted: int) -> dict[str, Any]:
    """The queue's messages as Lambda's event source mapping delivers them: the corpus's SQS record with this
    queue's message id, receipt handle and body."""
    sqs = boto3.client("sqs")
    messages: list[dict[str, Any]] = []
    while len(messages) < wanted:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        assert got, f"the queue holds {len(messages)} messages, not {wanted}"
        messages += got
    template = load_event("s3_sqs_event")["Records"][0]
    records = []
    for message in messages:
        record = copy.deepcopy(template)
        record.update(messageId=message["MessageId"], receiptHandle=message["ReceiptHandle"], body=message["Body"])
        records.append(record)
    return {"Records": records}


def _objects(lake: Lake, count: int) -> list[str]:
    for n in range(count):
        write_messages(lake.store, f"/app/{n}", ['{"level":"info","n":1}', f'{{"level":"warn","n":{n}}}', "{bad"])
    return sorted(list_raw_objects(lake.store))


def _by_key(event: dict[str, Any]) -> dict[str, str]:
    """raw key -> message id, from the bodies."""
    out = {}
    for record in event["Records"]:
        body = orjson.loads(record["body"])
        for s3 in body.get("Records", []):
            out[unquote_plus(s3["s3"]["object"]["key"]).removeprefix("lake/")] = record["messageId"]
    return out


def test_ten_queued_objects_share_one_pass_and_a_redelivery_adds_nothing(
    queued: tuple[Lake, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lake, url = queued
    keys = _objects(lake, 10)
    event = _delivered(url, 11)  # and the test event S3 sent when the notification was configured
    assert sorted(_by_key(event)) == keys
    tests = [r for r in event["Records"] if orjson.loads(r["body"]).get("Event") == "s3:TestEvent"]
    assert len(tests) == 1
    passes = shared_passes(monkeypatch)
    assert etl_handler.handler(event, context=None) == {"batchItemFailures": []}
    assert passes == [10]
    assert sorted(processed_raw_objects(lake.store)) == keys
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT count(*), count(DISTINCT raw_object) FROM logs").rows == [(20, 10)]
        assert engine.query("SELECT count(*) FROM quarantine").rows == [(10,)]
    outputs = sorted(lake.store.list("clean/")) + sorted(lake.store.list("quarantine/"))

    assert etl_handler.handler(event, context=None) == {"batchItemFailures": []}  # redelivered: all done
    assert passes == [10]
    assert sorted(lake.store.list("clean/")) + sorted(lake.store.list("quarantine/")) == outputs
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT count(*) FROM logs").rows == [(20,)]
        assert engine.query("SELECT count(*) FROM quarantine").rows == [(10,)]
    run = orjson.loads(lake.store.get("state/runs/etl.json"))
    assert (run["ok"], run["where"], run["figures"]["already_done"]) == (True, "lambda", 10)


def test_only_the_message_of_an_object_that_failed_is_retried(
    queued: tuple[Lake, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Of ten objects, one is not gzip (set aside as unreadable: no retry reads it, so its message is done)
    and one cannot be read from S3 (a transient error: its message alone is retried); the other eight commit."""
    lake, url = queued
    keys = _objects(lake, 8)
    unreadable = RawKey("cloudwatch", "/app/broken", "s", "0000000000000-0000").key
    lake.store.put(unreadable, b"not gzip at all")
    flaky = RawKey("cloudwatch", "/app/flaky", "s", "0000000000000-0000").key
    lake.store.put(flaky, gzip.compress(gzip.decompress(lake.store.get(keys[0])).replace(b"/app/0", b"/app/flaky")))
    event = _delivered(url, 11)
    by_key = _by_key(event)
    assert sorted(by_key) == sorted([*keys, unreadable, flaky])
    store = lake.store
    assert isinstance(store, S3Store)
    original = S3Store.local_file

    def unavailable(self: S3Store, key: str) -> AbstractContextManager[Path]:
        if key == flaky:
            raise StoreError(f"cannot read s3://{BUCKET}/lake/{key}: SlowDown: Please reduce your request rate.")
        return original(self, key)

    monkeypatch.setattr(S3Store, "local_file", unavailable)
    capsys.readouterr()
    assert etl_handler.handler(event, context=None) == {"batchItemFailures": [{"itemIdentifier": by_key[flaky]}]}
    assert sorted(processed_raw_objects(store)) == keys
    assert list(unreadable_objects(store)) == [unreadable]
    run = orjson.loads(store.get("state/runs/etl.json"))
    assert (run["ok"], run["error"]) == (
        False,
        f"1 message retried, the first: {flaky}: cannot read s3://{BUCKET}/lake/{flaky}: SlowDown: "
        f"Please reduce your request rate.; 1 raw object set aside as unreadable: {unreadable}",
    )
    # Lambda's Errors never counts an answer: the handler's own metrics are what the alarm watches
    [emf] = [orjson.loads(line) for line in capsys.readouterr().out.splitlines() if "RetriedMessages" in line]
    assert (emf["RetriedMessages"], emf["UnreadableObjects"], emf["RawObjectsProcessed"]) == (1, 1, 8)

    monkeypatch.setattr(S3Store, "local_file", original)  # S3 answers again: the message comes back
    passes = shared_passes(monkeypatch)
    assert etl_handler.handler(event, context=None) == {"batchItemFailures": []}
    assert passes == []  # the flaky object alone; the others are done, the unreadable one still set aside
    assert sorted(processed_raw_objects(store)) == sorted([*keys, flaky])
    with DuckDBEngine(store) as engine:
        assert engine.query("SELECT count(*), count(DISTINCT raw_object) FROM logs").rows == [(18, 9)]
        report = check_conservation(engine, store)
    assert sorted((o.raw_object, o.status) for o in report.objects if o.status != "ok") == [(unreadable, "unreadable")]
    assert len(report.objects) == 10


def test_the_test_event_s3_sends_is_acknowledged_and_a_foreign_body_is_retried(
    queued: tuple[Lake, str],
) -> None:
    lake, _url = queued
    keys = _objects(lake, 1)
    record = load_event("s3_sqs_event")["Records"][0]
    test = {**record, "messageId": "test", "body": orjson.dumps(load_event("s3_test_event")).decode()}
    foreign = {**record, "messageId": "foreign"}  # the corpus's body: bucket "xxx", not this lake's
    garbled = {**record, "messageId": "garbled", "body": "Test message."}
    notification = copy.deepcopy(orjson.loads(record["body"]))
    notification["Records"][0]["s3"]["bucket"]["name"] = BUCKET
    notification["Records"][0]["s3"]["object"]["key"] = quote_plus(f"lake/{keys[0]}", safe="/")
    ours = {**record, "messageId": "ours", "body": orjson.dumps(notification).decode()}
    answer = etl_handler.handler({"Records": [test, foreign, garbled, ours]}, context=None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "foreign"}, {"itemIdentifier": "garbled"}]}
    assert list(processed_raw_objects(lake.store)) == keys
    assert list(unreadable_objects(lake.store)) == []
    notification["Records"][0]["eventName"] = "ObjectRemoved:Delete"
    removed = {**record, "messageId": "removed", "body": orjson.dumps(notification).decode()}
    outcome = handle_sqs_event({"Records": [test, removed]}, lake, EtlSettings())
    assert (outcome.test_events, outcome.other_events, outcome.results) == (1, 1, [])


def test_an_object_another_run_holds_is_retried_and_one_readable_again_loses_its_record(
    queued: tuple[Lake, str],
) -> None:
    """The Lambda takes each object's lease as `loglake etl --lake s3://...` does (transform/leased_etl.py):
    an object a re-drive is processing is left to it and its message retried; an object with a record in
    state/unreadable/ that now reads is processed and its record cleared."""
    lake, url = queued
    keys = _objects(lake, 3)
    event = _delivered(url, 4)
    by_key = _by_key(event)
    set_aside(lake.store, keys[1], "was cut short", "etl")
    assert list(unreadable_objects(lake.store)) == [keys[1]]
    with lake.store.lease(f"etl/{keys[0]}") as held:
        assert held
        answer = etl_handler.handler(event, context=None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": by_key[keys[0]]}]}
    assert sorted(processed_raw_objects(lake.store)) == keys[1:]
    assert list(lake.store.list("state/unreadable/")) == []
    assert etl_handler.handler(event, context=None) == {"batchItemFailures": []}  # the lease is free again
    assert sorted(processed_raw_objects(lake.store)) == keys


def test_after_an_unreadable_object_the_objects_never_tried_go_back_to_the_batch_path(
    queued: tuple[Lake, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Passes of 3: the first holds the unreadable object, which alone runs by itself (set aside); the four
    objects after it share passes again instead of each running alone."""
    lake, url = queued
    monkeypatch.setattr(etl_batch, "MAX_OBJECTS", 3)
    keys = _objects(lake, 6)
    broken = RawKey("cloudwatch", "/app/broken", "s", "0000000000000-0000").key
    lake.store.put(broken, b"not gzip at all")
    event = _delivered(url, 8)
    order = [keys[0], broken, *keys[1:]]
    by_key = _by_key(event)
    position = {by_key[k]: n for n, k in enumerate(order)}
    event["Records"].sort(key=lambda r: position.get(r["messageId"], -1))  # the test event first
    passes = shared_passes(monkeypatch)
    assert etl_handler.handler(event, context=None) == {"batchItemFailures": []}
    assert passes == [2, 3]  # keys[0] and keys[1] beside the unreadable one, then 3; the last is a chunk of one
    assert sorted(processed_raw_objects(lake.store)) == keys
    assert list(unreadable_objects(lake.store)) == [broken]


def test_a_message_of_several_objects_and_an_object_named_by_two_messages(
    queued: tuple[Lake, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message is retried when any object it names failed (the others commit now and are skipped on the
    retry); an object named by two messages is processed once, and both messages share its outcome."""
    lake, _url = queued
    keys = _objects(lake, 3)
    flaky = RawKey("cloudwatch", "/app/flaky", "s", "0000000000000-0000").key
    lake.store.put(flaky, gzip.compress(gzip.decompress(lake.store.get(keys[0])).replace(b"/app/0", b"/app/flaky")))

    def body(*names: str) -> dict[str, Any]:
        return {"Records": [r for k in names for r in object_created_event(BUCKET, f"lake/{k}")["Records"]]}

    event = queued_event([body(keys[0], flaky), body(keys[1]), body(keys[1]), body(flaky), body(keys[2])])
    original = S3Store.local_file

    def unavailable(self: S3Store, key: str) -> AbstractContextManager[Path]:
        if key == flaky:
            raise StoreError(f"cannot read s3://{BUCKET}/lake/{key}: SlowDown")
        return original(self, key)

    monkeypatch.setattr(S3Store, "local_file", unavailable)
    passes = shared_passes(monkeypatch)
    outcome = handle_sqs_event(event, lake, EtlSettings())
    assert outcome.batch_item_failures() == {"batchItemFailures": [{"itemIdentifier": "m0"}, {"itemIdentifier": "m3"}]}
    assert [(r.manifest.raw_object, r.skipped) for r in outcome.results] == [(k, False) for k in keys]
    assert passes == [3]  # keys[1] once, though two messages name it
    assert sorted(processed_raw_objects(lake.store)) == keys
    assert (
        outcome.summary() == f"2 messages retried, the first: {flaky}: cannot read s3://{BUCKET}/lake/{flaky}: SlowDown"
    )

    monkeypatch.setattr(S3Store, "local_file", original)  # the two messages come back
    again = handle_sqs_event(queued_event([body(keys[0], flaky), body(flaky)]), lake, EtlSettings())
    assert again.batch_item_failures() == {"batchItemFailures": []}
    assert [(r.manifest.raw_object, r.skipped) for r in again.results] == [(keys[0], True), (flaky, False)]
    assert sorted(processed_raw_objects(lake.store)) == sorted([*keys, flaky])
