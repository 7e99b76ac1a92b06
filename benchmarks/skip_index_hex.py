"""Skip index of files of ids: CPU of `skip_index.build_many` per format against another checkout's build (the
code before the hex-trigram cover), in the same run, and whether both gave the same filters.

    python benchmarks/skip_index_hex.py --old /tmp/hexidx-old/src [--lines 50000] [--rounds 3] [--formats otlp_json]
        [--hex-word 8] [--hex-file 256]

For each format, `--lines` synthetic lines (parser_throughput's generators) in one raw object go through
`process_raw_object` without the index; then the index of the clean files it wrote is built `--rounds` times each
way, alternating: `old` (lake/skip_index.py of the `--old` source tree, loaded beside this one) and `new` (this
tree's). CPU of the process (DuckDB's threads included) from time.process_time. Reported: medians in ms, new/old,
the files whose hex (or digit) words' trigrams were replaced by the constant list (`covered`), items of old and
new, and whether every file's .bloom bytes are equal (`same`).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import duckdb

from etl_throughput import write_raw
from loglake.lake import skip_index
from loglake.lake.local_store import LocalStore
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings
from parser_throughput import GENERATORS, HEADERS, chosen_formats, prepend_header


def load_old(src: Path) -> ModuleType:
    """The other tree's skip_index.py as a module of its own (it imports the rest of loglake from this tree)."""
    spec = importlib.util.spec_from_file_location("old_skip_index", src / "loglake" / "lake" / "skip_index.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def ids(words: set[bytes]) -> int:
    """A file's distinct hex words that count towards skip_index.HEX_FILE (Python's reading of the rule)."""
    return sum(
        1 for w in words if len(w) >= skip_index.HEX_WORD and not w.strip(b"0123456789abcdef") and not w.isdigit()
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="the src/ folder of the code to compare with")
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--formats", default=",".join(GENERATORS))
    parser.add_argument("--hex-word", type=int, default=skip_index.HEX_WORD, help="skip_index.HEX_WORD to try")
    parser.add_argument("--hex-file", type=int, default=skip_index.HEX_FILE, help="skip_index.HEX_FILE to try")
    args = parser.parse_args()
    formats = chosen_formats(parser, args.formats)
    skip_index.HEX_WORD, skip_index.HEX_FILE = args.hex_word, args.hex_file  # read by each build's statement
    builds = {"old": load_old(args.old).build_many, "new": skip_index.build_many}
    print(f"{args.lines:,} lines per format in one raw object; medians of {args.rounds} round(s), CPU ms")
    heads = f"{'files':>5} {'old':>7} {'new':>7} {'ratio':>6} {'covered':>7} {'items old':>10} {'new':>9}"
    print(f"{'format':<22} {heads}  same")
    ratios, all_same = [], True
    for fmt in formats:
        with tempfile.TemporaryDirectory(prefix="loglake-skiphex-") as tmp:
            lake = Path(tmp) / "lake"
            store = LocalStore(lake)
            keys = write_raw(store, args.lines, args.lines, make=GENERATORS[fmt], log_group=f"/bench/{fmt}")
            if HEADERS.get(fmt):
                prepend_header(store, keys, HEADERS[fmt])
            for key in keys:
                process_raw_object(store, key, EtlSettings(skip_index=False), force=True)
            files = {p.relative_to(lake).as_posix(): p for p in sorted(lake.glob("clean/**/*.parquet"))}
            versions: dict[str, str | None] = dict.fromkeys(files)
            con = duckdb.connect()
            times: dict[str, list[float]] = {way: [] for way in builds}
            built: dict[str, dict[str, bytes]] = {}
            items: dict[str, int] = {}
            for _ in range(args.rounds):
                for way, build in builds.items():
                    c0 = time.process_time()
                    made = build(files, versions=versions, con=con)
                    times[way].append(time.process_time() - c0)
                    built[way] = {key: index.to_bytes() for key, index in made.items()}
                    items[way] = sum(index.items for index in made.values())
            found = skip_index._distinct_words(con, {str(path): key for key, path in files.items()})
            covered = sum(ids(words) >= skip_index.HEX_FILE for words in found.values())
            con.close()
            old, new = statistics.median(times["old"]), statistics.median(times["new"])
            ratios.append(new / old)
            same = built["old"] == built["new"]
            all_same &= same
            print(
                f"{fmt:<22} {len(files):>5} {old * 1e3:>7.0f} {new * 1e3:>7.0f} {new / old:>6.2f} {covered:>7} "
                f"{items['old']:>10,} {items['new']:>9,}  {same}",
                flush=True,
            )
    print(f"new/old: median {statistics.median(ratios):.2f}, min {min(ratios):.2f}, max {max(ratios):.2f}")
    return 0 if all_same else 1


if __name__ == "__main__":
    sys.exit(main())
