"""logfmt's pairs by string splits (logfmt._found) against the regex extraction they replace on most lines.

Before 2026-11-30 19:00 every claimed line's pairs came from one `regexp_extract_all` (about 200 ns a match: 150
ms per 50,000 lines of 7 pairs). A line without quotes, or with one quoted value, that has no backslash, no
control character and single spaces is now split at its separators instead (benchmarks/README.md). The old
SQL is kept here as it was, and both run on the test corpus (every message of typed_golden.json.gz: the
parsers' examples, the conformance vectors, the AWS samples, the benchmark's lines of every format),
go-logfmt's vectors, crafted lines at the edges of the split's tests, and 20,000 random lines: the pairs
(keys and matches), the claim, and every value the write reads must be the old ones exactly.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import duckdb
import pytest

from loglake.sql_quoting import sql_string
from loglake.transform import session
from loglake.transform.parsers import logfmt
from loglake.transform.parsers.base import LINE
from loglake.transform.parsers.logfmt import LogfmtParser

HERE = Path(__file__).parent

_OLD_MATCHES = f"regexp_extract_all({LINE.format(m='message')}, {sql_string(logfmt._PAIR_MATCH)}, 0)"
"""The pairs as classification found them before: one bare match per pair (logfmt._matches then)."""
_OLD_KEYS = f"list_transform({_OLD_MATCHES}, lambda p: substr(p, 1, strpos(p, '=') - 1))"
OLD_DETECT = logfmt._shaped("message", logfmt._distinct(_OLD_KEYS))
"""LogfmtParser.detect before: the shape (unchanged), then distinct keys of the regex's pairs."""
OLD_KEPT = (
    f"CASE WHEN {logfmt._shaped('message', 'true')} THEN list_transform([{_OLD_MATCHES}], lambda m: "
    "struct_pack(k := list_transform(m, lambda p: substr(p, 1, strpos(p, '=') - 1)), m := m))[1] END"
)
"""logfmt.kept_pairs before (and _pair_lists under it): keys and matches of the regex."""


def corpus() -> list[str]:
    """Every message of the typed golden's groups and go-logfmt's vectors (each input and each of its lines)."""
    golden = json.loads(gzip.decompress((HERE / "typed_golden.json.gz").read_bytes()))
    lines = []
    for group in golden["groups"]:  # a VPC group's first entry is its document's block, lines and all
        for entry in group:
            lines += entry["lines"] if isinstance(entry, dict) else [entry]
    vectors = json.loads((HERE / "vectors" / "go-logfmt" / "decode_test.json").read_text())
    for case in [*vectors["scan"], *vectors["errors"]]:
        lines += [case["data"], *case["data"].split("\n")]
    return lines


