"""The skip index's construction: exact item counts, no word or trigram of a file ever missing from its filter,
the same index on a caller's connection as on one of its own, and nothing left in that connection."""

from __future__ import annotations

from pathlib import Path

import duckdb

from conftest import reference_bloom
from loglake.lake import skip_index


def _items(messages: list[str]) -> set[str]:
    words = {w for m in messages for w in skip_index.WORD.findall(m.lower())}
    return {f"t:{w}" for w in words} | {f"g:{w[i : i + 3]}" for w in words for i in range(len(w) - 2)}


def _parquet(con: duckdb.DuckDBPyConnection, path: Path, messages: list[str]) -> Path:
    con.execute("CREATE OR REPLACE TEMP TABLE m AS SELECT unnest($m) AS message", {"m": messages})
    con.execute(f"COPY m TO '{path}' (FORMAT parquet)")
    con.execute("DROP TABLE m")
    return path


def test_small_and_large_files_on_the_callers_connection(tmp_path: Path) -> None:
    small = ["GET /api/orders 200 user=u1", "cache miss key=session:7"]  # fewer than 128 items: one size
    large = [f"request req-{n} took {n * 7}ms on host-{n % 13} Zebrafish{n}" for n in range(300)]
    con = duckdb.connect()
    files = {
        "clean/logs/dt=2026-01-01/hour=00/a.parquet": _parquet(con, tmp_path / "a.parquet", small),
        "clean/logs/dt=2026-01-01/hour=01/b.parquet": _parquet(con, tmp_path / "b.parquet", large),
    }
    versions: dict[str, str | None] = {key: f"v-{key[-9]}" for key in files}
    built = skip_index.build_many(files, versions=versions, con=con)
    own = skip_index.build_many(files, versions=versions)  # a connection of its own gives the same index
    assert built == own
    for key, messages in (("a", small), ("b", large)):
        index = built[f"clean/logs/dt=2026-01-01/hour=0{'0' if key == 'a' else '1'}/{key}.parquet"]
        expected = _items(messages)
        assert index.items == len(expected)
        assert index.bits == skip_index.filter_bits(len(expected))
        assert index.version == f"v-{key}"
        hashed, check = skip_index.hashes(con, sorted(expected))
        assert check == index.hash_check
        assert all(index.may_contain(h) for h in hashed)  # never a false "no"
    assert (
        built["clean/logs/dt=2026-01-01/hour=00/a.parquet"].items,
        built["clean/logs/dt=2026-01-01/hour=00/a.parquet"].bits,
    ) == (31, 1024)  # 11 words, 20 trigrams
    assert built["clean/logs/dt=2026-01-01/hour=01/b.parquet"].bits > skip_index.MIN_BITS
    absent, _ = skip_index.hashes(con, [f"t:absent{n}" for n in range(1000)])
    assert sum(built["clean/logs/dt=2026-01-01/hour=01/b.parquet"].may_contain(h) for h in absent) < 60
    temp = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall()[0][0]
    assert temp == 0  # the caller's connection is left as it was


def test_a_file_without_words_gets_an_empty_filter(tmp_path: Path) -> None:
    con = duckdb.connect()
    key = "clean/logs/dt=2026-01-01/hour=00/e.parquet"
    built = skip_index.build_many({key: _parquet(con, tmp_path / "e.parquet", ["", "-- ..."])}, versions={}, con=con)
    assert (built[key].items, built[key].bits, built[key].bloom) == (0, 1024, bytes(128))


def test_filter_sizes_and_bits_equal_a_python_reference(tmp_path: Path) -> None:
    """Files of exactly n items (two-character words: one item each) across the filter-size boundaries."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    pairs = [a + b for a in alphabet for b in alphabet]
    con = duckdb.connect()
    files, expected = {}, {}
    for n in (1, 128, 129, 192, 193, 256, 257, 384, 1000):
        key = f"clean/logs/dt=2026-01-01/hour=00/n{n}.parquet"
        messages = [" ".join(pairs[i : i + 10]) for i in range(0, n, 10)]
        messages[-1] = " ".join(pairs[(len(messages) - 1) * 10 : n])
        files[key] = _parquet(con, tmp_path / f"n{n}.parquet", messages)
        expected[key] = _items(messages)
        assert len(expected[key]) == n
    built = skip_index.build_many(files, versions={}, con=con)
    sizes = {key[len("clean/logs/dt=2026-01-01/hour=00/") :]: built[key].bits for key in files}
    assert sizes == {
        "n1.parquet": 1024,
        "n128.parquet": 1024,
        "n129.parquet": 1536,
        "n192.parquet": 1536,
        "n193.parquet": 2048,
        "n256.parquet": 2048,
        "n257.parquet": 3072,
        "n384.parquet": 3072,
        "n1000.parquet": 8192,
    }
    for key, items in expected.items():
        assert built[key].items == len(items)
        assert built[key].bloom == reference_bloom(con, items, built[key].bits)


def test_a_file_with_a_word_too_long_to_index_gets_no_index_and_the_others_do(tmp_path: Path) -> None:
    """One 1 MB word took the trigram pass minutes (it stalled the ETL of test_etl's 1 MB line); leaving its trigrams
    out would skip a file that a search for part of it must read. So that file gets no index: it is always read."""
    con = duckdb.connect()
    files = {
        "clean/logs/dt=2026-01-01/hour=00/long.parquet": _parquet(
            con, tmp_path / "long.parquet", ["x" * (skip_index.MAX_WORD + 1), "short words"]
        ),
        "clean/logs/dt=2026-01-01/hour=00/big.parquet": _parquet(con, tmp_path / "big.parquet", ["y" * 1_048_576]),
        "clean/logs/dt=2026-01-01/hour=00/ok.parquet": _parquet(
            con, tmp_path / "ok.parquet", ["z" * skip_index.MAX_WORD]
        ),
    }
    built = skip_index.build_many(files, versions=dict.fromkeys(files, "v"), con=con)
    assert sorted(built) == ["clean/logs/dt=2026-01-01/hour=00/ok.parquet"]
    assert built["clean/logs/dt=2026-01-01/hour=00/ok.parquet"].items == 2  # the word and its one trigram "zzz"
    temp = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall()[0][0]
    assert temp == 0
