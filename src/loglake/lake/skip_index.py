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
always read. Items are hashed with DuckDB's hash() (at build and at search time); each index records the
hash of a fixed text, so an engine whose hash() changed ignores the old indexes (their files are read).

Ids make most of the trigrams' cost and tell little through them: a file with HEX_FILE or more distinct ids
(words of only [0-9a-f] with a letter, HEX_WORD characters or more: UUID parts, trace and request ids, hashes)
gets all 4,096 hex trigrams (HEX_TRIGRAMS) instead of the trigrams of its words of hex digits only (any length,
numbers too), which are among them. The words themselves stay items. Every item the definition gives such a
file is among its items, and a Bloom filter never says "no" for an item it holds, so no file is skipped wrongly
(a filter of more items, sized anew, can still turn an old false "maybe" into a "no"); every other file is
indexed exactly as the definition above says. The price: a search for a fragment of hex digits reads every
such file (a file of a few thousand structured ids held far fewer hex trigrams before).

Numbers make most of the other files' trigrams. A file of SAMPLED_FILE pieces of words or more whose first
SAMPLE_PIECES pieces already give all 1,000 trigrams of digits (DIGIT_TRIGRAMS) gets those 1,000 instead of the
trigrams of each of its words of digits only: the same items (every such word's trigrams are among the 1,000, and
the 1,000 come from its own words), so the same filter, byte for byte.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson

from loglake.errors import StoreError
from loglake.lake.formats import OutputFormat, format_of_key
from loglake.lake.keys import CLEAN_PREFIX, STATE_PREFIX
from loglake.lake.store import Store, glob_escape
from loglake.sql_quoting import sql_string

INDEX_PREFIX = f"{STATE_PREFIX}skip_index/"
MAGIC = b"LLSKIP1\n"
HASHES = 5
BITS_PER_ITEM = 8
"""5 hashes and 8 to 12 bits per distinct item (see filter_bits): 0.5% to 2.2% false positives per item (7, as
indexes made before 2026-12-01 record, gave 0.3% to 2.3% and cost their build 40% more bit positions; an index
is read with the count it records)."""
MAX_HASHES = 16
"""Most hashes an index may record; one recording more is not read (its file is read instead)."""
MIN_BITS = 1 << 10
MAX_WORD = 256
"""Longest word whose trigrams are indexed; a file with a longer one gets no index."""
WORD = re.compile(r"[a-z0-9_]+")
HEX_WORD = 8
"""Shortest id (only [0-9a-f], at least one letter) that counts towards HEX_FILE: a UUID's first part."""
HEX_FILE = 1024
"""Distinct ids (HEX_WORD) from which a file's index holds all of HEX_TRIGRAMS instead of the trigrams of its words
of hex digits only. Sampled from the benchmark formats' files, 1,024 random ids of 16 or more digits give all 4,096 hex
trigrams (UUIDs 77-81%, 256 ids 12-76%; 1,024-1,800 structured ids, such as CloudTrail's or VPC's, far fewer: a review
found 1,500-line files answering "maybe" for 683-761 of 3,016 absent hex fragments before, all after), and a file of
fewer saves under a millisecond, so the filter gains few items; a file of ids there has 8,000 or more, with every hex
trigram already (benchmarks/README.md, 2026-11-30, h-hexidx). Counting only words with a letter keeps files of long
numbers (epoch times, flow ids), which give none of the 3,096 trigrams with a letter, out."""
HEX_TRIGRAMS = tuple(f"{a}{b}{c}" for a in "0123456789abcdef" for b in "0123456789abcdef" for c in "0123456789abcdef")
"""Every trigram a word of hex digits can have (4,096)."""
DIGIT_TRIGRAMS = tuple(f"{a}{b}{c}" for a in "0123456789" for b in "0123456789" for c in "0123456789")
"""Every trigram a word of digits can have (1,000)."""
SAMPLE_PIECES = 4
"""Pieces (_PIECE_WORDS words each) at the start of a file's words in which the items statement looks for all of
DIGIT_TRIGRAMS (see `_samples`)."""
SAMPLED_FILE = 3 * SAMPLE_PIECES
"""Pieces from which a file is sampled for its digit trigrams: on a smaller file the sample costs about what it
saves (JSON's 5,800 words a file, sampled: the statement 24-26 -> 33-37 ms, h-index8)."""