EDGES = [
    "",
    "a=1",
    "a=",
    'a=""',
    'a="x y"',
    'a="x y" b=1',
    'a=1 b="x y"',
    'a=1 b="x y" c=2 d=3',
    'msg="request done 3" ts=2026-11-26T00:00:00Z',
    'a="x"b=1',  # no space after the quote: one token, two pairs (the regex)
    'a="x"  b=1',  # two spaces: the regex
    'a="x  y" b=1',  # two spaces inside the quotes: the regex (the test is on the whole line)
    " a=1 b=2",  # a space first: the regex
    "a=1 b=2 ",  # a space last: the regex
    '   d=""   a=-5   \r\n',
    "a=1 b=2\r\n",
    "a=1 b=2\r",
    "a=1 b=2\n",
    'a="x y"\r\n',
    "a=1\tb=2",
    "a=1\tb=2\tc=3",  # two escapes (4 bytes) and no quote: the third part is NULL
    'a="x"\tb=1',
    'a="x\ty" b=1',  # a raw tab inside the quotes (no escape): claimed, through the regex
    "a=1\x0bb=2",
    "a=1\x00b=2",
    'a="x\x00y"',
    "a=1\x01 b=2",
    'a="\\"" b=1',  # an escaped quote: the regex
    'a="x\\\\" b=1',
    'a="x" b="y"',  # two quoted values: the regex
    'a="x" b="y" c="z"',
    'a="" b=""',
    'a="x=y" b=c',
    'a="x \\" y"',
    'a="unterminated b=1',
    'a=b"c d=1',
    'a=b="x y"',
    "a=b=c",
    "a b=1",
    'a "x y" b=1',
    '"x y" a=1',
    'a=1 "x y"',
    "a=1 a=2",
    'a="x" a=1',
    "é=no a=1",
    "a=é b=naïve c=日本",
    'a="naïve café" b=日本',
    "a=x\u00a0b=1",
    "a=1\u3000b=2",
    "a=\x7f b=1",
    'a="\u2028" b=1',
    "=1 a=2",
    "a==1",
    "word",
    " ",
    '"',
    '""',
    "a=" + "9" * 100_000,
    f'big="{"x " * 50_000}" n=1',
    " ".join(f"k{n}=v{n}" for n in range(600)),
    " ".join(f"k{n}=v{n}" for n in range(40)) + ' msg="a b"',
    " ".join(f"k{n % 35}=v{n}" for n in range(40)),  # a repeated key past 32 keys
    '127.0.0.1 - - [26/Nov/2026:10:00:00 +0000] "GET /a=b HTTP/1.1" 200 5',
    '{"a": "b=c d"}',
    "<165>1 2026-11-26T10:00:00Z host app 1 ID1 - a=1 b=2",
    "2026-11-26T10:00:00.000Z a=1 b=2",
    'time="2026-11-26T10:00:00Z" level=info msg="started" err=nil',
    'at=info method=GET path="/" host=x.herokuapp.com fwd="1.2.3.4" dyno=web.1 connect=1ms status=200 bytes=5',
]


def _random_lines(n: int, seed: int) -> list[str]:
    """Lines of pairs (mostly the split's shapes), with logfmt's tricky characters dropped in."""
    rng = random.Random(seed)
    tricky = [" ", "  ", '"', "\\", "\t", "\r", "\n", "\x0b", "\x00", "=", "é", "\u00a0", '" ', ' "', "x y", "-"]
    lines = []
    for _ in range(n):
        pairs = []
        for k in range(rng.randint(1, 9)):
            name = rng.choice(["a", "b", "ts", "level", "msg", "k.x", "@t", "_n"])
            key = name + str(k % 4 if rng.random() < 0.9 else 0)  # a repeated key now and then
            value = rng.choice(["1", "-5", "0.25", "true", "", "-", "x", "GET", "/p/q", "é"])
            if rng.random() < 0.3:
                value = f'"{rng.choice(["x y", "", "a=b c", "request done 3", "z"])}"'
            pairs.append(f"{key}={value}")
        line = " ".join(pairs)
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            at = rng.randint(0, len(line))
            line = line[:at] + rng.choice(tricky) + line[at:]
        lines.append(line)
    return lines


def _both(lines: list[str]) -> list[tuple[Any, ...]]:
    """Per line: the new claim and the old, the new pairs and the old (kept_pairs, _pair_lists on claimed rows)."""
    return duckdb.execute(
        f"SELECT {LogfmtParser().detect('message')}, {OLD_DETECT}, {logfmt.kept_pairs('message')}, {OLD_KEPT}, "
        f"CASE WHEN {OLD_DETECT} THEN {logfmt._pair_lists('message')} END "
        "FROM (SELECT unnest($lines::VARCHAR[]) AS message, generate_subscripts($lines::VARCHAR[], 1) AS n) "
        "ORDER BY n",
        {"lines": lines},
    ).fetchall()


