"""The ETL's fixed cost per raw object: small (10-event) and large (50,000-event) objects, in one run.

    python benchmarks/etl_small_objects.py [--small 200] [--large 2] [--rounds 3] [--pipeline 300]

The collector and the subscription handler make many small objects, and each is one ETL run; what a run
costs besides its events (connection, macros, parser set-up, registry, manifest, file moves) decides
what they cost. Contenders, each `process_raw_object` on the same objects, one thread, one at a time:

- **now**: as shipped (one prepared DuckDB connection per thread, reused across objects; parsers whose
  cheap guard no line passes are left out of classification);
- **no skip index**: the same with `[etl] skip_index = false` (what the clean files' skip index costs);
- **fresh connection**: the same, with the connection closed after every object (what every object paid
  before transform/session.py: connect, time zone, macros);
- **fresh + all parsers**: also classifying with every parser's regexes (what every object paid before
  the guard pass);
- **batched, N per pass**: `process_raw_objects` on the same objects, N at a time (transform/etl_batch.py:
  one DuckDB pass for N objects, outputs and manifests per object; 10 is what an SQS-fed Lambda receives
  at most, 32 what a local pipeline worker takes); objects over 256 KiB go one at a time, so the large
  objects cost as **now**;
- **per-line Python baseline** (etl_throughput.py's `json.loads` + flatten + `json.dumps`) on the same
  objects, so the figures can be compared across runs on a shared machine.

`--pipeline N` also runs `run_etl` (2 workers) on N 10-event objects with batches of one object (as
before transform/etl_batch.py) and of pipeline.BATCH_OBJECTS, and reports CPU and wall seconds.

Reported per object: milliseconds of CPU (the process's, all threads: stable on a loaded machine) and of
wall time, medians over rounds. The fixed part is what a 10-event object costs beyond 10 events at the
large objects' cost per event.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from etl_throughput import baseline, write_raw  # type: ignore[import-not-found]
from loglake import pipeline
from loglake.lake.local_store import LocalStore
from loglake.lake.open import open_lake
from loglake.transform import etl, session
from loglake.transform.etl import process_raw_object
from loglake.transform.etl_batch import process_raw_objects
from loglake.transform.settings import EtlSettings


@contextmanager
def fresh_connections() -> Iterator[None]:
    """Close the thread's connection after every object, as before connections were reused."""
    release = session.release

    def close_always(prepared: session.Session, *, failed: bool) -> None:
        release(prepared, failed=True)

    session.release = close_always  # type: ignore[assignment]
    try:
        yield
    finally:
        session.release = release  # type: ignore[assignment]


@contextmanager
def every_parser() -> Iterator[None]:
    """Classify with every parser, as before the guard pass."""
    guarded_out = etl._guarded_out
    etl._guarded_out = lambda con: frozenset()  # type: ignore[assignment]
    try:
        yield
    finally:
        etl._guarded_out = guarded_out  # type: ignore[assignment]


