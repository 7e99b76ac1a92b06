"""The skip index keys each file by its position (an integer), not by the reader's filename, marks words too long to
index in DuckDB instead of Python, and reads each filter as a BLOB of one aggregate (lake/skip_index.py). A file
given another file's words, or a filter off by a bit, would be skipped by a search that matches it: every file of a
build over both clean formats, listed in any order, either way of finding words, must hold exactly its own items,
bit for bit the Python reference's filter."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import orjson
import pytest

from conftest import RecordingConnection, reference_bloom
from loglake.lake import skip_index

PREFIX = "clean/logs/dt=2026-01-01/hour=00/"


def _parquet(con: duckdb.DuckDBPyConnection, path: Path, messages: list[str | None]) -> Path:
    con.execute("CREATE OR REPLACE TEMP TABLE m AS SELECT unnest($m::VARCHAR[]) AS message", {"m": messages})
    con.execute(f"COPY m TO '{path}' (FORMAT parquet)")
    con.execute("DROP TABLE m")
    return path


def _json_gz(path: Path, messages: list[str | None]) -> Path:
    path.write_bytes(gzip.compress(b"".join(orjson.dumps({"message": m}) + b"\n" for m in messages)))
    return path


def _items(messages: list[str | None]) -> set[str]:
    words = {w for m in messages if m for w in skip_index.WORD.findall(m.lower())}
    return {f"t:{w}" for w in words} | {f"g:{w[i : i + 3]}" for w in words for i in range(len(w) - 2)}


def _messages(n: int, lines: int) -> list[str | None]:
    """Words of file `n` alone (`fileN...`), a few shared ones, repeated tokens (so that the distinct tokens pay
    when `lines` fills a chunk) and a NULL."""
    word = f"file{n}q{'x' * n}"
    return [None, *(f"GET /{word}/{i % 7} host=h{n}-{i % 3},{word}Tail\tshared" for i in range(lines))]


@pytest.mark.parametrize("own_scans", [32, 0])  # each file its own scan; one scan per format, filenames joined
@pytest.mark.parametrize("lines", [40, 2100])  # under a chunk: every message split; a full chunk: distinct tokens
def test_every_file_of_a_mixed_build_holds_exactly_its_own_items(
    tmp_path: Path, lines: int, own_scans: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(skip_index, "_OWN_SCANS", own_scans)
    con = duckdb.connect()
    files: dict[str, Path] = {}
    expected: dict[str, set[str]] = {}
    for n in (7, 2, 11, 0, 5, 9, 1, 3):  # keys neither in file order nor in path order
        messages = _messages(n, lines)
        if n % 2:
            key, path = f"{PREFIX}z{n}.json.gz", _json_gz(tmp_path / f"a{10 - n}.json.gz", messages)
        else:
            key, path = f"{PREFIX}y{n}.parquet", _parquet(con, tmp_path / f"b{10 - n}.parquet", messages)
        files[key], expected[key] = path, _items(messages)
    built = skip_index.build_many(files, versions=dict.fromkeys(files, "v"), con=con)
    assert sorted(built) == sorted(files)
    for key, items in expected.items():
        assert built[key].items == len(items)
        assert built[key].bits == skip_index.filter_bits(len(items))
        assert built[key].bloom == reference_bloom(con, items, built[key].bits)
    temp = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall()[0][0]
    assert temp == 0


def test_a_long_word_leaves_only_its_own_file_unindexed_either_way(tmp_path: Path) -> None:
    """The long-word mark is DuckDB's now: it must fall on its file only, on the split and on the distinct tokens."""
    con = duckdb.connect()
    long = "w" * (skip_index.MAX_WORD + 1)
    files = {
        f"{PREFIX}long_tokens.parquet": _parquet(con, tmp_path / "1.parquet", [*_messages(1, 2100), f"a {long} b"]),
        f"{PREFIX}short.parquet": _parquet(con, tmp_path / "2.parquet", _messages(2, 30)),
        f"{PREFIX}long_split.json.gz": _json_gz(tmp_path / "3.json.gz", [long.upper(), "x"]),
        f"{PREFIX}edge.json.gz": _json_gz(tmp_path / "4.json.gz", ["v" * skip_index.MAX_WORD]),
    }
    built = skip_index.build_many(files, versions=dict.fromkeys(files, "v"), con=con)
    assert sorted(built) == [f"{PREFIX}edge.json.gz", f"{PREFIX}short.parquet"]
    assert built[f"{PREFIX}edge.json.gz"].items == 2
    short = _items(_messages(2, 30))
    assert built[f"{PREFIX}short.parquet"].bloom == reference_bloom(con, short, skip_index.filter_bits(len(short)))


def test_files_are_integers_long_words_duckdbs_and_one_aggregate_per_filter(tmp_path: Path) -> None:
    """The speed-up's shape: no statement reads the reader's filename, the items statement marks words longer
    than MAX_WORD (Python no longer measures every word), and each filter is one bitstring_agg read as a BLOB
    (not seven OR-ed and read as text for int(text, 2))."""
    con = RecordingConnection(duckdb.connect())
    files = {
        f"{PREFIX}a.parquet": _parquet(con.con, tmp_path / "a.parquet", _messages(1, 2100)),
        f"{PREFIX}b.json.gz": _json_gz(tmp_path / "b.json.gz", [f"id{i}x" for i in range(300)]),
    }
    skip_index.build_many(files, versions={}, con=con)  # type: ignore[arg-type]
    assert not [sql for sql in con.statements if "filename" in sql]
    items = [sql for sql in con.statements if "CREATE OR REPLACE TEMP TABLE __ll_skip_items" in sql]
    assert len(items) == 1
    assert f"SELECT f, NULL FROM words WHERE length(word) > {skip_index.MAX_WORD}" in items[0]
    blooms = [sql for sql in con.statements if "bitstring_agg" in sql]
    assert len(blooms) == 2  # two filter sizes
    assert all(sql.count("bitstring_agg") == 1 and "::BLOB" in sql for sql in blooms)


def test_many_files_share_one_scan_per_format(tmp_path: Path) -> None:
    """A scan has a fixed cost: past _OWN_SCANS files (a batch's), the files of each format are read by one scan
    whose filenames a join maps to positions, not by a scan each (1,000 small files cost twice as much that way)."""
    con = RecordingConnection(duckdb.connect())
    files = {}
    for n in range(skip_index._OWN_SCANS + 1):
        if n % 2:
            files[f"{PREFIX}j{n}.json.gz"] = _json_gz(tmp_path / f"{n}.json.gz", _messages(n, 3))
        else:
            files[f"{PREFIX}p{n}.parquet"] = _parquet(con.con, tmp_path / f"{n}.parquet", _messages(n, 3))
    built = skip_index.build_many(files, versions={}, con=con)  # type: ignore[arg-type]
    assert len(built) == len(files)
    words = next(sql for sql in con.statements if "__ll_skip_items" not in sql and "message" in sql)
    assert words.count("read_parquet(") == 1 and words.count("read_json(") == 1
    assert words.count("JOIN (VALUES") == 2
