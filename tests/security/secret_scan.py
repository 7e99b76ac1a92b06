"""Finding secrets in what the ETL wrote: every byte of every file, gzip decompressed, and Parquet files
decoded value by value and through their column statistics and key-value metadata (the footer is not
compressed, so a min/max statistic is where a leak hides best)."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from pathlib import Path

import duckdb


def _found_in(text: str, needles: Iterable[str], *, alone: bool = False) -> set[str]:
    """`alone`: only where no letter or digit touches the needle (a longer number holding a card number's
    digits is another number, which redaction rightly keeps)."""
    if not alone:
        return {needle for needle in needles if needle in text}
    return {n for n in needles if re.search(rf"(?<![0-9A-Za-z]){re.escape(n)}(?![0-9A-Za-z])", text)}


def _parquet_leaks(path: Path, needles: Iterable[str], alone: bool) -> set[str]:
    """Where in one Parquet file a secret shows: its decoded values, its statistics, its metadata."""
    found: set[str] = set()
    con = duckdb.connect()
    try:
        quoted = "'" + str(path).replace("'", "''") + "'"
        for row in con.execute(f"SELECT * FROM read_parquet({quoted}, hive_partitioning = false)").fetchall():
            if _found_in(repr(row), needles, alone=alone):
                found.add("values")
        stats = con.execute(
            f"SELECT stats_min, stats_max, stats_min_value, stats_max_value FROM parquet_metadata({quoted})"
        ).fetchall()
        if any(_found_in(repr(row), needles, alone=alone) for row in stats):
            found.add("statistics")
        metadata = con.execute(f"SELECT key, value FROM parquet_kv_metadata({quoted})").fetchall()
        if any(_found_in(repr(row), needles, alone=alone) for row in metadata):
            found.add("metadata")
    finally:
        con.close()
    return found


def leaks(root: Path, zones: tuple[str, ...], needles: Iterable[str], *, alone: bool = False) -> dict[str, set[str]]:
    """Every file under the zones: where a secret shows (empty when nowhere)."""
    report: dict[str, set[str]] = {}
    for zone in zones:
        for path in sorted(p for p in (root / zone).rglob("*") if p.is_file()):
            data = path.read_bytes()
            found = {"bytes"} if _found_in(data.decode("latin-1"), needles, alone=alone) else set()
            if path.suffix == ".gz":
                found |= (
                    {"gzip"}
                    if _found_in(gzip.decompress(data).decode("utf-8", "replace"), needles, alone=alone)
                    else set()
                )
            if path.suffix == ".parquet":
                found |= _parquet_leaks(path, needles, alone)
            report[path.relative_to(root).as_posix()] = found
    return report
