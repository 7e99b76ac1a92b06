"""mysql_error detects its lines by the pattern's prefix and cuts the text after it (mysql_error.PREFIX): the
same claims and the same groups as the whole pattern's full match and extraction, on crafted lines."""

from __future__ import annotations

import random
from pathlib import Path

from conftest import prefix_against_regex
from loglake.transform.parsers.mysql_error import PREFIX, MysqlErrorParser

_LINES = [
    "2024-01-15T10:23:45.123456Z 0 [Warning] [MY-010068] [Server] CA certificate ca.pem is self signed.",
    "2019-03-05T18:54:20.123456Z 0 [Note] Event Scheduler: Loaded 0 events",
    "2019-03-05 18:54:20 140234 [ERROR] Aborted connection 12 to db: 'shop' user: 'app' host: '10.0.0.5'",
    "2019-03-05T18:54:20+02:00 7 [System] [MY-1] [Server] x\n",
    "2019-03-05T18:54:20-05:00 7 [Info] y\r\n",
    "2019-03-05T18:54:20Z 7 [Error] [Server] z",
    "2019-03-05 18:54:20  140234 [Note]  two spaces ",
    "2019-03-05 18:54:20 1 [Note]",
    "2019-03-05 18:54:20 1 [Note] ",
    "2019-03-05 18:54:20 1 [Note]\n\n",
    "2019-03-05 18:54:20 1 [Note][MY-1] glued",
    "2019-03-05 18:54:20 1 [Note] [MY-1]",
    "2019-03-05 18:54:20 1 [Note] [MY-1] [Sub]",
    "2019-03-05 18:54:20 1 [Note] [MY-x] [Sub] not a code",
    "2019-03-05 18:54:20 1 [Note] [Sub] [MY-1] order",
    "2019-03-05 18:54:20 1 [Note] [Sub x] spaced",
    "2019-03-05 18:54:20 1 [Note] ünïcödé ✓ 日本\nsecond line\r\n",
    "2019-03-05 18:54:20 1 [Note] \tab",
    "2019-03-05 18:54:20.5 1 [Note] frac",
    "2019-03-05 18:54:20. 1 [Note] dot only",
    "2019-03-05 18:54:20+0200 1 [Note] zone without colon",
    "2019-03-05 18:54:20 x [Note] no thread",
    "2019-03-05 18:54:20 1 [note] lower",
    "2019-03-05 18:54:20 1 [Note",
    "2019-03-05X18:54:20 1 [Note] x",
    "2026-11-26 14:03:07,412 ERROR [main] c.e.Inventory - reserve failed\njava.lang.X: y\n\tat a.b(c)\n",
    "\n2019-03-05 18:54:20 1 [Note] leading LF",
    " 2019-03-05 18:54:20 1 [Note] leading space",
    "",
    "\r\n",
]


def test_prefix_detection_and_cut_give_the_whole_pattern_s_claims_and_groups() -> None:
    parser = MysqlErrorParser()
    claims, after, con, rows = prefix_against_regex(parser, _LINES)
    s = parser.struct_column
    assert claims == [True] * 7 + [False, True, False] + [True] * 9 + [False] * 11  # 7, 9: no `] `
    assert len(after) == 30
    assert [row["data"] for row in after][:19] == [
        *("CA certificate ca.pem is self signed.", "Event Scheduler: Loaded 0 events"),
        *("Aborted connection 12 to db: 'shop' user: 'app' host: '10.0.0.5'", "x", "y", "z", " two spaces "),
        *("", "", "", "[MY-1] glued", "", "", "[MY-x] [Sub] not a code", "[MY-1] order", "[Sub x] spaced"),
        *("ünïcödé ✓ 日本\nsecond line", "\tab", "frac"),
    ]
    assert [(row["error_code"], row["subsystem"]) for row in after][11:15] == [
        ("MY-1", ""),
        ("MY-1", "Sub"),
        ("", ""),
        ("", "Sub"),
    ]
    # The cut served every line the pattern matches (claimed or not); the regex the others (all its groups '').
    whole = con.execute(f"SELECT {s}_head.whole <> '' FROM ({rows}) ORDER BY i").fetchall()
    assert [w for (w,) in whole] == [True] * 19 + [False] * 11
    assert PREFIX in parser.pattern and parser.pattern == "(?s)" + PREFIX + "(.*)"


