"""Skip index: one Bloom filter per clean file over the words and word trigrams of its `message` column.

A search for a rare term must not read every message (Logs Insights bills every byte it scans). For each
clean file the ETL (and compaction) writes `state/skip_index/<table>/dt=.../hour=.../<file>.bloom`: a
Bloom filter of the file's message *words* (maximal runs of [a-z0-9_] in DuckDB's lower(message)) and of
every trigram inside a word. A file can hold a match only if every item derived from the pattern is in
its filter, so a file whose filter lacks one is skipped:

- a piece of the (lowered) pattern with a non-word character on both sides is a whole word of the message;
- every trigram of every piece is a trigram of some word of the message.

Both hold for a case-sensitive or case-insensitive substring, because DuckDB's lower() maps one code point
to one code point. A Bloom filter can say "maybe" for an absent item (about 1% per item here), never "no"
for a present one, so a file is never skipped wrongly. The index records the clean file's version: a file
rewritten since (a re-run, compaction) has a stale index, which is ignored, and a file without an index is
always read. The hashes are MD5 (stable across DuckDB versions and computed the same way in Python).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson

from loglake.errors import StoreError
from loglake.lake.keys import CLEAN_PREFIX, STATE_PREFIX
from loglake.lake.store import Store, glob_escape
from loglake.sql_quoting import sql_string, sql_struct

INDEX_PREFIX = f"{STATE_PREFIX}skip_index/"
MAGIC = b"LLSKIP1\n"
HASHES = 7
BITS_PER_ITEM = 10
"""7 hashes and 10 bits per distinct item: about 1% false positives per item looked up."""
MIN_BITS = 1 << 10
WORD = re.compile(r"[a-z0-9_]+")
_WORD_SQL = "[a-z0-9_]+"


def index_key(clean_key: str) -> str:
    if not clean_key.startswith(CLEAN_PREFIX):
        raise StoreError(f"skip index: {clean_key!r} is not a clean-zone key")
    return f"{INDEX_PREFIX}{clean_key[len(CLEAN_PREFIX) :]}.bloom"


@dataclass(frozen=True)
class SkipIndex:
    version: str | None
    """The clean file's store version when the index was made: any other version means a stale index."""
    items: int
    bits: int
    bloom: bytes

    def may_contain(self, item: str) -> bool:
        return all(self.bloom[position >> 3] & (0x80 >> (position & 7)) for position in positions(item, self.bits))

    def may_contain_all(self, items: Iterable[str]) -> bool:
        return all(self.may_contain(item) for item in items)

    def to_bytes(self) -> bytes:
        header = orjson.dumps({"version": self.version, "items": self.items, "bits": self.bits, "hashes": HASHES})
        return MAGIC + header + b"\n" + self.bloom

    @classmethod
    def from_bytes(cls, data: bytes) -> SkipIndex | None:
        """None for anything that is not a whole index of this format (then the file is read)."""
        if not data.startswith(MAGIC):
            return None
        header, sep, bloom = data[len(MAGIC) :].partition(b"\n")
        try:
            meta = orjson.loads(header)
        except orjson.JSONDecodeError:
            return None
        if not sep or meta.get("hashes") != HASHES or len(bloom) * 8 != meta.get("bits"):
            return None
        return cls(meta.get("version"), int(meta["items"]), int(meta["bits"]), bloom)


def positions(item: str, bits: int) -> list[int]:
    """The filter's bit positions for one item (double hashing over MD5), as the SQL in `build` computes them."""
    digest = hashlib.md5(item.encode(), usedforsecurity=False).digest()
    h1, h2 = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little")
    return [(h1 + i * h2) % bits for i in range(HASHES)]


