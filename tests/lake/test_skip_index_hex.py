"""Files of ids: a file with HEX_FILE distinct hex ids (HEX_WORD+ characters of [0-9a-f], a letter among them) holds
all 4,096 hex trigrams in place of the trigrams of its hex-only words, a superset of its items, so no file is
skipped wrongly; every other file's filter is the definition's, byte for byte (lake/skip_index.py's docstring)."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from conftest import HEX_ITEMS, distinct_ids, reference_bloom
from loglake.lake import skip_index


def _parquet(con: duckdb.DuckDBPyConnection, path: Path, messages: list[str]) -> Path:
    con.execute("CREATE OR REPLACE TEMP TABLE m AS SELECT unnest($m::VARCHAR[]) AS message", {"m": messages})
    con.execute(f"COPY m TO '{path}' (FORMAT parquet)")
    con.execute("DROP TABLE m")
    return path


def _definition(messages: list[str]) -> set[str]:
    """The items of the index's definition (ASCII messages: Python's lower() is DuckDB's)."""
    words = {w for m in messages for w in skip_index.WORD.findall(m.lower())}
    return {f"t:{w}" for w in words} | {f"g:{w[i : i + 3]}" for w in words for i in range(len(w) - 2)}


def _messages(ids: list[str]) -> list[str]:
    """Ids among words that are not hex-only: mixed (req_…, x9…), short hex (cafe), numbers, uppercase."""
    lines = [f"GET /orders/{i} req_{i[:5]} id={i.upper()} took {n * 7}ms cafe x9{i[:3]}" for n, i in enumerate(ids)]
    return [*lines, "checkout failed: Zebrafish-Timeout on host web-42 after 30s"]


# Ids made of a few letters leave most hex trigrams out of the definition: the file of K ids must get them all.
FEW = "0123abc"


@pytest.mark.parametrize("ids", [skip_index.HEX_FILE, skip_index.HEX_FILE + 500])
def test_a_file_of_ids_holds_every_hex_trigram_and_every_item_of_the_definition(tmp_path: Path, ids: int) -> None:
    con = duckdb.connect()
    messages = _messages(distinct_ids(random.Random(ids), ids, FEW))
    key = "clean/logs/dt=2026-01-01/hour=00/ids.parquet"
    index = skip_index.build_many({key: _parquet(con, tmp_path / "ids.parquet", messages)}, versions={}, con=con)[key]
    definition = _definition(messages)
    assert len(HEX_ITEMS - definition) > 2_500  # what the definition alone lacks
    expected = definition | HEX_ITEMS
    hashed, check = skip_index.hashes(con, sorted(expected))
    missing = [item for item, h in zip(sorted(expected), hashed, strict=True) if not index.may_contain(h)]
    assert (missing, index.items, index.hash_check) == ([], len(expected), check)
    assert (index.bits, index.bloom) == (
        skip_index.filter_bits(len(expected)),
        reference_bloom(con, expected, index.bits),
    )


@pytest.mark.parametrize(
    ("case", "messages"),
    [
        ("one id fewer than HEX_FILE", _messages(distinct_ids(random.Random(1), skip_index.HEX_FILE - 1, FEW))),
        (
            "ids one digit shorter than HEX_WORD",
            _messages(distinct_ids(random.Random(2), 600, length=skip_index.HEX_WORD - 1)),
        ),
        ("long numbers: hex without a letter", _messages(distinct_ids(random.Random(3), 600, "0123456789", length=13))),
        ("no ids", [f"user u{n} bought item {n * 31} for {n % 17}.99 EUR" for n in range(600)]),
    ],
)
def test_a_file_under_hex_file_keeps_the_filter_of_the_definition_byte_for_byte(
    tmp_path: Path, case: str, messages: list[str]
) -> None:
    con = duckdb.connect()
    key = "clean/logs/dt=2026-01-01/hour=00/few.parquet"
    index = skip_index.build_many({key: _parquet(con, tmp_path / "few.parquet", messages)}, versions={}, con=con)[key]
    expected = _definition(messages)
    assert len(HEX_ITEMS - expected) > 0, case  # the cover would have changed this filter
    assert (index.items, index.bits) == (len(expected), skip_index.filter_bits(len(expected))), case
    assert index.bloom == reference_bloom(con, expected, index.bits), case


def test_files_of_ids_and_files_without_in_one_build(tmp_path: Path) -> None:
    """One pass over several files: each gets its own item set (the cover is per file, never the build's)."""
    con = duckdb.connect()
    batches = {
        "ids": _messages(distinct_ids(random.Random(7), skip_index.HEX_FILE + 100, FEW)),
        "few": _messages(distinct_ids(random.Random(8), 40, FEW)),
        "plain": ["cache miss key=session:7", "GET /api/orders 200 user=u1"],
    }
    files = {
        f"clean/logs/dt=2026-01-01/hour=00/{name}.parquet": _parquet(con, tmp_path / f"{name}.parquet", messages)
        for name, messages in batches.items()
    }
    built = skip_index.build_many(files, versions={}, con=con)
    for name, messages in batches.items():
        index = built[f"clean/logs/dt=2026-01-01/hour=00/{name}.parquet"]
        expected = _definition(messages) | (HEX_ITEMS if name == "ids" else set())
        assert (index.items, index.bloom) == (len(expected), reference_bloom(con, expected, index.bits)), name
    temp = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall()[0][0]
    assert temp == 0