def index_key(clean_key: str) -> str:
    if not clean_key.startswith(CLEAN_PREFIX):
        raise StoreError(f"skip index: {clean_key!r} is not a clean-zone key")
    return f"{INDEX_PREFIX}{clean_key[len(CLEAN_PREFIX) :]}.bloom"


HASH_CHECK_ITEM = "loglake-skip-index"
"""DuckDB's hash() of this text is recorded in each index: an engine whose hash() differs ignores the index."""


@dataclass(frozen=True)
class SkipIndex:
    version: str | None
    """The clean file's store version when the index was made: any other version means a stale index."""
    items: int
    bits: int
    bloom: bytes
    hash_check: int = 0
    hashes: int = HASHES
    """Bit positions per item (HASHES when made here; an older index records its own)."""

    def may_contain(self, hashed: int) -> bool:
        """`hashed`: DuckDB's hash() of the item (see `hashes`)."""
        return all(self.bloom[p >> 3] & (0x80 >> (p & 7)) for p in positions(hashed, self.bits, self.hashes))

    def may_contain_all(self, hashed: Iterable[int]) -> bool:
        return all(self.may_contain(h) for h in hashed)

    def to_bytes(self) -> bytes:
        header = orjson.dumps(
            {
                "version": self.version,
                "items": self.items,
                "bits": self.bits,
                "hashes": self.hashes,
                "check": self.hash_check,
            }
        )
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
        hashes = meta.get("hashes")
        if not sep or type(hashes) is not int or not 1 <= hashes <= MAX_HASHES or len(bloom) * 8 != meta.get("bits"):
            return None
        return cls(meta.get("version"), int(meta["items"]), int(meta["bits"]), bloom, int(meta.get("check", 0)), hashes)


def positions(hashed: int, bits: int, hashes: int = HASHES) -> list[int]:
    """The bit positions of an item whose 64-bit hash is `hashed`: double hashing over its two halves,
    as the SQL in `build_many` computes them (the first `hashes` of the same sequence)."""
    low, high = hashed & 0xFFFFFFFF, hashed >> 32
    return [(low + i * high) % bits for i in range(hashes)]


def hashes(con: duckdb.DuckDBPyConnection, items: list[str]) -> tuple[list[int], int]:
    """DuckDB's hash() of each item, and of HASH_CHECK_ITEM (compare with an index's `hash_check`)."""
    rows = con.execute(
        "SELECT list_transform($items, lambda x: hash(x)), hash($check)", {"items": items, "check": HASH_CHECK_ITEM}
    ).fetchall()
    return [int(h) for h in rows[0][0]], int(rows[0][1])


