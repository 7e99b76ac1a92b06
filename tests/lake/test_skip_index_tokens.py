"""The skip index's token pass (lake/skip_index.py `_FileWords`) changes the CPU, never the index: every filter
built with it, forced on, forced off or chosen by the probe, is byte for byte the filter of the plain word
split it replaced (`_words_before`, the build's split before the token pass), over every benchmark format's
generated lines, every parser's EXAMPLES and crafted lines (non-ASCII, upper case, words longer than
MAX_WORD, empty and NULL messages, separators at the edges)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from conftest import PARSER_EXAMPLES, benchmark_module
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
    """`_distinct_words` as it was before the token pass (commit aaaf2bb): every piece split into words."""
    sources = []
    for fmt in FORMATS.values():
        listed = [glob_escape(p) for p, k in by_path.items() if k.endswith(fmt.suffix)]
        if listed:
            source = fmt.reader(listed, {"message": "VARCHAR"}, hive=False, filename=True)
            sources.append(f"SELECT filename, message FROM {source}")
    words: dict[str, set[bytes]] = {}
    lowered = skip_index._LOWERED
    result = con.execute(f"SELECT filename, {lowered} FROM ({' UNION ALL '.join(sources)}) WHERE message IS NOT NULL")
    while rows := result.fetchmany(skip_index._CHUNK_ROWS):
        texts: dict[str, list[str]] = {}
        for name, text in rows:
            texts.setdefault(name, []).append(text)
        for name, listed in texts.items():
            found = words.setdefault(str(name), set())
            for piece in skip_index._pieces(listed):
                found.update("\n".join(piece).encode().translate(skip_index._SEPARATE).split())
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


@pytest.mark.parametrize(("rows", "chars", "every"), [(2048, 16384, 16), (64, 128, 2)])
@pytest.mark.parametrize("mode", ["probe", "tokens", "words"])
def test_filters_are_byte_identical_to_the_word_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, rows: int, chars: int, every: int
) -> None:
    con = duckdb.connect()
    batches = dict(_batches())
    files = {
        f"clean/logs/dt=2026-01-01/hour=00/{name}.parquet": _parquet(con, tmp_path / f"{name}.parquet", batch)
        for name, batch in batches.items()
    }
    monkeypatch.setattr(skip_index, "_CHUNK_ROWS", rows)
    monkeypatch.setattr(skip_index, "_SPLIT_CHARS", chars)
    monkeypatch.setattr(skip_index, "_PROBE_EVERY", every)
    monkeypatch.setattr(skip_index, "_PROBE_PIECES", 8 if every == 16 else 2)
    if mode != "probe":  # the probe's verdict forced: every chunk's tokens (or none) after its probe
        monkeypatch.setattr(skip_index, "_COST_WORD", 10**9 if mode == "tokens" else 0)
    chose: list[bool] = []  # each probe's verdict
    tokens: list[int] = []  # the _FileWords (one per file) that split a chunk's distinct tokens
    probe, add = skip_index._FileWords._probe, skip_index._FileWords._add_tokens

    def probed(self: skip_index._FileWords, pieces: list[list[str]]) -> bool:
        chose.append(probe(self, pieces))
        return chose[-1]

    def added(self: skip_index._FileWords, distinct: set[bytes]) -> None:
        tokens.append(id(self))
        add(self, distinct)

    monkeypatch.setattr(skip_index._FileWords, "_probe", probed)
    monkeypatch.setattr(skip_index._FileWords, "_add_tokens", added)
    new = skip_index.build_many(files, versions={}, con=con)
    with monkeypatch.context() as before:
        before.setattr(skip_index, "_distinct_words", _words_before)
        old = skip_index.build_many(files, versions={}, con=con)
    assert sorted(old) == sorted(new) == sorted(k for k in files if "long_word" not in k)
    differ = [key for key in old if old[key].to_bytes() != new[key].to_bytes()]
    assert differ == []
    assert new["clean/logs/dt=2026-01-01/hour=00/only_empty.parquet"].items == 0
    assert len(chose) == (8 if every == 16 else 114)  # probes: chunks of 8 (2) pieces or more
    assert chose.count(True) == {"tokens": len(chose), "words": 0, "probe": 1 if every == 16 else 6}[mode]
    files_by_tokens = {"tokens": 8 if every == 16 else 37, "words": 0, "probe": 1 if every == 16 else 2}[mode]
    assert len(set(tokens)) == files_by_tokens  # with (64, 128, 2) every file but only_empty (one piece)


@pytest.mark.parametrize(
    ("fmt", "tokens"),
    [
        ("cloudtrail", True),
        ("waf", True),
        ("nlb", True),
        ("ecs_firelens", True),
        ("vpc_flow_log", False),
        ("access_log", False),
        ("alb", False),
        ("json", False),
        ("otlp_json", False),
    ],
)
def test_the_probe_splits_tokens_where_they_repeat(fmt: str, tokens: bool) -> None:
    """One 2,048-line chunk of the format's generated lines: tokens where the probe's counts say they cost
    less (CloudTrail's ARNs, WAF's rule groups, NLB's listeners repeat on every line: 21-26% less CPU in
    `_distinct_words`), words where nearly every token is new (VPC's addresses, ports and byte counts: the
    token pass cost twice as much there). The words are the plain split's either way."""
    make = benchmark_module("parser_throughput").GENERATORS[fmt]
    rng = random.Random(5)
    lines = [make(rng, i) for i in range(2048)]
    file = skip_index._FileWords()
    file.add(lines)
    assert (file.tokens, file.since_probe) == (tokens, 1)
    assert file.words == set("\n".join(lines).encode().translate(skip_index._SEPARATE).split())
