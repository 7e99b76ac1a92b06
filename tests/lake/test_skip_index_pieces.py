"""The items statement of the skip index build (lake/skip_index.py, h-index7) splits pieces of _PIECE_WORDS words
instead of one text per file, tests a word for hex digits once, and makes no trigrams for a file that a word longer
than MAX_WORD leaves unindexed. Its rows must be the old statement's (kept here as it was), row for row, for every
file that gets an index, and the filters the definition's (with every hex trigram for a file of ids), bit for bit."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from conftest import assert_filters_are_the_definitions, build_with_snapshot, distinct_ids
from loglake.lake import skip_index

PREFIX = "clean/logs/dt=2026-01-01/hour=00/"
OLD_ITEMS = f"""CREATE OR REPLACE TEMP TABLE old_items AS
    WITH words AS MATERIALIZED (
        SELECT f, unnest(string_split(text, ' ')) AS word
        FROM (SELECT unnest(range(len($texts))) AS f, unnest($texts) AS text)
    ),
    covered AS MATERIALIZED (
        SELECT f FROM words
        WHERE length(word) >= {skip_index.HEX_WORD} AND regexp_full_match(word, '[0-9a-f]*[a-f][0-9a-f]*')
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
                AND NOT (f IN (SELECT f FROM covered) AND regexp_full_match(word, '[0-9a-f]+'))
            )
            UNION ALL
            SELECT f, unnest($hex) FROM covered
        )
    )"""
"""The items statement before h-index7: one text per file, the hex regex twice, trigrams of unindexable files."""


def _files() -> dict[str, list[str | None]]:
    """Files of ids (HEX_FILE of them, one short of it), of long numbers, of several pieces of words, with a word
    over MAX_WORD, and crafted edges: empty and separator-only lines, CR/LF, tabs, non-ASCII, MAX_WORD exactly."""
    rng = random.Random(7)
    words = [f"w{i}_{'x' * (i % 40)}{i * 7919}" for i in range(3 * skip_index._PIECE_WORDS + 5)]
    ids = distinct_ids(rng, skip_index.HEX_FILE, length=16)
    return {
        "ids": [f"trace={i.upper()} span {i[:8]} cafe 0123 n{n} took {n * 13}ms\r\n" for n, i in enumerate(ids)],
        "ids_short_of_one": [f"req {i} ok" for i in distinct_ids(rng, skip_index.HEX_FILE - 1)],
        "numbers": [f"flow {n} bytes {int(n) * 31}" for n in distinct_ids(rng, 1500, "0123456789", length=12)],
        "pieces": [" ".join(words[i : i + 9]) for i in range(0, len(words), 9)],
        "long_word": [*words[:700], f"a,{'q' * (skip_index.MAX_WORD + 1)},b", None],
        "edges": [
            None,
            "",
            " ,\t",
            "GET /a\r\n",
            "line\r",
            "Ünïcödé straße Kelvin \u212a ſ 漢字 emoji 🙂 café",
            "v" * skip_index.MAX_WORD,
            "ab a b_ __ _x_ x",
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

    words = skip_index._distinct_words(con, {str(path): key for key, path in files.items()})
    indexed = sorted(words)
    texts = [b" ".join(words[path]).decode("ascii") for path in indexed]
    con.execute(OLD_ITEMS, {"texts": texts, "hex": list(skip_index.HEX_TRIGRAMS)})
    old = con.execute("SELECT f, h FROM old_items ORDER BY f, h NULLS FIRST").fetchall()
    long = indexed.index(str(files[f"{PREFIX}long_word.parquet"]))
    assert [row for row in snapshot.rows if row[0] != long] == [row for row in old if row[0] != long]
    # the unindexable file: its words and its mark, no trigram
    long_rows = [row for row in snapshot.rows if row[0] == long]
    assert [h for _, h in long_rows].count(None) == 1
    assert len(long_rows) == 1 + len(words[indexed[long]])
    assert len([row for row in old if row[0] == long]) > len(long_rows)

    assert_filters_are_the_definitions(con, built, batches, PREFIX)
    # the pieces: at most _PIECE_WORDS words each, every file cut into ceil(words / _PIECE_WORDS) of them
    assert max(len(p.split(" ")) for p in snapshot.params["pieces"]) == skip_index._PIECE_WORDS
    assert len(snapshot.params["pieces"]) == sum(-(-len(words[path]) // skip_index._PIECE_WORDS) for path in indexed)


@pytest.mark.parametrize("sizes", [[1], [skip_index._PIECE_WORDS], [skip_index._PIECE_WORDS + 1, 3], [2500, 1, 1024]])
def test_word_pieces_split_into_exactly_the_words_of_one_text(sizes: list[int]) -> None:
    """DuckDB's rows from the pieces and from one text per set are the same (f, word) rows: no word cut, none empty."""
    rng = random.Random(len(sizes))
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_"
    sets: list[set[bytes]] = []
    for n in sizes:
        found: set[bytes] = set()
        while len(found) < n:
            found.add("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 300))).encode())
        sets.append(found)
    of, pieces = skip_index._word_pieces(sets)
    con = duckdb.connect()
    new = con.execute(
        "SELECT f, unnest(string_split(text, ' ')) AS word FROM (SELECT unnest($of) AS f, unnest($pieces) AS text) "
        "ORDER BY ALL",
        {"of": of, "pieces": pieces},
    ).fetchall()
    texts = [b" ".join(found).decode("ascii") for found in sets]
    old = con.execute(
        "SELECT f, unnest(string_split(text, ' ')) AS word "
        "FROM (SELECT unnest(range(len($texts))) AS f, unnest($texts) AS text) ORDER BY ALL",
        {"texts": texts},
    ).fetchall()
    assert new == old == sorted((f, w.decode()) for f, found in enumerate(sets) for w in found)
    assert of == sorted(of)
    assert [len(p.split(" ")) for p in pieces] == [
        min(skip_index._PIECE_WORDS, len(found) - start)
        for found in sets
        for start in range(0, len(found), skip_index._PIECE_WORDS)
    ]