@pytest.mark.parametrize("lines", ["corpus", "edges", "random"])
def test_the_split_gives_the_regex_s_pairs_and_claims(lines: str) -> None:
    messages = {"corpus": corpus, "edges": lambda: EDGES, "random": lambda: _random_lines(20_000, 7)}[lines]()
    rows = _both(messages)
    assert [r[0] for r in rows] == [r[1] for r in rows]  # the claim
    assert [r[2] for r in rows] == [r[3] for r in rows]  # the kept pairs: keys and matches, in order
    assert [r[4] for r in rows] == [r[3] if r[1] else None for r in rows]  # the plan's pairs of claimed rows
    claimed = [bool(r[1]) for r in rows]
    split = [s is not None for s in _split_only(messages)]
    counts = (sum(claimed), sum(c and s for c, s in zip(claimed, split, strict=True)))
    assert counts == {"corpus": (77, 65), "edges": (43, 17), "random": (10_310, 6_118)}[lines]  # claimed; split of them


def _split_only(lines: list[str]) -> list[Any]:
    """_found with the regex's answer replaced by NULL: the pieces where the split is taken, else None."""
    found = logfmt._found("message").replace(logfmt._matches("message"), "NULL")
    return [
        row[0]
        for row in duckdb.execute(
            f"SELECT {found} FROM (SELECT unnest($lines::VARCHAR[]) AS message, "
            "generate_subscripts($lines::VARCHAR[], 1) AS n) ORDER BY n",
            {"lines": lines},
        ).fetchall()
    ]


def test_the_split_is_taken_for_single_spaces_and_at_most_one_quoted_value_only() -> None:
    lines = [
        'a=1 b="x y" c=2',
        "a=1 b=2",
        'a="x y"',
        'a="x"b=1',
        'a="x"  b=1',
        " a=1",
        "a=1 ",
        "a=1\r\n",
        "a=1\tb=2\tc=3",
        'a="x" b="y"',
        'a="\\"" b=1',
        'a="x\ty"',
    ]
    assert _split_only(lines) == [
        ["a=1", 'b="x y"', "c=2"],
        ["a=1", "b=2"],
        ['a="x y"'],
        *[None] * 9,
    ]


def test_the_values_the_write_reads_are_the_old_ones() -> None:
    """The plan's columns (typed, unquoted, time and level) over the new kept pairs and over the old."""
    lines = [*EDGES, *_random_lines(3_000, 11)]
    prepared = session.Session(None)  # the ETL's macros (ll_level)
    con = prepared.con
    con.execute(
        f"CREATE TEMP TABLE classified AS SELECT message, CASE WHEN {OLD_DETECT} THEN 'logfmt' ELSE 'text' END AS format, "
        f"{logfmt.kept_pairs('message')} AS {logfmt.KEPT}, {OLD_KEPT} AS __ll_old "
        "FROM (SELECT unnest($lines::VARCHAR[]) AS message)",
        {"lines": lines},
    )
    plan = LogfmtParser().plan(con, 5)
    assert len(plan.fields) == 665
    new = ", ".join(f"({f.expression})::VARCHAR" for f in plan.fields)
    old = new.replace(logfmt._MAP, "__ll_old")
    rows = con.execute(
        f"SELECT [{new}, {plan.time}, {plan.level}], [{old}, {plan.time.replace(logfmt._MAP, '__ll_old')}, "
        f"{plan.level.replace(logfmt._MAP, '__ll_old')}] FROM (SELECT *, {logfmt.KEPT} AS {logfmt._MAP} "
        "FROM classified WHERE format = 'logfmt')"
    ).fetchall()
    prepared.close()
    assert len(rows) == 1_588
    assert [n for n, _o in rows] == [o for _n, o in rows]


def test_the_guard_is_false_only_where_detection_is() -> None:
    """LogfmtParser.guard lets a small object without `=` leave logfmt out (etl._guarded_out): on no line may it
    be false where detection is true."""
    lines = [*corpus(), *EDGES, *_random_lines(2_000, 3)]
    guard = LogfmtParser.guard.replace("{m}", "message")
    rows = duckdb.execute(
        f"SELECT {guard}, {LogfmtParser().detect('message')} FROM (SELECT unnest($lines::VARCHAR[]) AS message)",
        {"lines": lines},
    ).fetchall()
    assert [claimed for passed, claimed in rows if not passed] == [False] * 517
    assert sum(claimed for _passed, claimed in rows) == 1_178
