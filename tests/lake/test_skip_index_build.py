"""The skip index holds exactly the items of its definition (lake/skip_index.py's docstring): the words of
`WORD` over DuckDB's lower() of each message and every trigram of each word, whatever the text. The build
splits words outside DuckDB's regex engine, on bytes, and lowers only the messages beyond ASCII: each
message here, alone in its file and all together in one, must give the definition's items, no fewer and
no more (a file missing one would be skipped by a search that matches it)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from loglake.lake import skip_index

MESSAGES = [
    "Ünïcode wörds: naïve café KELVIN\u212a İstanbul ŞEHİR",
    "\u212a alone, \u212aelvin and 5\u212a",  # the Kelvin sign lowers to an ASCII 'k'
    "ſtrange ſ long s: ſſ Straße",  # 'ſ' stays itself under lower(): a separator, as for WORD
    "İİ İnce iİi",  # 'İ' lowers to 'i'
    "tab\there\tand\t\ttabs\x00nul\x00\x00end\x1fus new\nline cr\rlf",
    "日本語テキスト abc日本def 123_456 ÆØÅ-x_y_z 中文_mixed",
    "emoji 😀rocket🚀fuel ok 👍🏽thumbs_up",
    "ASCII Only UPPER_Case ZQX __init__ a1b2c3",  # ASCII only: lowered by the byte table
    "ab cd e",  # words shorter than a trigram
]


def _parquet(con: duckdb.DuckDBPyConnection, path: Path, messages: list[str | None]) -> Path:
    con.execute("CREATE OR REPLACE TEMP TABLE m AS SELECT unnest($m::VARCHAR[]) AS message", {"m": messages})
    con.execute(f"COPY m TO '{path}' (FORMAT parquet)")
    con.execute("DROP TABLE m")
    return path


def _definition(con: duckdb.DuckDBPyConnection, messages: list[str | None]) -> set[str]:
    """The index's definition: WORD over DuckDB's lower() of each message, every trigram of every word."""
    lowered = con.execute("SELECT list_transform($m::VARCHAR[], lambda x: lower(x))", {"m": messages}).fetchall()
    words = {w for text in lowered[0][0] if text is not None for w in skip_index.WORD.findall(text)}
    return {f"t:{w}" for w in words} | {f"g:{w[i : i + 3]}" for w in words for i in range(len(w) - 2)}


def test_the_definition_reads_duckdbs_lower() -> None:
    """The reference itself: what lower() makes of the characters beyond ASCII decides the words."""
    con = duckdb.connect()
    items = {item for item in _definition(con, MESSAGES) if item.startswith("t:")}
    assert {"t:kelvink", "t:kelvin", "t:5k", "t:k", "t:istanbul", "t:ii", "t:iii", "t:ince"} <= items
    assert {"t:trange", "t:stra", "t:e", "t:def", "t:x_y_z", "t:_mixed", "t:thumbs_up", "t:upper_case"} <= items
    assert {"t:tab", "t:here", "t:nul", "t:end", "t:us", "t:cr", "t:lf", "t:__init__", "t:a1b2c3"} <= items
    assert not any("ſ" in item or "\u212a" in item or "İ" in item for item in items)
    assert len(_definition(con, ["ab cd e"])) == 3  # three words, no trigram


@pytest.mark.parametrize("together", [False, True], ids=["one file per message", "one file of all"])
def test_each_file_holds_exactly_the_items_of_the_definition(tmp_path: Path, together: bool) -> None:
    con = duckdb.connect()
    batches: list[list[str | None]] = [[*MESSAGES, None, ""]] if together else [[m] for m in MESSAGES]
    files = {
        f"clean/logs/dt=2026-01-01/hour=00/m{i}.parquet": _parquet(con, tmp_path / f"m{i}.parquet", batch)
        for i, batch in enumerate(batches)
    }
    built = skip_index.build_many(files, versions={}, con=con)
    assert sorted(built) == sorted(files)
    sizes = []
    for i, batch in enumerate(batches):
        index = built[f"clean/logs/dt=2026-01-01/hour=00/m{i}.parquet"]
        expected = sorted(_definition(con, batch))
        hashed, check = skip_index.hashes(con, expected)
        missing = [item for item, h in zip(expected, hashed, strict=True) if not index.may_contain(h)]
        assert (missing, index.items, index.hash_check) == ([], len(expected), check), batch
        sizes.append(index.items)
    assert sizes == ([144] if together else [27, 13, 12, 6, 21, 19, 21, 30, 3])


def _reference_bloom(con: duckdb.DuckDBPyConnection, items: set[str], bits: int) -> bytes:
    """The filter as SkipIndex.may_contain reads it, set bit by bit in Python."""
    bloom = bytearray(bits // 8)
    for hashed in skip_index.hashes(con, sorted(items))[0]:
        for p in skip_index.positions(hashed, bits):
            bloom[p >> 3] |= 0x80 >> (p & 7)
    return bytes(bloom)


def test_pieces_cut_after_the_text_that_fills_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(skip_index, "_SPLIT_CHARS", 5)
    texts = ["aaaa", "bb", "c", "", "dddddd", "e"]
    assert list(skip_index._pieces(texts)) == [["aaaa", "bb"], ["c", "", "dddddd"], ["e"]]
    assert list(skip_index._pieces(["12345", "x" * 12, ""])) == [["12345"], ["x" * 12], [""]]
    assert list(skip_index._pieces([])) == []


@pytest.mark.parametrize(("rows", "chars", "pieces"), [(1, 1, 72), (3, 40, 48), (2048, 16384, 4)])
def test_split_messages_chunk_and_piece_boundaries_change_no_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int, chars: int, pieces: int
) -> None:
    """Messages are fetched `_CHUNK_ROWS` at a time (a chunk may hold several files' messages) and each file's
    are split about `_SPLIT_CHARS` characters at a time: whatever the boundaries, each file gets exactly its
    definition's filter, a file with only NULL and empty messages an empty one, and no last piece is lost."""
    con = duckdb.connect()
    batches, files = _four_files(con, tmp_path)
    monkeypatch.setattr(skip_index, "_CHUNK_ROWS", rows)
    monkeypatch.setattr(skip_index, "_tokens_pay", lambda texts: False)  # every message split (the other way: below)
    monkeypatch.setattr(skip_index, "_SPLIT_CHARS", chars)
    cut: list[list[str]] = []
    split = skip_index._pieces
    monkeypatch.setattr(skip_index, "_pieces", lambda texts: [cut.append(p) or p for p in split(texts)])
    built = skip_index.build_many(files, versions={}, con=con)
    assert len(cut) == pieces
    assert sum(len(piece) for piece in cut) == 72  # every message that is not NULL, once
    assert sorted(built) == sorted(files)
    assert _sizes_if_each_is_its_definition(con, built, batches) == [(53, 1024), (0, 1024), (104, 1024), (206, 2048)]


def _four_files(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> tuple[list[list[str | None]], dict[str, Path]]:
    """Four clean files (c0..c3) and their messages: MESSAGES in two, one of only NULL and empty messages, and
    a larger one (128 words, 78 trigrams: a larger filter)."""
    batches: list[list[str | None]] = [MESSAGES[:4], [None, "", None], [*MESSAGES[4:], None, "", "tail_word ZZZ"]]
    batches.append([f"req-{n} Zebrafish{n} host_{n % 7}" for n in range(60)])
    files = {
        f"clean/logs/dt=2026-01-01/hour=00/c{i}.parquet": _parquet(con, tmp_path / f"c{i}.parquet", batch)
        for i, batch in enumerate(batches)
    }
    return batches, files


def _sizes_if_each_is_its_definition(
    con: duckdb.DuckDBPyConnection, built: dict[str, skip_index.SkipIndex], batches: list[list[str | None]]
) -> list[tuple[int, int]]:
    """Each file c<i>'s (items, bits), after checking its filter is the one its definition gives (`batches[i]`)."""
    sizes = []
    for i, batch in enumerate(batches):
        index = built[f"clean/logs/dt=2026-01-01/hour=00/c{i}.parquet"]
        expected = _definition(con, batch)
        assert (index.items, index.bits) == (len(expected), skip_index.filter_bits(len(expected)))
        assert index.bloom == _reference_bloom(con, expected, index.bits), batch
        sizes.append((index.items, index.bits))
    return sizes


def test_text_pieces_cut_at_the_first_space_past_the_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(skip_index, "_SPLIT_CHARS", 5)
    assert list(skip_index._text_pieces(b"aaaa bb c dddddd e")) == [b"aaaa bb", b"c dddddd", b"e"]
    assert list(skip_index._text_pieces(b"abcdefghij klm")) == [b"abcdefghij", b"klm"]
    assert list(skip_index._text_pieces(b"12345")) == [b"12345"]
    assert list(skip_index._text_pieces(b"ab  cd     ")) == [b"ab  cd", b"    "]
    assert list(skip_index._text_pieces(b"")) == []


@pytest.mark.parametrize(("buckets", "chars", "groups"), [(7, 1, 22), (3, 40, 10), (1, 16384, 4)])
def test_distinct_tokens_bucket_and_piece_boundaries_change_no_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, buckets: int, chars: int, groups: int
) -> None:
    """Where tokens pay, each file's distinct tokens come from DuckDB in groups (by hash, one per `_BUCKET_BYTES`
    of the largest file's messages) and are split about `_SPLIT_CHARS` bytes at a time: whatever the boundaries,
    each file gets exactly its definition's filter, a file with only NULL and empty messages an empty one, and
    no last piece is lost."""
    con = duckdb.connect()
    batches, files = _four_files(con, tmp_path)
    largest = max(skip_index._message_bytes(con, str(path), key) for key, path in files.items())
    monkeypatch.setattr(skip_index, "_BUCKET_BYTES", largest // buckets + 1 if buckets > 1 else largest + 1)
    monkeypatch.setattr(skip_index, "_SPLIT_CHARS", chars)
    cut: list[tuple[bytes, list[bytes]]] = []  # each group's text (its distinct tokens) and its pieces
    split = skip_index._text_pieces
    monkeypatch.setattr(skip_index, "_text_pieces", lambda text: cut.append((text, list(split(text)))) or cut[-1][1])
    monkeypatch.setattr(skip_index, "_CHUNK_ROWS", 3)  # 3 rows in the first chunk: the probe runs
    monkeypatch.setattr(skip_index, "_tokens_pay", lambda texts: True)
    built = skip_index.build_many(files, versions={}, con=con)
    # every bucket of each file with tokens (the file of NULL and empty messages: one group, an empty text)
    assert (len(cut), sum(not text for text, _ in cut)) == (groups, 1)
    for text, pieces in cut:  # pieces cut at a space (left out) once they reach `chars` bytes; no word lost
        joined = b" ".join(pieces)
        assert (text.startswith(joined), text[len(joined) :].strip(b" ")) == (True, b"")
        assert [len(piece) >= chars for piece in pieces[:-1]] == [True] * (len(pieces) - 1)
    assert sorted(built) == sorted(files)
    assert _sizes_if_each_is_its_definition(con, built, batches) == [(53, 1024), (0, 1024), (104, 1024), (206, 2048)]


def test_distinct_token_groups_follow_the_messages_bytes_not_the_file_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python's share of a large file's distinct tokens is bounded by its messages' bytes (the Parquet footer's
    uncompressed size of `message`), not by the compressed file: with groups of a bit more than the file's size,
    the 30-fold compressible messages still come in several groups (they came in one), and the filter is the one
    the per-message split gives."""
    con = duckdb.connect()
    lines: list[str | None] = [f"id{n:05d} {'same words again ' * 8}" for n in range(3000)]
    key = "clean/logs/dt=2026-01-01/hour=00/z.parquet"
    path = _parquet(con, tmp_path / "z.parquet", lines)
    message_bytes = skip_index._message_bytes(con, str(path), key)
    assert message_bytes > 10 * path.stat().st_size
    monkeypatch.setattr(skip_index, "_BUCKET_BYTES", path.stat().st_size + 1)
    groups: list[bytes] = []
    pieces = skip_index._text_pieces
    monkeypatch.setattr(skip_index, "_text_pieces", lambda text: groups.append(text) or pieces(text))
    monkeypatch.setattr(skip_index, "_tokens_pay", lambda texts: True)
    built = skip_index.build_many({key: path}, versions={}, con=con)
    assert len(groups) == 1 + message_bytes // (path.stat().st_size + 1)
    monkeypatch.setattr(skip_index, "_tokens_pay", lambda texts: False)
    assert built[key].to_bytes() == skip_index.build_many({key: path}, versions={}, con=con)[key].to_bytes()