_T = "2019-03-05T18:54:20.123456Z"
_USUAL = [  # MySQL 8.0's shape (code and subsystem), then its near misses
    f"{_T} 0 [Warning] [MY-010068] [Server] text",
    f"{_T} 0 [System] [MY-1] [Server]",
    f"{_T} 0 [Note] [MY-1] [Server] ",
    f"{_T} 0 [Note] [MY-1] [Server]  two spaces",
    f"{_T} 0 [Note] [MY-1] [Server][glued] bracket",
    f"{_T} 0 [Note] [MY-1] [Server] [Other] a third bracket",
    f"{_T} 0 [Note] [MY-1] [Server]\ta tab",
    f"{_T} 0 [Note] [MY-1] [Server]x",
    f"{_T} 0 [Note] [MY-1] [Server]] two brackets",
    f"{_T} 0 [ERROR] [MY-1] [InnoDB] CR LF\r\n",
    f"{_T} 0 [Error] [MY-1] [_9] LF\n\n",
    f"{_T} 0 [Info] [MY-1] [Server] \r",
    f"{_T} 0 [Note] [MY-1] [Server] ünïcödé ✓ 日本\nsecond line",
    "2019-03-05 18:54:20 140234 [Note] [MY-1] [Server] MariaDB's time",
    "2019-03-05T18:54:20+02:00   12 [Note] [MY-1] [Server] spaces and a zone",
    "2019-03-05T18:54:20.123456789012345678901234567890-05:00 1 [Note] [MY-1] [Server] thirty fraction digits",
    f"{_T} {'9' * 40} [Note] [MY-{'7' * 40}] [{'S' * 200}] huge values",
    f"{_T} 1 [Note] [MY-1] [Server] " + "long text " * 10_000,
    f"{_T} 0 [Note] [MY-1] text, no subsystem",
    f"{_T} 0 [Note] [MY-1]",
    f"{_T} 0 [Note] [MY-1] [Sub x] spaced subsystem",
    f"{_T} 0 [Note] [MY-1] [Sërver] non-ASCII subsystem",
    f"{_T} 0 [Note] [MY-1] [Ser-ver] a dash",
    f"{_T} 0 [Note] [MY-1] [] empty subsystem",
    f"{_T} 0 [Note] [MY-1][Server] glued",
    f"{_T} 0 [Note] [MY-1]  [Server] two spaces",
    f"{_T} 0 [Note] [MY-] [Server] no code digits",
    f"{_T} 0 [Note] [MY-1x] [Server] letter in the code",
    f"{_T} 0 [Note] [MY-١٢] [Server] Arabic-Indic digits",
    f"{_T} 0 [Note] [my-1] [Server] lower-case code",
    f"{_T} 0 [Note] [Server] [MY-1] swapped",
    f"{_T} 0 [Note] text ] [MY-1] [Server] later",
    f"{_T} 0 [Note]] [MY-1] [Server] bracket after the level",
    f"{_T} 0 [note] [MY-1] [Server] lower-case level",
    f"{_T} 0 [Notes] [MY-1] [Server] longer level",
    f"{_T} x [Note] [MY-1] [Server] no thread",
    f"{_T}0 [Note] [MY-1] [Server] no space",
    f"{_T}\t0 [Note] [MY-1] [Server] a tab",
    "2019-03-05T18:54:20. 0 [Note] [MY-1] [Server] a dot only",
    "2019-03-05T18:54:20+0200 0 [Note] [MY-1] [Server] zone without colon",
    f"{_T} {'1' * 60} [Note] [MY-1] [Server] `] ` past the guard's 60 characters",
    f" {_T} 0 [Note] [MY-1] [Server] leading space",
]


