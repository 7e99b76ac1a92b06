"""One scan for the literal keys that JSON shapes' detections look for, instead of one scan per shape.

Seven JSON shapes (CloudTrail, WAF, Lambda's platform events, ...) claim a message only if it holds a
literal of theirs (`"eventVersion"`, `"webaclId"`, ...), and detection tests every JSON message for each
in turn before generic JSON claims it: seven `contains` over every line, about 0.08 s of CPU per 50,000
275-byte messages. One RE2 pass for all the literals (an alternation) costs about 0.02 s; classification
computes it once per line (column MARKED) and tests a shape only where it is true. A parser's `markers`
must hold for every message it claims, which must begin with `{` after blanks (JSON_START), so the answer is
the same (tests/transform/test_markers.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from loglake.sql_quoting import sql_string
from loglake.transform.parsers import Parser

MARKED = "__ll_marked"
"""The column: the message holds one of the markers of the parsers detection tests."""
JSON_START = "(starts_with({m}, '{') OR substr({m}, 1, 1) IN (' ', chr(9), chr(10), chr(13)))"
"""True for every message whose first character after blanks is `{`, and cheap: a parser with markers claims
only such messages, so the scan for markers runs only there (line formats never pay it)."""


def markers(parser: Parser) -> tuple[str, ...]:
    """The literals one of which every message `parser` claims holds; () when it declares none."""
    found: tuple[str, ...] = getattr(parser, "markers", ())
    return found


def marked_sql(parsers: Iterable[Parser], message: str = "message") -> str | None:
    """SQL for column MARKED over the markers of `parsers`, or None when none declares any."""
    literals = sorted({m for p in parsers for m in markers(p)})
    if not literals:
        return None
    found = f"regexp_matches({message}, {sql_string('|'.join(re.escape(m) for m in literals))})"
    return f"(CASE WHEN {JSON_START.replace('{m}', message)} THEN {found} ELSE false END)"


def needle(marker: str) -> str:
    """A part of `marker` that `contains` finds cheaply: from its last capital letter (else after its first
    character, the quote). DuckDB's `contains` jumps to each place the needle's first byte occurs, and a
    quote is everywhere in a JSON line, a capital letter or a `q` rarely: `contains(m, '"eventVersion"')`
    costs 22-30 ms per 50,000 Route 53 or Network Firewall records, `contains(m, 'Version"')` 4-6. Every
    message that holds the marker holds this part, so testing it first changes no answer."""
    capitals = [n for n, c in enumerate(marker) if "A" <= c <= "Z"]
    return marker[capitals[-1] :] if capitals else marker[1:]


def gated(parser: Parser, detect: str, message: str = "message") -> str:
    """The parser's detection SQL, tested only where column MARKED is true and the message holds the needle of
    one of its markers (unchanged without markers): a line of another JSON shape skips the parser's own
    quoted `contains` and its parse."""
    found = markers(parser)
    if not found:
        return detect
    needles = " OR ".join(f"contains({message}, {sql_string(needle(m))})" for m in sorted(set(found)))
    # CASE, not AND: SQL does not promise to test MARKED first.
    return f"(CASE WHEN {MARKED} THEN (CASE WHEN {needles} THEN {detect} ELSE false END) ELSE false END)"
