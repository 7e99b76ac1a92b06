"""Objects whose lines land in many tables: the ETL's CPU per object, with every table's skip index built in one pass
against a build per table (as before 2026-12-01), in one run.

    python benchmarks/mixed_objects.py [--objects 15] [--lines 20] [--rounds 3] [--seed 1]

A log group that several programs write to (a host's syslog, a shared Lambda's output, a sidecar's) gives objects
whose lines belong to several formats, so one ETL run writes a clean file per table. Each object here is `--lines`
lines drawn (seeded) from every parser's own EXAMPLES, so it spans about as many tables as it has distinct formats.
Contenders, each `process_raw_object` on the same objects, one thread, one object at a time, alternating per round:

- **one build**: as shipped (every table's files indexed by one `skip_index.write_for_all`);
- **a build per table**: the same, with `write_for_all` called once per table (the old loop);
- **no skip index**: `[etl] skip_index = false`, what the index costs at all.

Reported: CPU milliseconds per object (the process's, all threads), medians over rounds of the per-object median,
and each contender's ratio to **a build per table**.
"""

from __future__ import annotations

import argparse
import importlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loglake.aws_events.cloudwatch_logs_event import LogEvent, LogsPayload
from loglake.lake import skip_index
from loglake.lake.local_store import LocalStore
from loglake.lake.raw_zone import list_raw_objects
from loglake.sources.cloudwatch_subscription import write_payload
from loglake.transform import etl
from loglake.transform.parsers import PARSERS
from loglake.transform.settings import EtlSettings

T0 = 1_795_000_000_000
EXAMPLE_LINES = [ex.message for p in PARSERS for ex in importlib.import_module(type(p).__module__).EXAMPLES]


def per_table(write_for_all: Callable[..., list[str]]) -> Callable[..., list[str]]:
    """`write_for_all` called once per table of `keys` (clean/<table>/...), as the ETL's loop did."""

    def split(store: Any, keys: list[str], **kwargs: Any) -> list[str]:
        written: list[str] = []
        for table in dict.fromkeys(key.split("/")[1] for key in keys):
            written += write_for_all(store, [k for k in keys if k.split("/")[1] == table], **kwargs)
        return written

    return split


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=15)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    original = skip_index.write_for_all
    contenders: dict[str, tuple[EtlSettings, Callable[..., list[str]]]] = {
        "a build per table": (EtlSettings(), per_table(original)),
        "one build": (EtlSettings(), original),
        "no skip index": (EtlSettings(skip_index=False), original),
    }
    spent: dict[str, list[float]] = {name: [] for name in contenders}
    tables: list[int] = []
    with tempfile.TemporaryDirectory(prefix="loglake-bench-") as tmp:
        store = LocalStore(Path(tmp) / "lake")
        for n in range(args.objects):
            lines = [rng.choice(EXAMPLE_LINES) for _ in range(args.lines)]
            events = tuple(LogEvent(f"o{n}-{i}", T0 + i, line) for i, line in enumerate(lines))
            write_payload(store, LogsPayload("DATA_MESSAGE", "/bench/mixed", f"s{n}", events))
        keys = sorted(list_raw_objects(store))
        etl.process_raw_object(store, keys[0], EtlSettings(), force=True)  # warm the thread's connection
        for round_ in range(args.rounds):
            names = list(contenders) if round_ % 2 == 0 else list(reversed(contenders))
            for name in names:
                settings, write_for_all = contenders[name]
                skip_index.write_for_all = write_for_all  # type: ignore[assignment]  # etl reads it per call
                try:
                    cpu = []
                    for key in keys:
                        started = time.process_time()
                        result = etl.process_raw_object(store, key, settings, force=True)
                        cpu.append(time.process_time() - started)
                        if round_ == 0 and name == "one build":
                            tables.append(len(result.manifest.tables))
                finally:
                    skip_index.write_for_all = original  # type: ignore[assignment]
                spent[name].append(statistics.median(cpu))
    reference = statistics.median(spent["a build per table"])
    print(
        f"{args.objects} objects of {args.lines} lines from every parser's examples "
        f"(tables per object: median {statistics.median(tables)}, {min(tables)}-{max(tables)}); "
        f"medians of {args.rounds} rounds"
    )
    for name, values in spent.items():
        ms = statistics.median(values) * 1000
        print(f"{name:>18}: {ms:7.1f} ms CPU per object  ({ms / (reference * 1000):.2f}x of a build per table)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
