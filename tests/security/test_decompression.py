"""Gzip bombs: a few hundred KB to 1 MB that inflate to 64 MiB to 1 GiB of zeros are refused after a cap, in bounded
memory, wherever loglake decompresses outside data (export objects, CloudTrail files, subscription and Firehose
payloads). Issue 11 item 8: these were decompressed whole."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from conftest import load_event
from loglake.aws_events.cloudwatch_logs_event import decode_payload
from loglake.errors import EventError
from loglake.handlers import firehose, subscription
from loglake.lake.open import Lake
from loglake.lake.raw_zone import decode_batch

GIB = 1 << 30
MIB = 1 << 20


def write_bomb(path: Path, total: int, unit: bytes = b"\0", head: bytes = b"", tail: bytes = b"") -> Path:
    """A single-member gzip of `head`, `total` bytes of `unit` and `tail`, written a block at a time (never `total`
    in memory). Each segment is deflated on its own and closed with a full flush (byte-aligned, no history), so the
    1 MiB block of `unit` is valid again after itself and is repeated as is: ~1 KB per MiB of one repeated byte."""

    def segment(data: bytes, final: bool = False) -> bytes:
        deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        return deflate.compress(data) + deflate.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)

    chunk = unit * (MIB // len(unit))
    block = segment(chunk)
    crc, size = zlib.crc32(head), len(head)
    with path.open("wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + segment(head))  # gzip header: deflate, mtime 0
        while size < total:
            out.write(block)
            crc, size = zlib.crc32(chunk, crc), size + len(chunk)
        crc, size = zlib.crc32(tail, crc), size + len(tail)
        out.write(segment(tail, final=True) + struct.pack("<II", crc, size & 0xFFFFFFFF))
    return path


@pytest.fixture(scope="module")
def gib_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bomb(tmp_path_factory.mktemp("bomb") / "000000.gz", GIB)


@pytest.fixture(scope="module")
def payload_bomb(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A well-formed CloudWatch Logs payload whose one event is 64 MiB of 'a' (twice the cap), in 64 KB of gzip,
    base64 as CloudWatch sends it. Without the cap it decodes, and its event is stored."""
    head = b'{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":[],'
    head += b'"logEvents":[{"id":"1","timestamp":1,"message":"'
    path = write_bomb(tmp_path_factory.mktemp("bomb") / "payload.gz", 64 * MIB, b"a", head, b'"}]}')
    return base64.b64encode(path.read_bytes()).decode()


# Runs with its address space capped at 1 GiB: inflating the bomb whole cannot fit, so each answer is either the
# refusal or MemoryError. The S3 client is a stand-in (boto3 is not what is tested): list one object, stream it.
BOUNDED = """
import base64, datetime, json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
bomb, lake = sys.argv[1], sys.argv[2]
answers = {}

def attempt(name, run):
    try:
        answers[name] = run()
    except MemoryError:
        answers[name] = "MemoryError"
    except Exception as exc:
        answers[name] = f"{type(exc).__name__}: {exc}"

class Paginator:
    def paginate(self, **_):
        return [{"Contents": [{"Key": "out/task/stream-a/000000.gz", "Size": 0,
                               "LastModified": datetime.datetime(2026, 11, 26, tzinfo=datetime.UTC)}]}]

class Client:
    def get_paginator(self, _):
        return Paginator()
    def get_object(self, **_):
        return {"Body": open(bomb, "rb")}

def import_bomb(kind):
    from loglake.lake.open import open_lake
    from loglake.sources.cloudwatch_export import import_export
    report = import_export(open_lake(lake).store, "s3://exports/out/", "/g", client=Client(), kind=kind)
    return [report.objects_read, report.events, [(r.object_url, r.reason) for r in report.refused]]

def parse_export():
    from loglake.sources.cloudwatch_export import parse_export_object
    return len(parse_export_object(open(bomb, "rb").read(), "k", "g", "s"))

def parse_cloudtrail():
    from loglake.sources.cloudtrail_files import parse_cloudtrail_file
    return len(parse_cloudtrail_file(open(bomb, "rb").read(), "k", "g", "s"))

def decode():
    from loglake.aws_events.cloudwatch_logs_event import decode_payload
    return decode_payload(base64.b64encode(open(bomb, "rb").read()).decode()).message_type

attempt("export", parse_export)
attempt("cloudtrail", parse_cloudtrail)
attempt("payload", decode)
attempt("import export", lambda: import_bomb("export"))
attempt("import cloudtrail", lambda: import_bomb("cloudtrail"))
print(json.dumps(answers))
"""


