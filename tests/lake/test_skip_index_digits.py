"""The items statement (lake/skip_index.py, h-index8) gives a file whose first SAMPLE_PIECES pieces hold all 1,000
DIGIT_TRIGRAMS (`numbered`) those 1,000 instead of the trigrams of each of its words of digits only. Its rows must be
the statement's before (kept here as it was at fbe7cd5), row for row, for every file that gets an index, and the
filters the definition's, bit for bit: files sampled or not, saturated or not, of ids, with a long word, both scans."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from conftest import assert_filters_are_the_definitions, build_with_snapshot, distinct_ids, index_definition
from loglake.lake import skip_index

PREFIX = "clean/logs/dt=2026-01-01/hour=00/"
OLD_ITEMS = f"""CREATE OR REPLACE TEMP TABLE old_items AS
    WITH words AS MATERIALIZED (
        SELECT f, word, length(word) >= 3 AND regexp_full_match(word, '[0-9a-f]+') AS hex FROM (
            SELECT f, unnest(string_split(text, ' ')) AS word
            FROM (SELECT unnest($pieces_of) AS f, unnest($pieces) AS text)
        )
    ),
    long AS MATERIALIZED (SELECT DISTINCT f FROM words WHERE length(word) > {skip_index.MAX_WORD}),
    covered AS MATERIALIZED (
        SELECT f FROM words
        WHERE hex AND length(word) >= {skip_index.HEX_WORD} AND NOT regexp_full_match(word, '[0-9]+')
        GROUP BY f HAVING count(*) >= {skip_index.HEX_FILE}
    )
    SELECT f, hash('t:' || word) AS h FROM words
    UNION ALL
    SELECT f, NULL FROM words WHERE length(word) > {skip_index.MAX_WORD}
    UNION ALL
    SELECT f, hash('g:' || trigram) FROM (
        SELECT DISTINCT f, trigram FROM (
            SELECT f, substr(word, i, 3) AS trigram FROM (
                SELECT f, word, unnest(range(1, length(word) - 1)) AS i FROM words
                WHERE length(word) BETWEEN 3 AND {skip_index.MAX_WORD}
                AND NOT (hex AND f IN (SELECT f FROM covered)) AND f NOT IN (SELECT f FROM long)
            )
            UNION ALL
            SELECT f, unnest($hex) FROM covered
        )
    )"""
"""The items statement before h-index8 (fbe7cd5): every digit word's trigrams made and made distinct."""

SAMPLED_WORDS = skip_index.SAMPLED_FILE * skip_index._PIECE_WORDS
"""Words from which a file is sampled."""


def _numbers(rng: random.Random, n: int, digits: str = "0123456789") -> list[str]:
    return distinct_ids(rng, n, digits, length=rng.choice([3, 5, 7]))


def _files() -> dict[str, list[str | None]]:
    """Sampled files (SAMPLED_WORDS words or more) whose sample saturates, whose numbers never hold a 9 (729 digit
    trigrams), with 900 numbers among 12,288 words, with ids, with a long word; small files; edges."""
    rng = random.Random(11)
    many = [f"{n} bytes={int(n) * 7} id x{n}y" for n in distinct_ids(rng, SAMPLED_WORDS, "0123456789", length=9)]
    no_nine = distinct_ids(rng, SAMPLED_WORDS + 100, "012345678", length=9)
    few = [f"word{i}" for i in range(SAMPLED_WORDS)] + distinct_ids(rng, 900, "0123456789", length=3)
    ids = distinct_ids(rng, skip_index.HEX_FILE, length=16)
    return {
        "saturated": [f"GET /item/{m} took {rng.randint(0, 10**6)}ms\r\n" for m in many],
        "no_nine": [f"flow {n} port {n[:5]} state_{n[-2:]}" for n in no_nine],
        "few_numbers": [" ".join(few[i : i + 10]) for i in range(0, len(few), 10)],
        "ids": [f"trace={i.upper()} span {i[:8]} n{k} {k * 7919:09d} took {k * 13}" for k, i in enumerate(ids * 12)],
        "long_word": [*many[:SAMPLED_WORDS], f"a,{'7' * (skip_index.MAX_WORD + 1)},b", None],
        "small": [f"req {n} ok {n[::-1]}" for n in _numbers(rng, 900)],
        "edges": [
            None,
            "",
            " ,\t",
            "123\r\n",
            "Ünïcödé 123 straße Kelvin \u212a ſ 漢字 🙂 café 000",
            "9" * skip_index.MAX_WORD,
            "01 012 0123 _12 12_ 1_2",
        ],
    }


@pytest.mark.parametrize("own_scans", [32, 0])  # each file its own scan; one scan per format (the many-files path)
def test_the_items_are_the_old_statements_and_the_filters_the_definitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_scans: int
) -> None:
    monkeypatch.setattr(skip_index, "_OWN_SCANS", own_scans)
    con = duckdb.connect()
    batches = _files()
    files, snapshot, built = build_with_snapshot(con, tmp_path, batches, PREFIX)

    params = snapshot.params
    con.execute(OLD_ITEMS, {"pieces_of": params["pieces_of"], "pieces": params["pieces"], "hex": params["hex"]})
    old = con.execute("SELECT f, h FROM old_items ORDER BY f, h NULLS FIRST").fetchall()
    words = skip_index._distinct_words(con, {str(path): key for key, path in files.items()})
    indexed = sorted(words)
    long = indexed.index(str(files[f"{PREFIX}long_word.parquet"]))
    assert [row for row in snapshot.rows if row[0] != long] == [row for row in old if row[0] != long]
    long_rows = [row for row in snapshot.rows if row[0] == long]  # its words and its mark, no trigram
    assert ([h for _, h in long_rows].count(None), len(long_rows)) == (1, 1 + len(words[indexed[long]]))

    # which files were sampled: the large ones, their first SAMPLE_PIECES pieces
    sampled = {indexed[f].rsplit("/", 1)[1] for f, s in zip(params["pieces_of"], params["samples"], strict=True) if s}
    assert sampled == {f"{name}.parquet" for name in ("saturated", "no_nine", "few_numbers", "ids", "long_word")}
    assert sum(params["samples"]) == len(sampled) * skip_index.SAMPLE_PIECES

    assert_filters_are_the_definitions(con, built, batches, PREFIX)
    no_nine = index_definition(batches["no_nine"])
    assert len({t for t in no_nine if t[:2] == "g:" and t[2:].isdigit()}) == 729  # never saturated: 9 is never in it


def test_samples_are_the_first_pieces_of_large_files() -> None:
    n, big = skip_index.SAMPLE_PIECES, skip_index.SAMPLED_FILE
    of = [0] * (big - 1) + [1] * big + [2] + [3] * (big + 5)
    expected = [False] * (big - 1) + [True] * n + [False] * (big - n) + [False] + [True] * n + [False] * (big + 5 - n)
    assert skip_index._samples(of) == expected
    assert skip_index._samples([]) == []
