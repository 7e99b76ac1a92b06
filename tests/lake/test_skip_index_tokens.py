"""The skip index's distinct tokens (lake/skip_index.py `_words_of_distinct_tokens`: DuckDB cuts messages at spaces,
commas and tabs and keeps each file's distinct tokens; Python splits only those into words), used where a probe of
the first messages says they pay (`_tokens_pay`), change the CPU, never the index: every filter is byte for byte
the filter of the word split of every message (benchmarks/skip_index_words.py's `words_before`, the code before
them), over every benchmark format's generated lines, every parser's EXAMPLES and crafted lines (non-ASCII, upper
case, words longer than MAX_WORD, empty and NULL messages, separators at the edges), either way, in one group per
file or cut into many groups and small pieces."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from conftest import PARSER_EXAMPLES, RecordingConnection, benchmark_module
from loglake.lake import skip_index

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
@pytest.mark.parametrize("way", ["words", "tokens", "probe"])
def test_filters_are_byte_identical_to_the_word_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, way: str, buckets: int, chars: int
) -> None:
    # One thread: the probe reads the first 2,048 messages of the files' UNION ALL, which two threads return in
    # either file order, so the probe's verdict (never the filters) changed from run to run (CI, 2026-12-01).
    con = duckdb.connect(config={"threads": 1})
    batches = dict(_batches())
    files = {
        f"clean/logs/dt=2026-01-01/hour=00/{name}.parquet": _parquet(con, tmp_path / f"{name}.parquet", batch)
        for name, batch in batches.items()
    }
    largest = max(skip_index._message_bytes(con, str(path), key) for key, path in files.items())
    monkeypatch.setattr(skip_index, "_BUCKET_BYTES", largest // buckets + 1 if buckets > 1 else largest + 1)
    monkeypatch.setattr(skip_index, "_SPLIT_CHARS", chars)
    verdicts: list[bool] = []
    pay = skip_index._tokens_pay
    monkeypatch.setattr(
        skip_index,
        "_tokens_pay",
        lambda texts: verdicts.append(pay(texts) if way == "probe" else way == "tokens") or verdicts[-1],
    )
    groups: list[bytes] = []
    pieces = skip_index._text_pieces
    monkeypatch.setattr(skip_index, "_text_pieces", lambda text: groups.append(text) or pieces(text))
    new = skip_index.build_many(files, versions={}, con=con)
    with monkeypatch.context() as before:
        before.setattr(skip_index, "_distinct_words", benchmark_module("skip_index_words").words_before)
        old = skip_index.build_many(files, versions={}, con=con)
    assert sorted(old) == sorted(new) == sorted(k for k in files if "long_word" not in k)
    differ = [key for key in old if old[key].to_bytes() != new[key].to_bytes()]
    assert differ == []
    assert new["clean/logs/dt=2026-01-01/hour=00/only_empty.parquet"].items == 0
    # one probe (11,430 messages not NULL: the first chunk is full); the distinct tokens' groups: 37 files with a token
    # in each bucket, only_empty's one empty token
    assert (verdicts, len(groups)) == ([way != "words"], 0 if way == "words" else 37 * buckets + 1)


def _generated(fmt: str, lines: int) -> list[str]:
    make = benchmark_module("parser_throughput").GENERATORS[fmt]
    rng = random.Random(5)
    return [make(rng, i) for i in range(lines)]


@pytest.mark.parametrize(
    ("fmt", "pays"),
    [
        ("cloudtrail", True),
        ("waf", True),
        ("nlb", True),
        ("alb", True),
        ("access_log", True),
        ("vpc_flow_log", False),
        ("mysql_slow", False),
        ("syslog_rsyslog_file", False),
        ("cloudfront_realtime", False),
        ("container_docker", False),
    ],
)
def test_the_probe_chooses_distinct_tokens_where_they_repeat(fmt: str, pays: bool) -> None:
    """The probe's verdict on 256 generated lines: distinct tokens where they cost 0.53-0.79 of the split
    (CloudTrail's ARNs, WAF's rule groups, NLB's listeners, ALB's and Apache's constant fields), the split where
    they cost 1.1-1.26 of it (VPC's addresses, ports and byte counts; benchmarks/README.md, h-index2)."""
    assert skip_index._tokens_pay(_generated(fmt, 256)) is pays


@pytest.mark.parametrize(("fmt", "statements"), [("access_log", 3), ("vpc_flow_log", 1)])
def test_distinct_tokens_come_from_duckdb(tmp_path: Path, fmt: str, statements: int) -> None:
    """The shape of the speed-up: where the probe of a full first chunk says so, DuckDB cuts the messages into
    tokens and makes them distinct per file, and hands Python one text per file (per group, sized by the
    message column's bytes in the Parquet footer: a statement); elsewhere, and before, Python split every
    message, 2,048 at a time."""
    con = RecordingConnection(duckdb.connect())
    lines: list[str | None] = [*_generated(fmt, 2100), None, ""]
    path = _parquet(con.con, tmp_path / "a.parquet", lines)
    key = "clean/logs/dt=2026-01-01/hour=00/a.parquet"
    found = skip_index._distinct_words(con, {str(path): key})  # type: ignore[arg-type]
    expected = {w for m in lines if m for w in m.encode().translate(skip_index._SEPARATE).split()}
    assert found == {str(path): expected}
    assert len(con.statements) == statements
    assert ("SELECT DISTINCT f, unnest(string_split(replace(replace(CASE WHEN" in con.statements[-1]) == (
        statements == 3
    )
