"""Turn DuckDB's merged JSON structure into the leaf fields to extract, up to a depth limit.

`group_structure` (DuckDB's `json_group_structure`, cheaper) describes every key seen in a batch,
with a type per leaf ("VARCHAR", "UBIGINT", "DOUBLE", "BOOLEAN", "NULL", or "JSON" where the batch
disagrees). The structure of a 1,000-level document is 1,000 levels deep, deeper than Python's JSON
parsers accept, so this walks its tokens and only descends to `max_depth`; everything below is one
JSON-text leaf.

Rules (see docs/flattening.md): arrays are one JSON-text leaf; an object at the depth limit is one
JSON-text leaf; an empty object is a JSON-text leaf; a key that is null in every event of the batch
yields no leaf until a batch holds a value (the key and its null stay in `message`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import orjson

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]')

JSON_TEXT = "JSON"


def group_structure(documents: str, order: str) -> str:
    """SQL aggregate: the merged structure of the JSON documents in column `documents` (each one valid:
    json_valid holds), as `json_group_structure(documents::JSON)` gives it, in half the CPU, its keys in
    the order the documents first hold them when read in `order` (SQL: the file order, `rowid`).

    That macro is `json_structure(json_group_array(x)) -> 0`, and json_group_array writes
    `CAST('[' || string_agg(to_json(x), ',') || ']' AS JSON)`: each document is parsed and written again
    (to_json of a JSON value re-serializes it), the whole array (11 MB for 50,000 lines) is parsed once to
    validate it and once more by json_structure, each pass through fresh memory (~31,000 page faults):
    118 ms per 50,000 lines, against 59 here. A valid document is one value with only whitespace around it
    (DuckDB's reader takes no comments), so joined by ',' the documents are a valid array of the same
    values, in the aggregate's same order; re-serializing changes only their spelling (blanks, escapes, a
    trailing comma, number text), which json_structure does not read, with one exception: `-0`, which the
    old path wrote as `0` (UBIGINT) and this reads as BIGINT; the two, and HUGEINT, are all a BIGINT
    column (json_object._TYPES). No rows: `[]` gives `"NULL"`, which has no leaves, as NULL had none.
    Compared with the old aggregate in tests/transform/test_structure.py.

    json_structure lists keys as it first meets them, so the aggregate's order is the columns' order (the
    registry's, the clean files'). Unordered, DuckDB scans each row group (122,880 rows) on a thread of its
    own and joins the threads' strings in whatever order they finish: over two or more row groups the same
    object gave another key order from run to run (the clean files' columns moved, and a new table's
    registry took whichever came first). Ordered, it is the order one thread gave before (the file's) at
    ~8 ms more per 50,000 lines (tests/transform/test_structure.py, docs/etl.md)."""
    return f"json_structure(concat('[', string_agg({documents}, ',' ORDER BY {order}), ']')) -> 0"


@dataclass(frozen=True)
class Leaf:
    path: tuple[str, ...]
    kind: str
    """The structure's type name: VARCHAR, UBIGINT, BIGINT, DOUBLE, BOOLEAN, or JSON (kept as JSON text)."""

    @cached_property  # read once per use of the field; a wide event has thousands
    def pointer(self) -> str:
        """RFC 6901 JSON Pointer: exact for any key, including ones with '.', '/', '~' or spaces."""
        return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in self.path)


def leaves(structure: str, max_depth: int) -> list[Leaf]:
    if max_depth < 1:
        raise ValueError("max_depth must be at least 1")
    tokens = iter(_TOKEN.findall(structure))
    found: list[Leaf] = []

    def skip_container() -> None:
        depth = 1
        for token in tokens:
            if token in "{[":
                depth += 1
            elif token in "}]":
                depth -= 1
                if depth == 0:
                    return

    def value(path: tuple[str, ...], token: str) -> None:
        if token == "[":
            skip_container()
            found.append(Leaf(path, JSON_TEXT))
        elif token == "{":
            if path and len(path) >= max_depth:
                skip_container()
                found.append(Leaf(path, JSON_TEXT))
                return
            empty = True
            for key_token in _object_keys(tokens):
                empty = False
                value((*path, orjson.loads(key_token)), next(tokens))
            if empty and path:
                found.append(Leaf(path, JSON_TEXT))
        else:
            kind = orjson.loads(token)
            if kind != "NULL":
                found.append(Leaf(path, kind))

    first = next(tokens, None)
    if first == "{":
        value((), first)
    return found


def _object_keys(tokens: Iterator[str]) -> Iterator[str]:
    """Yield each key token of an object whose '{' was consumed, leaving the iterator at its value."""
    for token in tokens:
        if token == "}":
            return
        if token == ",":
            continue
        next(tokens)  # the ':'
        yield token