def test_the_usual_line_s_head_is_cut_from_four_groups_as_the_prefix_gives_it() -> None:
    """MySQL 8.0's lines (USUAL) take four one-pass groups and a cut; every other line the prefix's extraction:
    on the crafted lines, Beats' MySQL 8.0.15 log, every parser's examples (neighbouring formats) and lines of
    the benchmark's date-led formats, each also with CR LF, the plan's struct is the whole pattern's groups and
    detection claims what it claimed (conftest.prefix_against_regex)."""
    from conftest import PARSER_EXAMPLES, benchmark_module

    generators = benchmark_module("parser_throughput").GENERATORS
    rng = random.Random(7)
    neighbours = [
        generators[name](rng, i)
        for name in ("mysql_error", "mysql_general", "rds_postgresql", "container_cri", "stack_trace")
        for i in range(40)
    ]
    beats = (Path(__file__).parent / "vectors" / "platform" / "beats_mysql_error_8.0.15.log").read_text().splitlines()
    corpus = [*beats, *PARSER_EXAMPLES, *neighbours]
    lines = [*_USUAL, *_LINES, *corpus, *(line + "\r\n" for line in corpus)]
    parser = MysqlErrorParser()
    claims, after, con, rows = prefix_against_regex(parser, lines)
    s = parser.struct_column
    usual = [bool(u) for (u,) in con.execute(f"SELECT {s}_usual.ts <> '' FROM ({rows}) ORDER BY i").fetchall()]
    # USUAL serves the first 18 and the one the guard refuses (`] ` past 60 characters: 15, 16 and 40 unclaimed)
    assert usual[: len(_USUAL)] == [True] * 18 + [False] * 22 + [True, False]
    assert claims[: len(_USUAL)] == [True] * 15 + [False] * 2 + [True] * 16 + [False] * 9
    assert [n for n, u in enumerate(usual[len(_USUAL) : len(_USUAL) + len(_LINES)]) if u] == [0, 3, 12]
    assert sum(usual[len(_USUAL) + len(_LINES) :]) == 2 * (13 + 1 + 40)  # Beats' 8.0 lines, the example, the bench's
    assert [(r["prio"], r["error_code"], r["subsystem"], r["data"]) for r in after[:12]] == [
        ("Warning", "MY-010068", "Server", "text"),
        ("System", "MY-1", "Server", ""),
        ("Note", "MY-1", "Server", ""),
        ("Note", "MY-1", "Server", " two spaces"),
        ("Note", "MY-1", "Server", "[glued] bracket"),
        ("Note", "MY-1", "Server", "[Other] a third bracket"),
        ("Note", "MY-1", "Server", "\ta tab"),
        ("Note", "MY-1", "Server", "x"),
        ("Note", "MY-1", "Server", "] two brackets"),
        ("ERROR", "MY-1", "InnoDB", "CR LF"),
        ("Error", "MY-1", "_9", "LF"),
        ("Info", "MY-1", "Server", ""),
    ]
    assert after[12]["data"] == "ünïcödé ✓ 日本\nsecond line"
    assert [(r["ts"], r["thread_id"]) for r in after[13:16]] == [
        ("2019-03-05 18:54:20", "140234"),
        ("2019-03-05T18:54:20+02:00", "12"),
        ("2019-03-05T18:54:20.123456789012345678901234567890-05:00", "1"),
    ]
    assert (after[16]["thread_id"], after[16]["error_code"], after[16]["subsystem"]) == (
        "9" * 40,
        "MY-" + "7" * 40,
        "S" * 200,
    )
    assert PREFIX == (  # as before USUAL shared its parts
        r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?) +(\d+) "
        r"\[(System|ERROR|Error|Warning|Note|Info)\](?: \[(MY-\d+)\])?(?: \[(\w+)\])? ?"
    )
    assert after[17]["data"] == ("long text " * 10_000)[:-1] + " "
    assert [(r["error_code"], r["subsystem"], r["data"]) for r in after[18:21]] == [
        ("MY-1", "", "text, no subsystem"),
        ("MY-1", "", ""),
        ("MY-1", "", "[Sub x] spaced subsystem"),
    ]
