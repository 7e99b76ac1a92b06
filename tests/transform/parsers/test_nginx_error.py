"""nginx_error's `msg` by split_part on a line without LF: the regex's group on crafted edge lines."""

from __future__ import annotations

import duckdb

from loglake.transform.parsers.nginx_error import NginxErrorParser

_MSG_REGEX = "regexp_extract(rest, '^(.*?)(?:, client: .*)?$', 1)"  # the column before split_part

_RESTS = [
    "",
    "signal process started",
    'open() "/x" failed (2: No such file), client: 172.17.0.1, server: localhost',
    ", client: 1.2.3.4",
    "a, client: b, client: c",
    "a , client:  b",
    "a,client: b",
    "a, Client: b",
    "a, client:b",
    "ünïcödé ✓, client: é",
    "a\r, client: b\r",
    "a\n, client: b",
    "a, client: b\nc",
    "a\nb",
    "\n",
    "a, client: ",
    ' "quoted, client: x" , client: y',
]


def test_msg_is_the_regex_group_on_edge_lines() -> None:
    """`^(.*?)(?:, client: .*)?$` ran RE2's submatch engine over every whole line (196 ms CPU per 50,000
    nginx lines, the biggest column of the COPY): lines without LF now take split_part (7 ms)."""
    msg = next(c for c in NginxErrorParser.columns if c.name == "msg").value.replace("{s}.rest", "rest")
    assert "split_part(rest, ', client: ', 1)" in msg
    rows = duckdb.execute(
        f"SELECT rest, {_MSG_REGEX}, {msg} FROM (SELECT unnest(?::VARCHAR[]) AS rest, generate_subscripts(?, 1) AS i) "
        "ORDER BY i",
        [_RESTS, _RESTS],
    ).fetchall()
    assert len(rows) == 17
    assert [r for r in rows if r[1] != r[2]] == []
    assert [r[2] for r in rows] == [
        *("", "signal process started", 'open() "/x" failed (2: No such file)', "", "a", "a ", "a,client: b"),
        *("a, Client: b", "a, client:b", "ünïcödé ✓", "a\r", "", "", "", "", "a", ' "quoted'),
    ]
