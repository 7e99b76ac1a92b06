"""The skip index's distinct tokens (lake/skip_index.py `_distinct_words`: DuckDB cuts messages at spaces, commas
and tabs and keeps each file's distinct tokens; Python splits only those into words) change the CPU, never the
index: every filter is byte for byte the filter of the word split of every message that it replaced
(`_words_before`), over every benchmark format's generated lines, every parser's EXAMPLES and crafted lines
(non-ASCII, upper case, words longer than MAX_WORD, empty and NULL messages, separators at the edges), in
one group per file or cut into many groups and small pieces."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from conftest import PARSER_EXAMPLES, RecordingConnection, benchmark_module
from loglake.lake import skip_index
from loglake.lake.formats import FORMATS
from loglake.lake.store import glob_escape

CRAFTED: list[str | None] = [
    None,
    "",
    ",",
    " , ,, ",
    ",leading comma",
    "trailing comma,",
    "\tTab,\tcomma\t,",
    "a,b c\td\ne\rf\x0bg\x0ch",
    "UPPER,Case,MiXeD ABC,def GHI",
    "Ünïcode wörds,naïve café KELVIN\u212a İstanbul,ŞEHİR",
    "\u212a,\u212aelvin,5\u212a",  # the Kelvin sign lowers to an ASCII 'k'
    "ſtrange,ſ long s: ſſ Straße",
    "日本語,テキスト abc日本def 123_456,ÆØÅ-x_y_z 中文_mixed",
    "emoji,😀rocket🚀fuel ok 👍🏽thumbs_up",
    '{"key":"Value,with,commas","n":[1,2,3],"Nested":{"a b":"c\\u0041"}}',
    "arn:aws:iam::123456789012:role/App,arn:aws:iam::123456789012:role/App",
    "same same same,same,SAME,Same",
    "x" * 40 + "," + "y" * 40,
]
LONG = "z" * (skip_index.MAX_WORD + 1)


def _words_before(con: duckdb.DuckDBPyConnection, by_path: dict[str, str]) -> dict[str, set[bytes]]:
    """`_distinct_words` as it was before the distinct tokens (commit aaaf2bb): every message split into words,
    2,048 messages at a time, about 16 KiB of a file's messages at once."""
    sources = []
    for fmt in FORMATS.values():
        listed = [glob_escape(p) for p, k in by_path.items() if k.endswith(fmt.suffix)]
        if listed:
            source = fmt.reader(listed, {"message": "VARCHAR"}, hive=False, filename=True)
            sources.append(f"SELECT filename, message FROM {source}")
    words: dict[str, set[bytes]] = {}
    lowered = skip_index._LOWERED
    result = con.execute(f"SELECT filename, {lowered} FROM ({' UNION ALL '.join(sources)}) WHERE message IS NOT NULL")
    while rows := result.fetchmany(2048):
        texts: dict[str, list[str]] = {}
        for name, text in rows:
            texts.setdefault(name, []).append(text)
        for name, listed in texts.items():
            found = words.setdefault(str(name), set())
            start = size = 0
            for end, text in enumerate(listed, 1):
                size += len(text)
                if size >= 1 << 14 or end == len(listed):
                    found.update("\n".join(listed[start:end]).encode().translate(skip_index._SEPARATE).split())
                    start, size = end, 0
    return {name: found for name, found in words.items() if found}


def _parquet(con: duckdb.DuckDBPyConnection, path: Path, messages: list[str | None]) -> Path:
    con.execute("CREATE OR REPLACE TEMP TABLE m AS SELECT unnest($m::VARCHAR[]) AS message", {"m": messages})
    con.execute(f"COPY m TO '{path}' (FORMAT parquet)")
    con.execute("DROP TABLE m")
    return path


def _batches() -> Iterator[tuple[str, list[str | None]]]:
    generators = benchmark_module("parser_throughput").GENERATORS
    for fmt, make in generators.items():
        rng = random.Random(13)
        yield fmt, [make(rng, i) for i in range(300)]
    yield "examples", [*PARSER_EXAMPLES]
    crafted = [None if m is None else f"{m} {i}" if i % 3 else m for i in range(60) for m in CRAFTED]
    yield "crafted", crafted
    yield "long_word", [*crafted[:50], f"a,{LONG},b", *crafted[50:100]]
    yield "only_empty", [None, "", ",", " ", None]


@pytest.mark.parametrize(("buckets", "chars"), [(1, 16384), (5, 64)])
def test_filters_are_byte_identical_to_the_word_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, buckets: int, chars: int
) -> None:
    con = duckdb.connect()
    batches = dict(_batches())
    files = {
        f"clean/logs/dt=2026-01-01/hour=00/{name}.parquet": _parquet(con, tmp_path / f"{name}.parquet", batch)
        for name, batch in batches.items()
    }
    largest = max(path.stat().st_size for path in files.values())
    monkeypatch.setattr(skip_index, "_BUCKET_BYTES", largest // buckets + 1 if buckets > 1 else largest + 1)
    monkeypatch.setattr(skip_index, "_SPLIT_CHARS", chars)
    groups: list[str] = []
    distinct_words = skip_index._distinct_words
    pieces = skip_index._pieces
    monkeypatch.setattr(skip_index, "_pieces", lambda text: groups.append("") or pieces(text))
    new = skip_index.build_many(files, versions={}, con=con)
    with monkeypatch.context() as before:
        before.setattr(skip_index, "_distinct_words", _words_before)
        old = skip_index.build_many(files, versions={}, con=con)
    assert skip_index._distinct_words is distinct_words
    assert sorted(old) == sorted(new) == sorted(k for k in files if "long_word" not in k)
    differ = [key for key in old if old[key].to_bytes() != new[key].to_bytes()]
    assert differ == []
    assert (new["clean/logs/dt=2026-01-01/hour=00/only_empty.parquet"].items, len(groups)) == (
        0,
        37 * buckets + 1,
    )  # only_empty: one group (its empty token)


def test_distinct_tokens_come_from_duckdb(tmp_path: Path) -> None:
    """The shape of the speed-up: DuckDB cuts the messages into tokens and makes them distinct per file, and
    hands Python one text per file (per group); before, Python split every message (2,048 rows at a time)."""
    con = RecordingConnection(duckdb.connect())
    path = _parquet(con.con, tmp_path / "a.parquet", ["GET /a,b\tc x", "GET /a,b\tc y", None])
    found = skip_index._distinct_words(con, {str(path): "clean/logs/dt=2026-01-01/hour=00/a.parquet"})  # type: ignore[arg-type]
    assert found == {str(path): {b"get", b"a", b"b", b"c", b"x", b"y"}}
    (sql,) = con.statements
    assert "SELECT DISTINCT filename, unnest(string_split(replace(replace(CASE WHEN strlen(message)" in sql
    assert "string_agg(token, ' ')" in sql and "GROUP BY filename, hash(token) % 1" in sql