def test_a_gib_bomb_is_refused_in_bounded_memory(gib_bomb: Path, tmp_path: Path) -> None:
    assert gib_bomb.stat().st_size < 1_100_000  # ~1 MB that inflates to 1 GiB
    done = subprocess.run(
        [sys.executable, "-c", BOUNDED, str(gib_bomb), str(tmp_path / "lake")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    refused = [["s3://exports/out/task/stream-a/000000.gz", "too_large"]]
    assert json.loads(done.stdout) == {
        "export": "EventTooLarge: one event is over the cap of 64 MiB",
        "cloudtrail": "SizeLimitExceeded: decompressed size is over the cap of 256 MiB",
        "payload": "EventError: CloudWatch Logs payload refused: its decompressed size is over the cap of 32 MiB; "
        "CloudWatch sends a few MB at most",
        "import export": [1, 0, refused],
        "import cloudtrail": [1, 0, refused],
    }
    (quarantined,) = (tmp_path / "lake").rglob("*.json.gz")  # no raw object: one quarantine record
    assert quarantined.relative_to(tmp_path / "lake").parts[:2] == ("quarantine", "dt=2026-11-26")
    record = json.loads(gzip.decompress(quarantined.read_bytes()))
    assert (record["reason"], record["stage"], record["raw_object"], record["message"]) == (
        "too_large",
        "import",
        "s3://exports/out/task/stream-a/000000.gz",
        "",
    )
    assert record["detail"] == (
        "s3://exports/out/task/stream-a/000000.gz: decompressed size is over the cap of 256 MiB, so it was not "
        "imported; if it is genuine: LOGLAKE_IMPORT_MAX_OBJECT_MIB=512 loglake import-export s3://exports/out/ "
        "--log-group /g --kind cloudtrail"
    )


@pytest.fixture
def lake_env(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> Lake:
    monkeypatch.setenv("LOGLAKE_LAKE", lake.store.uri)
    return lake


def test_a_subscription_bomb_is_refused(lake_env: Lake, payload_bomb: str) -> None:
    with pytest.raises(EventError) as refused:
        subscription.handler({"awslogs": {"data": payload_bomb}}, context=None)
    assert str(refused.value) == (
        "CloudWatch Logs payload refused: its decompressed size is over the cap of 32 MiB; "
        "CloudWatch sends a few MB at most"
    )
    assert list(lake_env.store.list("raw/")) == []


def test_a_firehose_bomb_record_fails_alone(lake_env: Lake, payload_bomb: str) -> None:
    event = copy.deepcopy(load_event("firehose_cloudwatch_logs"))
    event["records"][2]["data"] = payload_bomb
    answer = firehose.handler(event, context=None)
    assert [r["result"] for r in answer["records"]] == ["Dropped", "Dropped", "ProcessingFailed", "Dropped"]
    assert answer["records"][2]["data"] == payload_bomb  # handed back whole, to Firehose's error output
    stored = [r for key in lake_env.store.list("raw/") for r in decode_batch(lake_env.store.get(key))]
    kept = [decode_payload(r["data"]) for n, r in enumerate(event["records"]) if n != 2]
    assert len(stored) == sum(len(p.events) for p in kept if not p.is_control)