def build_many(
    files: dict[str, Path], *, versions: dict[str, str | None], con: duckdb.DuckDBPyConnection | None = None
) -> dict[str, SkipIndex]:
    """The index of each clean file (key → local path; Parquet or gzip JSON lines), in one pass over them all;
    a file holding a word longer than MAX_WORD is left out (no index, so it is always read).

    `con`: a connection to build on (the ETL's session: a connection of its own cost a small object about
    20 ms); it must have no temp table named `__ll_skip_items`. Without one, a connection is made and closed.
    """
    if not files:
        return {}
    if con is None:
        own = duckdb.connect()
        try:
            return build_many(files, versions=versions, con=own)
        finally:
            own.close()
    by_path = {str(path): key for key, path in files.items()}
    words = _distinct_words(con, by_path)
    indexed = sorted(words)
    counts: dict[str, int] = {}
    unindexable: set[str] = set()
    blooms: dict[str, bytes] = {}
    if indexed:
        pieces_of, pieces = _word_pieces([words[path] for path in indexed])
        # Trigrams come from the file's distinct words (not from each occurrence) and are made distinct before
        # they are hashed. The words travel as space-joined texts, _PIECE_WORDS each (`_word_pieces`): a
        # list of 100,000 strings costs more to convert than a text costs to split, and one text per file costs
        # several times more to split and unnest than its pieces. A file is its position in `indexed` (`f`):
        # grouping and DISTINCT on an integer instead of the path cost 15-24% less. `covered`: the files of ids,
        # whose words of hex digits only give no trigram, HEX_TRIGRAMS standing in (see HEX_FILE); DuckDB's regex
        # tells those words apart at a quarter of what Python's bytes.strip costs, once per word of 3 or more
        # characters (`hex`; an id is a `hex` word with a digits-only test left): a second regex for the
        # trigrams' test cost API Gateway access logs 24 ms, Lambda text 12 ms of their 210 and 107 ms statement
        # (h-index7). A word longer than MAX_WORD gives no trigrams (those of one 1 MB word cost minutes: substr
        # is linear in the position) but a NULL item that marks its file as unindexable: DuckDB finds them in a
        # scan it makes anyway, where Python's max(map(len, words)) cost 30-45 ms per 200,000 distinct words (a
        # cache miss per word). Such a file (`long`) gets no index, so none of its words gives trigrams either:
        # CloudFront's 50,000 lines and one long word 410 -> 140 ms; 0-2 ms more where there is none (h-index7).
        # `numbered`: a large file (not of ids) whose sample holds every digit trigram; its words of digits only
        # give none, DIGIT_TRIGRAMS standing in (exact: see the module's docstring). In the benchmark's files
        # nearly all trigram occurrences of such files are of numbers (httpd errors 470,863 of 470,904, Network
        # Firewall 860,147 of 860,282, MySQL slow log 505,170 of 507,743), and every file of 12,288 words or more
        # held all 1,000 within its first 13-60 KB of words: the statement 261 -> 132 ms on Network Firewall's
        # object, 174 -> 115 on MySQL slow log's, 146 -> 127 on httpd errors' (h-index8). Files of ids are left
        # out: their hex words (numbers among them) already give none.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE __ll_skip_items AS
            WITH words AS MATERIALIZED (
                SELECT f, sample, word, length(word) >= 3 AND regexp_full_match(word, '[0-9a-f]+') AS hex FROM (
                    SELECT f, sample, unnest(string_split(text, ' ')) AS word
                    FROM (SELECT unnest($pieces_of) AS f, unnest($samples) AS sample, unnest($pieces) AS text)
                )
            ),
            long AS MATERIALIZED (SELECT DISTINCT f FROM words WHERE length(word) > {MAX_WORD}),
            covered AS MATERIALIZED (
                SELECT f FROM words
                WHERE hex AND length(word) >= {HEX_WORD} AND NOT regexp_full_match(word, '[0-9]+')
                GROUP BY f HAVING count(*) >= {HEX_FILE}
            ),
            numbered AS MATERIALIZED (
                SELECT f FROM (
                    SELECT DISTINCT f, substr(word, i, 3) AS trigram FROM (
                        SELECT f, word, unnest(range(1, length(word) - 1)) AS i FROM words
                        WHERE sample AND hex AND length(word) <= {MAX_WORD} AND regexp_full_match(word, '[0-9]+')
                        AND f NOT IN (SELECT f FROM covered)
                    )
                ) GROUP BY f HAVING count(*) = {len(DIGIT_TRIGRAMS)}
            )
            SELECT f, hash('t:' || word) AS h FROM words
            UNION ALL
            SELECT f, NULL FROM words WHERE length(word) > {MAX_WORD}
            UNION ALL
            SELECT f, hash('g:' || trigram) FROM (
                SELECT DISTINCT f, trigram FROM (
                    SELECT f, substr(word, i, 3) AS trigram FROM (
                        SELECT f, word, unnest(range(1, length(word) - 1)) AS i FROM words
                        WHERE length(word) BETWEEN 3 AND {MAX_WORD}
                        AND NOT (hex AND f IN (SELECT f FROM covered)) AND f NOT IN (SELECT f FROM long)
                        AND NOT (hex AND f IN (SELECT f FROM numbered) AND regexp_full_match(word, '[0-9]+'))
                    )
                    UNION ALL
                    SELECT f, unnest($hex) FROM covered
                    UNION ALL
                    SELECT f, unnest($digits) FROM numbered WHERE f NOT IN (SELECT f FROM long)
                )
            )""",
            {
                "pieces_of": pieces_of,
                "samples": _samples(pieces_of),
                "pieces": pieces,
                "hex": list(HEX_TRIGRAMS),
                "digits": list(DIGIT_TRIGRAMS),
            },
        )
        for f, n, long in con.execute(
            "SELECT f, count(h), count(*) - count(h) FROM __ll_skip_items GROUP BY f"
        ).fetchall():
            if long:
                unindexable.add(indexed[int(f)])
            else:
                counts[indexed[int(f)]] = int(n)
        for bits in sorted({filter_bits(n) for n in counts.values()}):  # bitstring_agg takes constant bounds
            # One bitstring_agg over each item's HASHES positions (a list, unnested): an aggregate per position,
            # OR-ed, cost more, a join with range(HASHES) five times more. Read as a BLOB: a BIT of a multiple of 8
            # bits (every filter size is) is its bytes, first bit first, as int(text, 2).to_bytes gave them.
            positions_sql = ", ".join(
                f"CAST(((h & 4294967295) + {i} * (h >> 32)) % {bits} AS BIGINT)" for i in range(HASHES)
            )
            sized = [f for f, path in enumerate(indexed) if path in counts and filter_bits(counts[path]) == bits]
            blooms.update(
                (indexed[int(f)], bytes(bloom))
                for f, bloom in con.execute(
                    f"""SELECT f, bitstring_agg(p, 0, {bits - 1})::BLOB FROM (
                        SELECT f, unnest([{positions_sql}]) AS p FROM __ll_skip_items
                        WHERE list_contains($files, f)
                    ) GROUP BY f""",
                    {"files": sized},
                ).fetchall()
            )
        con.execute("DROP TABLE __ll_skip_items")
    check = hash_check()
    built = {}
    for path, key in by_path.items():
        if path in unindexable:
            continue
        bits = filter_bits(counts.get(path, 0))
        bloom = blooms.get(path) or bytes(bits // 8)
        if len(bloom) * 8 != bits:
            raise StoreError(f"skip index: a filter of {len(bloom) * 8} bits where {bits} were made")
        built[key] = SkipIndex(versions.get(key), counts.get(path, 0), bits, bloom, check, HASHES)
    return built


_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")
_SEPARATE = bytes(b + 0x20 if 0x41 <= b <= 0x5A else b if b in _WORD_BYTES else 0x20 for b in range(256))
"""A-Z become a-z, and every other byte that cannot be in a word a space. On UTF-8 this splits exactly where
WORD does on the text: a word is ASCII, and every byte of a multi-byte character is 0x80 or above."""
_LOWERED = "CASE WHEN strlen(message) = length(message) THEN message ELSE lower(message) END"
"""lower(message) as the index needs it: a message of ASCII only (as many bytes as characters) is lowered by
_SEPARATE, which is what lower() does to ASCII, without DuckDB copying it (half the read's cost)."""
_TOKENS = f"string_split(replace(replace({_LOWERED}, ',', ' '), chr(9), ' '), ' ')"
"""A message's tokens: cut at spaces, commas and tabs, bytes that cannot be in a word (ASCII, so never inside
a multi-byte character). No word spans a cut, so the words of a message are exactly the words of its tokens."""
_CUT_TOKENS = bytes(0x20 if b in b",\t" else b for b in range(256))
"""`_TOKENS` in Python (then split at b" "): what the probe counts."""
_CHUNK_ROWS = 2048
"""Messages taken from DuckDB at a time (its vector size): a chunk's text is joined and copied twice, so
memory follows the chunk, not the file."""
_PROBE_ROWS = 256
"""Messages of the first chunk that the probe counts tokens, distinct tokens and words of (see `_tokens_pay`)."""
_BUCKET_BYTES = 4 << 20
"""Bytes of message text per group of distinct tokens handed to Python (see `_message_bytes`): a group's text
is copied twice there (encode, translate), so Python's memory follows the group, not the largest file."""
_GZIP_RATIO = 16
"""What a gzip JSON-lines clean file's size is multiplied by to stand for its messages' bytes (an estimate:
log text compresses 5-15x; Parquet files give the exact figure)."""
_SPLIT_CHARS = 1 << 14
"""About how many characters of text are split at a time: the list of a piece's words (about 3,000) then stays
in the CPU's caches while the set takes them in. Splitting 16 KiB pieces instead of a whole chunk (about 1 MB
of ALB lines) cost 35-55% less CPU here (benchmarks/README.md)."""


def _distinct_words(con: duckdb.DuckDBPyConnection, by_path: dict[str, str]) -> dict[str, set[bytes]]:
    """Each file's distinct words (runs of [a-z0-9_] in DuckDB's lower(message)); files without one are absent.

    Two ways, with the same words: every message split into words in Python (bytes.translate + split, a
    piece of a chunk at a time), or, where tokens repeat (`_tokens_pay`), DuckDB making each file's distinct
    tokens and Python splitting only those (`_words_of_distinct_tokens`). Lowering is DuckDB's (a search
    lowers its pattern with it), or the same for ASCII (`_LOWERED`).
    """
    readable = [(path, fmt) for path, key in by_path.items() if (fmt := format_of_key(key)) is not None]
    if not readable:
        return {}
    names = [path for path, _ in readable]
    union = _keyed_messages(readable)
    words: dict[int, set[bytes]] = {}
    result = con.execute(f"SELECT f, {_LOWERED} FROM ({union}) WHERE message IS NOT NULL")
    rows = result.fetchmany(_CHUNK_ROWS)
    if len(rows) == _CHUNK_ROWS and _tokens_pay([text for _, text in rows[:_PROBE_ROWS]]):
        return _words_of_distinct_tokens(con, union, names, by_path)
    while rows:
        texts: dict[int, list[str]] = {}
        for f, text in rows:
            texts.setdefault(f, []).append(text)
        for f, listed in texts.items():
            found = words.setdefault(f, set())
            for piece in _pieces(listed):
                found.update("\n".join(piece).encode().translate(_SEPARATE).split())
        rows = result.fetchmany(_CHUNK_ROWS)
    return {names[f]: found for f, found in words.items() if found}


_PIECE_WORDS = 1024
"""Words per text of the items statement (`_word_pieces`). DuckDB's unnest of string_split over one text of a file's
125,000 words costs several times what it costs over pieces of them: OTLP's 251,200 words, 160-180 ms against 20-30
ms for pieces of 2-64 KiB; and Python joins pieces for less than one text (33 against 44-50 ms per 10 joins of OTLP's
words; benchmarks/README.md, h-index7)."""

_OWN_SCANS = 32
"""Files up to which each is a scan of its own (see _keyed_messages); a scan has a fixed cost, so beyond it the
files of one format share one (1,000 files of 200 rows: 0.66 s of CPU in one scan, 1.2 s in 1,000)."""


def _keyed_messages(readable: list[tuple[str, OutputFormat]]) -> str:
    """SQL: the messages of each file with its position in `readable` (`f`). Grouping and DISTINCT on an integer
    instead of the reader's filename (a path of 100 bytes or more per row, hashed and compared) cost 15-20% less in
    the distinct tokens' statement, and the split's rows carry an int instead of a str. A few files (the ETL's of
    one object) are each a scan with its position as a constant; more (a batch's, compaction's) are one scan per
    output format whose filename a join maps to the position once per row."""
    if len(readable) <= _OWN_SCANS:
        return " UNION ALL ".join(
            f"SELECT {f} AS f, message FROM {fmt.reader([glob_escape(path)], {'message': 'VARCHAR'}, hive=False)}"
            for f, (path, fmt) in enumerate(readable)
        )
    sources = []
    for fmt in dict.fromkeys(fmt for _, fmt in readable):  # each output format once, in first-seen order
        listed = [(f, path) for f, (path, of) in enumerate(readable) if of is fmt]
        source = fmt.reader(
            [glob_escape(path) for _, path in listed], {"message": "VARCHAR"}, hive=False, filename=True
        )
        keys = ", ".join(f"({f}, {sql_string(path)})" for f, path in listed)
        sources.append(
            f"SELECT k.f, s.message FROM {source} AS s JOIN (VALUES {keys}) AS k(f, name) ON s.filename = k.name"
        )
    return " UNION ALL ".join(sources)


def _tokens_pay(texts: list[str]) -> bool:
    """Whether DuckDB's distinct tokens would cost clearly less than splitting every message, from the counts
    of a sample: its tokens and the words of its distinct tokens against its words.

    DuckDB pays about as much per token (cut, hash, DISTINCT) as Python per word; Python then splits the
    distinct tokens. On the 34 benchmark formats' first 256 lines (benchmarks/README.md, 2026-11-30,
    h-index2), (tokens + words of distinct tokens) / words was 0.47-0.86 on the 14 where the distinct tokens
    cost 0.53-0.93 of the split, and 0.93 and over on the others, among them all those where they cost 1.1-1.26
    (VPC, MySQL slow log, rsyslog, CloudFront real-time). A sample sees fewer repeats than the whole file, so
    it errs towards the split: logfmt (0.96), nginx errors (1.02) and stack traces (1.16) would have won too.
    """
    text = "\n".join(texts).encode()
    words = len(text.translate(_SEPARATE).split())
    tokens = [token for line in texts for token in line.encode().translate(_CUT_TOKENS).split(b" ")]
    from_distinct = len(b" ".join(set(tokens)).translate(_SEPARATE).split())
    return len(tokens) + from_distinct < 0.9 * words


def _words_of_distinct_tokens(
    con: duckdb.DuckDBPyConnection, union: str, names: list[str], by_path: dict[str, str]
) -> dict[str, set[bytes]]:
    """`_distinct_words` from each file's distinct tokens: DuckDB cuts the messages into tokens (`_TOKENS`) and
    joins each file's distinct tokens by spaces into one text (one per hash bucket of its tokens, for a large
    file); Python splits that into words. The words are those of every message: a file's words are the union
    of its tokens' words, a token's words do not depend on how often it occurs, and a space (where tokens are
    joined, and where a text is cut into pieces) is never part of a word. A token repeated on many lines (a
    user agent, an ARN, a JSON key and its constant value) is split once instead of once per line. `union`:
    each file's messages keyed by its position `f` in `names`."""
    buckets = 1 + max(_message_bytes(con, path, by_path[path]) for path in names) // _BUCKET_BYTES
    result = con.execute(
        f"""SELECT f, string_agg(token, ' ') FROM (
            SELECT DISTINCT f, unnest({_TOKENS}) AS token FROM ({union}) WHERE message IS NOT NULL
        ) GROUP BY f, hash(token) % {buckets}"""
    )
    words: dict[int, set[bytes]] = {}
    while (row := result.fetchone()) is not None:  # one group's text at a time
        found = words.setdefault(int(row[0]), set())
        for piece in _text_pieces(str(row[1]).encode().translate(_SEPARATE)):
            found.update(piece.split())
    return {names[f]: found for f, found in words.items() if found}


def _word_pieces(words: list[set[bytes]]) -> tuple[list[int], list[str]]:
    """Each set's words joined by spaces, _PIECE_WORDS at a time, and the position in `words` of each piece's set:
    the texts the items statement splits into its rows of words (the same rows as one text per set)."""
    of: list[int] = []
    pieces: list[str] = []
    for f, found in enumerate(words):
        listed = list(found)
        for start in range(0, len(listed), _PIECE_WORDS):
            of.append(f)
            pieces.append(b" ".join(listed[start : start + _PIECE_WORDS]).decode("ascii"))
    return of, pieces


def _samples(pieces_of: list[int]) -> list[bool]:
    """For each piece, whether it is among the first SAMPLE_PIECES of a file of SAMPLED_FILE pieces or more
    (`pieces_of` is sorted): the pieces the items statement looks for every digit trigram in."""
    sizes = collections.Counter(pieces_of)
    return [
        i < SAMPLE_PIECES or pieces_of[i - SAMPLE_PIECES] != f if sizes[f] >= SAMPLED_FILE else False
        for i, f in enumerate(pieces_of)
    ]


def _pieces(texts: list[str]) -> Iterator[list[str]]:
    """`texts` in order, cut after the first text that brings a piece to _SPLIT_CHARS characters or more."""
    start = size = 0
    for end, text in enumerate(texts, 1):
        size += len(text)
        if size >= _SPLIT_CHARS:
            yield texts[start:end]
            start, size = end, 0
    if start < len(texts):
        yield texts[start:]


def _message_bytes(con: duckdb.DuckDBPyConnection, path: str, key: str) -> int:
    """About the bytes of a clean file's messages, which bound its distinct tokens' text: for Parquet the
    message column's uncompressed size from the footer (a page holds each value, or a dictionary each distinct
    one once), else _GZIP_RATIO times the file's size. The file's own size undercounts 10-30x: a 4.3 MB
    Parquet file of distinct lines gave Python one 120 MB text (1,562 MiB peak against 1,054 for the split)."""
    if key.endswith(".parquet"):
        rows = con.execute(
            "SELECT sum(total_uncompressed_size) FROM parquet_metadata($path) WHERE path_in_schema = 'message'",
            {"path": glob_escape(path)},
        ).fetchall()
        if rows and rows[0][0] is not None:
            return int(rows[0][0])
    return Path(path).stat().st_size * _GZIP_RATIO


def _text_pieces(text: bytes) -> Iterator[bytes]:
    """`text` in order, each piece cut at the first space _SPLIT_CHARS bytes or more after its start (the
    space left out): a word is never cut."""
    start = 0
    while start < len(text):
        end = text.find(b" ", start + _SPLIT_CHARS)
        if end < 0:
            end = len(text)
        yield text[start:end]
        start = end + 1


@functools.cache
def hash_check() -> int:
    """DuckDB's hash() of HASH_CHECK_ITEM in this process's DuckDB (what every index made here records)."""
    con = duckdb.connect()
    try:
        return int(con.execute("SELECT hash($c)", {"c": HASH_CHECK_ITEM}).fetchall()[0][0])
    finally:
        con.close()


def filter_bits(items: int) -> int:
    """About BITS_PER_ITEM bits per item (8 to 12), rounded up to 2^k or 1.5 * 2^k so that few sizes occur."""
    wanted = max(MIN_BITS, items * BITS_PER_ITEM)
    power = 1 << (wanted - 1).bit_length()
    return power * 3 // 4 if power * 3 // 4 >= wanted else power


def write_for(store: Store, key: str, *, path: Path | None = None) -> str:
    """Write the index of clean file `key` (read from `path` if given, else from the store); return its key.

    Call it after the clean file is in place (the index records the file's version then): the ETL does,
    and compaction must for each file it writes (and `delete_for` for each it removes).
    """
    return write_for_all(store, [key], paths={key: path} if path is not None else None)[0]


def write_for_all(
    store: Store,
    keys: list[str],
    *,
    paths: dict[str, Path] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> list[str]:
    """write_for of several clean files in one pass (the ETL's files of one table); returns the index keys.

    `paths`: local copies of some keys (the ETL's files just written), read instead of fetching them again;
    `con`: the connection to build on (see build_many).

    Keys outside the clean zone's Hive layout (another table format's data files) get no index."""
    keys = [key for key in keys if key.startswith(CLEAN_PREFIX)]
    if not keys:
        return []
    versions = {key: store.version(key) for key in keys}
    with contextlib.ExitStack() as stack:
        local = dict(paths or {})
        for key in keys:
            if key not in local:
                local[key] = stack.enter_context(store.local_file(key))
        built = build_many(local, versions=versions, con=con)
    written = []
    for key in keys:
        target = index_key(key)
        if key not in built:  # a file with a word too long to index: always read, so no index (not a stale one)
            store.delete(target)
            continue
        store.put(target, built[key].to_bytes())
        written.append(target)
    return written


def delete_for(store: Store, key: str) -> None:
    store.delete(index_key(key))


def read_for(store: Store, key: str, version: str | None, check: int) -> tuple[SkipIndex | None, int]:
    """The index of `key` if it exists, was made for `version` of the file and with the same hash() (`check`,
    from `hashes`), and the bytes read for it."""
    data, _ = store.read_versioned(index_key(key))
    if data is None:
        return None, 0
    index = SkipIndex.from_bytes(data)
    if index is None or index.version != version or version is None or index.hash_check != check:
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
    if "[:" in pattern:  # RE2's POSIX classes ([[:alpha:]xyz] is one character); Python reads text there
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)  # a nested set or set operation: RE2 reads it otherwise
            parsed: Any = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError, FutureWarning):
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