def measure(run: Callable[[], object], objects: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per object."""
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    return (time.process_time() - cpu) * 1000 / objects, (time.perf_counter() - wall) * 1000 / objects


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=200, help="10-event objects")
    parser.add_argument("--large", type=int, default=2, help="50,000-event objects")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    parser.add_argument("--pipeline", type=int, default=0, help="10-event objects for run_etl, 2 workers")
    args = parser.parse_args()
    settings = EtlSettings()
    unindexed = EtlSettings(skip_index=False)
    names = (
        "now",
        "no skip index",
        "fresh connection",
        "fresh + all parsers",
        "batched, 10 per pass",
        "batched, 32 per pass",
        "baseline",
    )
    cpu: dict[tuple[str, str], list[float]] = {}
    wall: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="loglake-bench-") as tmp:
        store = LocalStore(Path(tmp) / "lake")
        sizes = {"small": (10, args.small), "large": (50_000, args.large)}
        keys = {
            size: [k for n in range(count) for k in write_raw(store, events, events, log_group=f"/bench/{size}/{n}")]
            for size, (events, count) in sizes.items()
        }
        process_raw_object(store, keys["small"][0], settings, threads=1)  # imports, the registry's first write
        for round_ in range(args.rounds):
            for size, size_keys in keys.items():
                out = Path(tmp) / f"baseline-{size}-{round_}"
                out.mkdir()

                def etl_all(size_keys: list[str] = size_keys, settings: EtlSettings = settings) -> None:
                    for key in size_keys:
                        assert process_raw_object(store, key, settings, force=True, threads=1).manifest.events

                def batched(per_pass: int, size_keys: list[str] = size_keys) -> None:
                    for start in range(0, len(size_keys), per_pass):
                        part = size_keys[start : start + per_pass]
                        results = process_raw_objects(store, part, settings, force=True, threads=1)
                        assert all(r.manifest.events and not r.skipped for r in results)

                runs: dict[str, Callable[[], object]] = {
                    "now": etl_all,
                    "batched, 10 per pass": lambda: batched(10),
                    "batched, 32 per pass": lambda: batched(32),
                    "no skip index": lambda size_keys=size_keys: etl_all(size_keys, unindexed),
                    "baseline": lambda size_keys=size_keys, out=out: baseline(store, size_keys, out),
                }
                for name in names:
                    if name == "fresh connection":
                        with fresh_connections():
                            figures = measure(etl_all, len(size_keys))
                    elif name == "fresh + all parsers":
                        with fresh_connections(), every_parser():
                            figures = measure(etl_all, len(size_keys))
                    else:
                        figures = measure(runs[name], len(size_keys))
                    cpu.setdefault((size, name), []).append(figures[0])
                    wall.setdefault((size, name), []).append(figures[1])
            print(f"round {round_ + 1} done", file=sys.stderr, flush=True)

    def med(table: dict[tuple[str, str], list[float]], size: str, name: str) -> float:
        return statistics.median(table[(size, name)])

    print(f"10-event objects: {args.small}; 50,000-event objects: {args.large}; one thread; medians of {args.rounds}")
    print(f"{'contender':<22} {'10 events: CPU ms':>18} {'wall ms':>9} {'50,000 events: CPU ms':>22} {'wall ms':>9}")
    for name in names:
        print(
            f"{name:<22} {med(cpu, 'small', name):>18.1f} {med(wall, 'small', name):>9.1f}"
            f" {med(cpu, 'large', name):>22.0f} {med(wall, 'large', name):>9.0f}"
        )
    for name in names[:-1]:
        per_event = (med(cpu, "large", name) - med(cpu, "small", name)) / (50_000 - 10)
        fixed = med(cpu, "small", name) - 10 * per_event
        print(f"fixed CPU per object, {name}: {fixed:.1f} ms (per event {per_event * 1000:.1f} us)")
    if args.pipeline:
        pipeline_run(args.pipeline, args.rounds)
    return 0


def pipeline_run(objects: int, rounds: int) -> None:
    """run_etl on `objects` 10-event objects, 2 workers: batches of one object against the shipped size."""
    shipped = pipeline.BATCH_OBJECTS
    seconds: dict[int, list[tuple[float, float]]] = {}
    try:
        for _round in range(rounds):
            for size in (1, shipped):
                pipeline.BATCH_OBJECTS = size
                with tempfile.TemporaryDirectory(prefix="loglake-bench-") as tmp:
                    lake = open_lake(str(Path(tmp) / "lake"))
                    keys = [k for n in range(objects) for k in write_raw(lake.store, 10, 10, log_group=f"/p/{n}")]
                    cpu, wall = time.process_time(), time.perf_counter()
                    results = pipeline.run_etl(lake, keys, EtlSettings(), workers=2)
                    seconds.setdefault(size, []).append((time.process_time() - cpu, time.perf_counter() - wall))
                    assert len(results) == objects and not any(r.skipped for r in results)
    finally:
        pipeline.BATCH_OBJECTS = shipped
    for size, runs in seconds.items():
        print(
            f"run_etl, {objects} objects of 10 events, 2 workers, batches of {size}: "
            f"CPU {statistics.median(c for c, _w in runs):.1f} s, wall {statistics.median(w for _c, w in runs):.1f} s"
        )


if __name__ == "__main__":
    sys.exit(main())
