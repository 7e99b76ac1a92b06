"""Which clean files can hold a text match: the skip index's read side, shared by `search` and `query`.

A text condition on `message` (a search pattern, a LIKE pattern, a regular expression) becomes the items
every file holding a match must have in its skip index (lake/skip_index.py): the word trigrams, and the
whole words, of the literal text every match contains, lowered as DuckDB lowers (the index is over
DuckDB's lower(message), which is a superset test for a case-sensitive and a case-insensitive match).
No items (nothing literal of 3+ word characters) means the index cannot help: every file is read. A file
without an index, with a stale one (another version of the file), or outside the clean zone's layout is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from loglake.lake import skip_index
from loglake.lake.keys import CLEAN_PREFIX
from loglake.lake.store import Store


@dataclass
class SkipCount:
    """What the index did for a set of files."""

    files: int = 0
    """Files looked at (those that survived partition pruning)."""
    skipped: int = 0
    read_without_index: int = 0
    """Files read because they have no index, or a stale one."""
    index_bytes: int = 0


def lowered(texts: list[str]) -> list[str]:
    """Lower-case as DuckDB does (the index was built with DuckDB's lower())."""
    if not texts:
        return []
    con = duckdb.connect()
    try:
        rows = con.execute("SELECT list_transform($t, lambda x: lower(x))", {"t": texts}).fetchall()
        return [str(text) for text in rows[0][0]]
    finally:
        con.close()


def text_items(text: str) -> list[str]:
    """The items of a plain substring (case-sensitive or not): `search`'s text pattern."""
    return skip_index.text_items(lowered([text])[0])


def pieces_items(pieces: list[str]) -> list[str]:
    """The items of several substrings that every match contains (LIKE's literal pieces between wildcards)."""
    return sorted({item for piece in lowered(pieces) for item in skip_index.text_items(piece)})


def regex_items(pattern: str, *, ignore_case: bool) -> list[str]:
    """The items of the literal text every match of an RE2 `pattern` contains ([] when there is none)."""
    literals = skip_index.regex_literals(pattern, ignore_case=ignore_case)
    if not literals:
        return []
    return sorted({i for text in lowered(literals) for i in skip_index.text_items(text, whole_words=False)})


def like_pieces(pattern: str, escape: str | None = None) -> list[str] | None:
    """The literal runs of a LIKE/ILIKE pattern between its wildcards (`%` any run, `_` one character);
    `escape` makes the next character literal. None when the pattern is not one DuckDB accepts as read here
    (an escape of another length than one character, or a pattern ending in the escape)."""
    if escape is not None and len(escape) != 1:
        return None
    pieces: list[str] = []
    run: list[str] = []
    at = 0
    while at < len(pattern):
        char = pattern[at]
        if escape is not None and char == escape:
            if at + 1 >= len(pattern):
                return None
            run.append(pattern[at + 1])
            at += 2
            continue
        if char in "%_":
            pieces.append("".join(run))
            run = []
        else:
            run.append(char)
        at += 1
    pieces.append("".join(run))
    return [piece for piece in pieces if piece]


def may_match(store: Store, keys: Iterable[str], items: list[str], count: SkipCount) -> list[str]:
    """The keys whose index does not rule out every item being present (all keys when `items` is empty),
    counting in `count`. Each index is read (one GET on S3) with the file's version (one HEAD)."""
    keys = list(keys)
    count.files += len(keys)
    if not items:
        return keys
    hashed, check = _hashes(items)
    kept = []
    for key in keys:
        if not key.startswith(CLEAN_PREFIX):  # another table format's data file: no index
            count.read_without_index += 1
            kept.append(key)
            continue
        index, size = skip_index.read_for(store, key, store.version(key), check)
        count.index_bytes += size
        if index is None:
            count.read_without_index += 1
        elif not index.may_contain_all(hashed):
            count.skipped += 1
            continue
        kept.append(key)
    return kept


def _hashes(items: list[str]) -> tuple[list[int], int]:
    con = duckdb.connect()
    try:
        return skip_index.hashes(con, items)
    finally:
        con.close()