def build(path: Path, suffix: str, *, version: str | None) -> SkipIndex:
    """The index of one clean file (Parquet, or gzip JSON lines) on local disk."""
    files = sql_string(glob_escape(str(path)))
    if suffix == ".parquet":
        source = f"read_parquet({files}, hive_partitioning = false)"
    else:
        source = (
            f"read_json({files}, format = 'newline_delimited', compression = 'gzip', "
            f"columns = {sql_struct({'message': 'VARCHAR'})}, hive_partitioning = false)"
        )
    con = duckdb.connect(config={"threads": 1})
    try:
        con.execute(
            f"""CREATE TEMP TABLE words AS
            SELECT DISTINCT unnest(regexp_extract_all(lower(message), '{_WORD_SQL}')) AS word FROM {source}"""
        )
        con.execute(
            """CREATE TEMP TABLE items AS
            SELECT 't:' || word AS item FROM words
            UNION
            SELECT 'g:' || substr(word, i, 3) FROM (
                SELECT word, unnest(range(1, length(word) - 1)) AS i FROM words WHERE length(word) >= 3
            )"""
        )
        items = int(con.execute("SELECT count(*) FROM items").fetchall()[0][0])
        bits = max(MIN_BITS, -(-items * BITS_PER_ITEM // 8) * 8)
        rows = con.execute(
            f"""SELECT bitstring_agg(position, 0, {bits - 1})::VARCHAR FROM (
                SELECT DISTINCT CAST((h1 + i * h2) % {bits} AS BIGINT) AS position FROM (
                    SELECT CAST(md5_number_upper(item) AS HUGEINT) AS h1,
                           CAST(md5_number_lower(item) AS HUGEINT) AS h2 FROM items
                ), range({HASHES}) AS r(i)
            )"""
        ).fetchall()
    finally:
        con.close()
    text = rows[0][0] if rows and rows[0][0] is not None else "0" * bits
    return SkipIndex(version, items, bits, int(text, 2).to_bytes(bits // 8, "big"))


def write_for(store: Store, key: str, *, path: Path | None = None) -> str:
    """Write the index of clean file `key` (read from `path` if given, else from the store); return its key.

    Call it after the clean file is in place (the index records the file's version then): the ETL does,
    and compaction must for each file it writes (and `delete_for` for each it removes).
    """
    suffix = ".parquet" if key.endswith(".parquet") else ".json.gz"
    version = store.version(key)
    if path is not None:
        index = build(path, suffix, version=version)
    else:
        with store.local_file(key) as local:
            index = build(local, suffix, version=version)
    target = index_key(key)
    store.put(target, index.to_bytes())
    return target


def delete_for(store: Store, key: str) -> None:
    store.delete(index_key(key))


def read_for(store: Store, key: str, version: str | None) -> tuple[SkipIndex | None, int]:
    """The index of `key` if it exists and was made for `version` of the file, and the bytes read for it."""
    data, _ = store.read_versioned(index_key(key))
    if data is None:
        return None, 0
    index = SkipIndex.from_bytes(data)
    if index is None or index.version != version or version is None:
        return None, len(data)
    return index, len(data)


def text_items(lowered: str, *, whole_words: bool = True) -> list[str]:
    """What a file must hold for its lowered messages to contain `lowered` (a pattern or a literal of one)."""
    items = []
    for match in WORD.finditer(lowered):
        word, start, end = match.group(0), match.start(), match.end()
        if whole_words and start > 0 and end < len(lowered):
            items.append("t:" + word)
        items += ["g:" + word[i : i + 3] for i in range(len(word) - 2)]
    return sorted(set(items))


def regex_literals(pattern: str, *, ignore_case: bool) -> list[str] | None:
    """Literal strings every match of `pattern` contains, or None when the index cannot be used.

    Read with Python's regular-expression parser: what it cannot parse (RE2-only syntax) gives None, as do
    case-insensitive inline flags it cannot follow. Only the top level is read: a run of literal characters
    is required; alternation, classes, optional parts and groups end a run and add nothing.
    """
    try:
        import re._parser as sre_parse  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - Python 3.11+ has it
        return None
    try:
        parsed: Any = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    if parsed.state.flags & re.IGNORECASE:
        ignore_case = True
    runs: list[str] = []
    run: list[str] = []
    for op, value in parsed:
        if op is sre_parse.LITERAL:
            run.append(chr(value))
            continue
        if run:
            runs.append("".join(run))
        run = []
    if run:
        runs.append("".join(run))
    if ignore_case:  # RE2 folds 's' with 'ſ' (which lower() keeps): split there, so no trigram spans it
        runs = [part for text in runs for part in re.split("[sS]", text)]
    return [text for text in runs if text]
