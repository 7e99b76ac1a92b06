"""The ETL's floor: what reading a raw object and writing its rows as Parquet costs with no parsing at all.

    python benchmarks/etl_floor.py [--lines 50000] [--rounds 3] [--formats access_log,json]

parser_throughput.py asks how loglake's ETL of one raw object compares with a per-line Python parser. This script
asks how far any parser could take that ratio in the ETL's design, where every object is read from gzip JSON lines
into DuckDB and written as zstd Parquet partitioned by dt/hour, and each clean file gets a skip index. On the same
objects as parser_throughput.py (its generators and its per-format baseline), in the same process, CPU seconds:

- baseline: parser_throughput.py's per-line Python parser;
- floor: the ETL's own raw read (`raw_zone.read_raw` on the ETL's prepared session) and one COPY of each row's
  message and record fields, no other column, to zstd Parquet partitioned by the record's dt/hour: no
  classification, no parsing, no typed columns, no time from the line, no registry or manifest;
- floor + index: the same and the skip index of the written files (`skip_index.build_many`, as the ETL builds it);
- loglake, and loglake without the index: `process_raw_object`, as parser_throughput.py runs it.

`ceiling` = baseline CPU / floor CPU is the highest cpu ratio a format could reach if parsing, classification and
typed columns cost nothing; `ceiling, index` the same with the skip index. When a target ratio is above the ceiling,
no parser change reaches it; only a cheaper read, write or index does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from etl_throughput import baseline, write_raw
from loglake.lake import skip_index
from loglake.lake.local_store import LocalStore
from loglake.lake.raw_zone import raw_reader, read_raw
from loglake.transform import session
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings
from parser_throughput import GENERATORS, HEADERS, baseline_parse, chosen_formats, cpu_seconds, prepend_header

RECORD_COLUMNS = (
    "message, log_group, log_stream, event_id, epoch_ms(timestamp) AS timestamp, "
    "epoch_ms(ingestion_time) AS ingestion_time, source"
)


def floor(store: LocalStore, keys: list[str], out_dir: Path, *, index: bool) -> int:
    """Read each raw object as the ETL does and write its rows with no parsing; returns the rows written."""
    taken = session.acquire(None)
    con = taken.con
    written = 0
    try:
        for number, key in enumerate(keys):
            target = out_dir / str(number)
            with store.local_file(key) as raw_path:
                read_raw(
                    con,
                    lambda size: (
                        "CREATE OR REPLACE TEMP TABLE floor_lines AS SELECT * FROM "
                        f"{raw_reader([raw_path], max_line_bytes=size)}"
                    ),
                )
            con.execute(
                f"""COPY (SELECT {RECORD_COLUMNS}, strftime(epoch_ms(timestamp), '%Y-%m-%d') AS dt,
                    strftime(epoch_ms(timestamp), '%H') AS hour FROM floor_lines)
                TO '{target}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt, hour))"""
            )
            written += int(con.execute("SELECT count(*) FROM floor_lines").fetchall()[0][0])
            con.execute("DROP TABLE floor_lines")
            if index:
                files = {str(path.relative_to(out_dir)): path for path in target.rglob("*.parquet")}
                skip_index.build_many(files, versions=dict.fromkeys(files), con=con)
    finally:
        session.release(taken, failed=False)
    return written


def contender(name: str, fmt: str, store: LocalStore, keys: list[str], out: Path) -> int:
    """Run one contender over every object; returns the rows it wrote (the clean rows for loglake)."""
    if name == "baseline":
        return baseline(store, keys, out, baseline_parse(fmt))
    if name.startswith("floor"):
        return floor(store, keys, out, index=name == "floor+index")
    settings = EtlSettings(skip_index=name == "loglake")
    return sum(process_raw_object(store, key, settings, force=True).manifest.clean_rows for key in keys)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    parser.add_argument("--formats", default=",".join(GENERATORS))
    args = parser.parse_args()
    formats = chosen_formats(parser, args.formats)
    print(f"{args.lines:,} lines per format in raw objects of {args.batch:,}; CPU s, medians of {args.rounds} round(s)")
    names = ("baseline", "floor", "floor+index", "loglake", "no index")
    print(f"{'format':<21}" + "".join(f" {n:>11}" for n in names) + f" {'ceiling':>8} {'ceiling, index':>14}")
    for fmt in formats:
        with tempfile.TemporaryDirectory(prefix="loglake-floor-") as tmp:
            store = LocalStore(Path(tmp) / "lake")
            keys = write_raw(store, args.lines, args.batch, make=GENERATORS[fmt], log_group=f"/bench/{fmt}")
            if HEADERS.get(fmt):
                prepend_header(store, keys, HEADERS[fmt])
            spent: dict[str, list[float]] = {name: [] for name in names}
            for round_ in range(args.rounds):
                for name in names:
                    out = Path(tmp) / f"{name.replace(' ', '_')}-{round_}"
                    out.mkdir()
                    started = cpu_seconds()
                    done = contender(name, fmt, store, keys, out)
                    spent[name].append(cpu_seconds() - started)
                    total = args.lines + len(HEADERS.get(fmt, ())) * len(keys)
                    assert done == total, f"{fmt} {name}: {done} rows, expected {total}"
            median = {name: statistics.median(values) for name, values in spent.items()}
            ceiling = median["baseline"] / median["floor"]
            indexed = median["baseline"] / median["floor+index"]
            cells = "".join(f" {median[n]:>11.3f}" for n in names)
            print(f"{fmt:<21}{cells} {ceiling:>7.2f}x {indexed:>13.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
