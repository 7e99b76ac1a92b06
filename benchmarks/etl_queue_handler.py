"""The ETL Lambda's cost per 10-event raw object: one S3 notification per invocation (EtlBatchSize 1) against
one SQS batch of 10 notifications (EtlBatchSize 10), through `loglake.handlers.etl.handler` itself.

    python benchmarks/etl_queue_handler.py [--objects 100] [--rounds 3]

Contenders, each on fresh objects in a fresh local lake (after one warm-up invocation: imports, the
registry's first write), in the same run:

- **direct**: one invocation per object, the S3 event S3 sends (the default stack);
- **queued, 10 per batch**: one invocation per 10 objects, the SQS event Lambda's event source mapping
  sends (a message per object, its body the S3 event);
- **queued, two shapes**: the same, but half the objects of each batch have other JSON fields (two services
  in one batch): each shape shares a pass (transform/etl_batch.py _Regroup);
- **queued, two shapes, one at a time**: that batch as etl_batch did before (fields that differ: every
  object alone, after the failed pass), for the ratio.

Reported: CPU and wall milliseconds per object (the process's CPU, all threads: steadier than wall time
on a shared machine), medians over rounds, each contender's ratio to **direct**, and the lake store's calls
per object (on S3 each is a request: reads are GET/HEAD/LIST, writes PUT/DELETE), from the last round.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from etl_throughput import write_raw  # type: ignore[import-not-found]
from loglake.aws_events.s3_event import object_created_event
from loglake.aws_events.sqs_event import queued_event
from loglake.handlers import environment
from loglake.handlers import etl as etl_handler
from loglake.lake.keys import RawKey
from loglake.lake.open import Lake, open_lake
from loglake.transform import etl_batch

PER_BATCH = 10


def sqs_event(lake: Lake, keys: list[str]) -> dict[str, Any]:
    """What Lambda's event source mapping hands the function: one record per message."""
    return queued_event([object_created_event(lake.raw_bucket, lake.object_key(key)) for key in keys])


def other_shape(lake: Lake, key: str) -> None:
    """Rewrite a raw object's messages with other JSON fields (another service's logs)."""
    import gzip

    lines = gzip.decompress(lake.store.get(key)).splitlines()
    rewritten = []
    for line in lines:
        record = orjson.loads(line)
        record["message"] = orjson.dumps({"svc": "other", "latency_ms": 12.5, "ok": True}).decode()
        rewritten.append(orjson.dumps(record))
    lake.store.put(key, gzip.compress(b"\n".join(rewritten) + b"\n"))


@contextlib.contextmanager
def one_at_a_time_when_fields_differ() -> Iterator[None]:
    """etl_batch before _Regroup: a batch whose objects' fields differ runs every object alone."""
    alike = etl_batch._alike
    etl_batch._alike = lambda own: [[n] for n in range(len(own))]  # type: ignore[assignment]
    try:
        yield
    finally:
        etl_batch._alike = alike  # type: ignore[assignment]


def fresh_lake(folder: Path, objects: int, shapes: int) -> tuple[Lake, list[str]]:
    lake = open_lake(str(folder))
    keys = [k for n in range(objects + 1) for k in write_raw(lake.store, 10, 10, log_group=f"/bench/{n}")]
    if shapes == 2:
        for n, key in enumerate(keys):
            if n % 2:
                other_shape(lake, key)
    assert all(RawKey.parse(k) for k in keys)
    os.environ["LOGLAKE_LAKE"] = str(folder)
    environment.lake_from_environment.cache_clear()
    etl_handler._catalogued.clear()
    with contextlib.redirect_stdout(io.StringIO()):  # the EMF metric lines
        etl_handler.handler(object_created_event(lake.raw_bucket, lake.object_key(keys[0])), None)  # warm-up
    return lake, keys[1:]


STORE_CALLS = (
    "get",
    "put",
    "put_file",
    "delete",
    "exists",
    "list",
    "local_file",
    "version",
    "read_versioned",
    "put_if",
)
"""The store's operations: on S3 each is a request (a listing one per page), what S3 bills per object."""


@contextlib.contextmanager
def counted_store_calls(lake: Lake) -> Iterator[dict[str, int]]:
    """Calls of the lake's store class while the block runs (the handler opens its own store), by kind: reads
    (get, head, list) and writes (put, delete)."""
    counts = {"reads": 0, "writes": 0}
    cls = type(lake.store)
    originals = {name: cls.__dict__.get(name) for name in STORE_CALLS}

    def wrapped(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        kind = "writes" if name.startswith("put") or name == "delete" else "reads"

        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            counts[kind] += 1
            return original(self, *args, **kwargs)

        return call

    for name in STORE_CALLS:
        setattr(cls, name, wrapped(name, getattr(cls, name)))
    try:
        yield counts
    finally:
        for name, original in originals.items():
            if original is None:
                delattr(cls, name)
            else:
                setattr(cls, name, original)


def measure(run: Callable[[], None], objects: int) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        run()
    return (time.process_time() - cpu) * 1000 / objects, (time.perf_counter() - wall) * 1000 / objects


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100, help="10-event objects per contender and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    objects = args.objects - args.objects % PER_BATCH
    names = ("direct", "queued, 10 per batch", "queued, two shapes", "queued, two shapes, one at a time")
    cpu: dict[str, list[float]] = {}
    wall: dict[str, list[float]] = {}
    calls: dict[str, tuple[float, float]] = {}
    for round_ in range(args.rounds):
        for name in names:
            with tempfile.TemporaryDirectory(prefix="loglake-bench-") as tmp:
                lake, keys = fresh_lake(Path(tmp) / "lake", objects, 2 if "two shapes" in name else 1)

                def direct(lake: Lake = lake, keys: list[str] = keys) -> None:
                    for key in keys:
                        answer = etl_handler.handler(object_created_event(lake.raw_bucket, lake.object_key(key)), None)
                        assert answer["processed"] == [key]

                def queued(lake: Lake = lake, keys: list[str] = keys) -> None:
                    for start in range(0, len(keys), PER_BATCH):
                        answer = etl_handler.handler(sqs_event(lake, keys[start : start + PER_BATCH]), None)
                        assert answer == {"batchItemFailures": []}

                with contextlib.ExitStack() as stack:
                    if name.endswith("one at a time"):
                        stack.enter_context(one_at_a_time_when_fields_differ())
                    counts = stack.enter_context(counted_store_calls(lake))
                    figures = measure(direct if name == "direct" else queued, objects)
                cpu.setdefault(name, []).append(figures[0])
                wall.setdefault(name, []).append(figures[1])
                calls[name] = (counts["reads"] / objects, counts["writes"] / objects)
        print(f"round {round_ + 1} done", file=sys.stderr, flush=True)
    base = statistics.median(cpu["direct"])
    print(f"{objects} objects of 10 events per contender; ETL handler; medians of {args.rounds} rounds")
    print(
        f"{'contender':<36} {'CPU ms/object':>14} {'wall ms/object':>15} {'CPU vs direct':>14} "
        f"{'store reads/object':>19} {'writes/object':>14}"
    )
    for name in names:
        median = statistics.median(cpu[name])
        reads, writes = calls[name]
        print(
            f"{name:<36} {median:>14.1f} {statistics.median(wall[name]):>15.1f} {median / base:>13.2f}x "
            f"{reads:>19.1f} {writes:>14.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
