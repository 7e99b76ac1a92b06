"""nginx_error's `msg` by split_part on a line without LF: the regex's group on crafted edge lines."""

from __future__ import annotations

from datetime import datetime

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


_HEAD = "2021/04/01 13:02:31 [error] 31#31: "
_LINES = [
    _HEAD + '*1 open() "/x" failed (2: No such file), client: 172.17.0.1, server: localhost, host: "h:80"',
    _HEAD + "signal process started",
    _HEAD,
    _HEAD + "*7 ",
    _HEAD + "*7",
    _HEAD + "*7  two spaces",
    _HEAD + "*x not a connection",
    _HEAD + "* 7 star then space",
    _HEAD + "*7 *8 twice",
    _HEAD + "ünïcödé ✓ 日本",
    _HEAD + "a\r\n",
    _HEAD + "*3 a\n",
    _HEAD + "a\nb\n\n",
    _HEAD + "a\rb",
    _HEAD + "\n",
    _HEAD + "\r\n\r\n",
    _HEAD[:-1] + "\n",
    _HEAD[:-1],
    _HEAD[:-2] + " : x",
    "2021/04/01 13:02:31 [err_1] 0#123456789012: x",
    "2021/04/01 13:02:31 [] 31#31: x",
    "2021/04/01 13:02:31 [érror] 31#31: x",
    "2021/04/01 13:02:31  [error] 31#31: x",
    "2021/04/01 13:02:31 [error] #31: x",
    "2021/04/01 13:02:31 [error] 31#: x",
    "2021/4/01 13:02:31 [error] 31#31: x",
    "2021/04/01T13:02:31 [error] 31#31: x",
    "\n" + _HEAD + "x",
    " " + _HEAD + "x",
    "",
    "\n",
]


def test_prefix_detection_and_cut_are_the_whole_pattern_s_on_edge_lines() -> None:
    """The pattern's full match read the whole line twice, in classification and in the write (the likely
    format's extraction, 0.10 s per 50,000 lines): detection tests the prefix only, and the write extracts the
    prefix's groups and cuts `rest` after it. Same claims and the same groups as the whole regex."""
    import duckdb

    from loglake.sql_quoting import sql_string
    from loglake.transform import likely_format
    from loglake.transform.etl import staged_rows
    from loglake.transform.parsers.base import LINE, regex_groups

    parser = NginxErrorParser()
    detect, plan = parser.detect("message"), parser.plan(None, 5)
    assert "regexp_full_match" not in detect and plan.staging == {} and not likely_format.eligible(parser)
    assert parser.guard is not None
    full_match = f"regexp_full_match({LINE.format(m='message')}, {sql_string(parser.pattern)})"  # the detection before
    old_detect = f"(CASE WHEN {parser.guard.replace('{m}', 'message')} THEN {full_match} ELSE false END)"
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE classified AS SELECT unnest($lines::VARCHAR[]) AS message, unnest(range(len($lines))) AS i, "
        "'nginx_error' AS format, 'nginx_error_logs' AS __ll_table",
        {"lines": _LINES},
    )
    claims = con.execute(f"SELECT {old_detect}, {detect} FROM classified ORDER BY i").fetchall()
    assert [old for old, _ in claims] == [new for _, new in claims]
    assert [old for old, _ in claims] == [True] * 16 + [False] * 3 + [True] + [False] * 11
    whole = regex_groups(LINE.format(m="message"), parser.pattern, parser.groups)
    rows = staged_rows(parser.name, parser.table, plan)
    got = con.execute(f"SELECT {whole}, __ll_nginx_error FROM ({rows}) ORDER BY i").fetchall()
    assert [old for old, _ in got] == [new for _, new in got]
    assert [(new["cid"], new["rest"]) for _, new in got[:9]] == [
        ("1", 'open() "/x" failed (2: No such file), client: 172.17.0.1, server: localhost, host: "h:80"'),
        ("", "signal process started"),
        ("", ""),
        ("7", ""),
        ("", "*7"),
        ("7", " two spaces"),
        ("", "*x not a connection"),
        ("", "* 7 star then space"),
        ("7", "*8 twice"),
    ]
    assert [new["rest"] for _, new in got[9:16]] == ["ünïcödé ✓ 日本", "a", "a", "a\nb", "a\rb", "", ""]
    big = {"ts": "2021/04/01 13:02:31", "severity": "err_1", "pid": "0", "tid": "123456789012", "cid": "", "rest": "x"}
    assert got[19][1] == big
    unclaimed = [new for n, (_, new) in enumerate(got) if not claims[n][0]]
    assert unclaimed == [dict.fromkeys(parser.groups, "")] * 14  # the regex's '' (the write never sees these)


_CONTEXT_RESTS = [
    'x, client: 1.2.3.4, server: s, request: "GET / HTTP/1.1", upstream: "http://u/", host: "h:80", referrer: "r"',
    "x, client: 1.2.3.4, server: localhost",
    "",
    "no context",
    ", client: , server: ",
    "x, client: a, client: b, server: c, server: d",
    "x, client: a\nb, server: c\r",
    "x,client: a, Server: b, server:c",
    ', request: "GET /a, b: c", host: ""',
    ', request: "',
    ', request: ""',
    ', request: "no end',
    ', request: "a, request: "b"',
    ', request: "a, request: "',
    ', request: "a", request: "b"',
    ', request: "é ✓ 日本", host: "ü"',
    ', request: "a\nb", host: "c\r"',
    ', request: , host: "h"',
    ', referrer: "r", upstream: "u',
    ', host: "h, host: ", referrer: "x"',
    'x, request: "GET", upstream: "u", host: "h", referrer: "r", client: c, server: s',
]


def test_context_fields_are_the_regex_groups_on_edge_lines() -> None:
    """Each context field was an unanchored regexp_extract over the line (17-21 ms per 50,000 lines, four
    of them the biggest columns left): split_part at the label, the regex only where a quoted field's piece
    holds no quote. The same values on crafted lines (repeated labels, no closing quote, CR/LF, non-ASCII)."""
    from loglake.transform.etl import staged_rows

    parser = NginxErrorParser()
    plan = parser.plan(None, 5)
    labels = ["client", "server", "request", "upstream", "host", "referrer"]
    columns = {f.path[0]: f.expression for f in plan.fields}
    assert all("regexp_extract(" not in columns[label] for label in labels[:2])
    assert all(columns[label].startswith("nullif(CASE WHEN contains(__ll_nginx_error_after.") for label in labels[2:])
    lines = ["2021/04/01 13:02:31 [error] 31#31: *1 " + rest for rest in _CONTEXT_RESTS]
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE classified AS SELECT unnest($lines::VARCHAR[]) AS message, unnest(range(len($lines))) AS i, "
        "'nginx_error' AS format, 'nginx_error_logs' AS __ll_table",
        {"lines": lines},
    )
    quoted = {"request", "upstream", "host", "referrer"}
    value = {label: '"([^"]*)"' if label in quoted else "([^,]*)" for label in labels}  # the regexes before
    old = ", ".join(f"nullif(regexp_extract(__ll_nginx_error.rest, ', {k}: {v}', 1), '')" for k, v in value.items())
    new = ", ".join(columns[label] for label in labels)
    rows = staged_rows(parser.name, parser.table, plan)
    got = con.execute(f"SELECT [{old}], [{new}] FROM ({rows}) ORDER BY i").fetchall()
    assert len(got) == len(_CONTEXT_RESTS) == 21
    assert [before for before, _ in got] == [after for _, after in got]
    assert [after for _, after in got][:2] == [
        ["1.2.3.4", "s", "GET / HTTP/1.1", "http://u/", "h:80", "r"],
        ["1.2.3.4", "localhost", None, None, None, None],
    ]
    requests = [after[2] for _, after in got[8:17]]  # a piece without a quote: the regex's group runs on
    assert requests == ["GET /a, b: c", None, None, None, "a, request: ", "a, request: ", "a", "é ✓ 日本", "a\nb"]


_HEAD_LINES = [
    *_LINES,
    "2021/04/01 13:02:31 [emerg] 1#0: *18446744073709551616 big",
    "2021/04/01 13:02:31 [warn] 007#0008: *0009 leading zeros",
    "2021/04/01 13:02:31 [ERROR_2] 99999999999999999999#1: x",
    "2021/04/01 13:02:31 [" + "a" * 300 + "] 1#2: long level",
    "2021/04/01 13:02:31 [error] 1#2: *3\tx",
    "2021/04/01 13:02:31 [error] 1#2: *3 \r\n",
    "2021/04/01 13:02:31 [error] 1#2: *3 ]x] [y] #4: *5 ",
    "2021/04/01 13:02:31 [error] 1#2: *３ full-width digit",
    "2021/04/01 13:02:31 [error] １#2: x",
    "2021/04/01 13:02:31 [error]] 1#2: x",
    "2021/04/01 13:02:31 [[error] 1#2: x",
    "2021/04/01 13:02:31 [error] 1#2:  *3 x",
    "2021/04/01 13:02:31 [error] 1#2: *3 日本 ✓ é",
    "2021/04/01 13:02:31 [error] 1#2: " + "x" * 5000,
    "２021/04/01 13:02:31 [error] 1#2: x",
    "2021-04-01 13:02:31 [error] 1#2: x",
    "2021/04/01 13:02:31 [error] 1#2:x",
    "2021/04/01 13:02:31 [error] 1#2: *",
    "2021/04/01 13:02:31\t[error] 1#2: x",
    '127.0.0.1 - - [01/Apr/2021:13:02:31 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8.0"',
    "[Thu Nov 26 10:00:00.123456 2026] [core:error] [pid 1:tid 2] [client 1.2.3.4:5] x",
    "2026-11-26T10:00:00.123456Z 12 [Warning] [MY-010055] [Server] x",
    "<34>Oct 11 22:14:15 mymachine su: 'su root' failed",
]


def test_one_pass_head_cut_is_the_six_group_head_s_struct() -> None:
    """The prefix's whole match and five groups took RE2's backtracking engine (89 ms CPU per 50,000 lines);
    HEAD's four (the whole match, pid, tid, cid) its one-pass engine (31 ms), and the time and the level are
    cut from the whole match. The struct is PrefixParser's, value for value, on every message of the typed
    golden corpus (all formats' lines, through the plan whether claimed or not) and on crafted edge lines."""
    import gzip
    import json
    from dataclasses import replace
    from pathlib import Path

    from loglake.transform.etl import staged_rows
    from loglake.transform.parsers.base import PrefixParser

    golden = json.loads(gzip.decompress((Path(__file__).parent / "typed_golden.json.gz").read_bytes()))
    corpus = [m for group in golden["groups"] for m in group if isinstance(m, str)]  # not VPC's dict samples
    lines = [*_HEAD_LINES, *corpus]
    parser = NginxErrorParser()
    plan = parser.plan(None, 5)
    old = replace(plan, derived=PrefixParser.plan(parser, None, 5).derived)  # the struct before HEAD
    assert plan.derived["__ll_nginx_error_head"].endswith("['whole', 'pid', 'tid', 'cid'])")
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE classified AS SELECT unnest($lines::VARCHAR[]) AS message, unnest(range(len($lines))) AS i, "
        "'nginx_error' AS format, 'nginx_error_logs' AS __ll_table",
        {"lines": lines},
    )
    got = con.execute(
        f"SELECT o.__ll_nginx_error, n.__ll_nginx_error FROM ({staged_rows(parser.name, parser.table, old)}) o "
        f"JOIN ({staged_rows(parser.name, parser.table, plan)}) n USING (i) ORDER BY i"
    ).fetchall()
    assert len(got) == len(lines) and len(corpus) == 809
    assert [before for before, _ in got] == [after for _, after in got]
    cut = [after for _, after in got[len(_LINES) : len(_HEAD_LINES)]]
    assert [(r["ts"], r["severity"], r["pid"], r["tid"], r["cid"]) for r in cut[:4]] == [
        ("2021/04/01 13:02:31", "emerg", "1", "0", "18446744073709551616"),
        ("2021/04/01 13:02:31", "warn", "007", "0008", "0009"),
        ("2021/04/01 13:02:31", "ERROR_2", "99999999999999999999", "1", ""),
        ("2021/04/01 13:02:31", "a" * 300, "1", "2", ""),
    ]
    assert [r["rest"] for r in cut[4:8]] == ["*3\tx", "", "]x] [y] #4: *5 ", "*３ full-width digit"]
    assert cut[12]["rest"] == "日本 ✓ é" and cut[13]["rest"] == "x" * 5000
    assert [r["ts"] for r in cut[8:12]] == ["", "", "", "2021/04/01 13:02:31"]  # full-width pid, `]]`, `[[`, `:  *`
    assert [r["ts"] for r in cut[14:]] == ["", "", "", "2021/04/01 13:02:31", "", "", "", "", ""]  # `: *`: no cid
    assert (cut[17]["cid"], cut[17]["rest"]) == ("", "*")
    claimed = [after for _, after in got[len(_HEAD_LINES) :] if after["ts"]]
    detected = (
        f"SELECT count(*) FILTER (WHERE {parser.detect('message')}) FROM classified WHERE i >= {len(_HEAD_LINES)}"
    )
    assert con.execute(detected).fetchone() == (len(claimed),) == (13,)  # the corpus's nginx lines


def test_the_time_takes_the_matched_iso_seconds_path_with_the_cascade_s_values() -> None:
    """The time group is `\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d` in HEAD and PREFIX, so the time with `-` for `/`
    is '' or a full match of timestamps.ISO_SECONDS on every line, claimed or not, and its `matched_iso_seconds`
    path (a cast, no test) reads what ll_parse_time read: on the crafted lines and on times out of range (Feb 29
    2026, 24:00, 23:59:60, month 13)."""

    from conftest import matched_time_rows
    from loglake.transform import timestamps
    from loglake.transform.parsers.nginx_error import HEAD, PREFIX

    parser = NginxErrorParser()
    plan = parser.plan(None, 5)
    assert plan.time_format == "matched_iso_seconds" and plan.time == "replace(__ll_nginx_error.ts, '/', '-')"
    ts = r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d"
    assert HEAD.startswith(f"^({ts} ") and PREFIX.startswith(f"({ts}) ")
    times = ["2024/02/29 23:59:60", "2026/02/29 00:00:00", "2026/11/26 24:00:00", "2026/13/01 10:00:00"]
    rows = matched_time_rows(
        parser, [*_LINES, *(f"{t} [error] 1#1: x" for t in [*times, "0001/01/01 00:00:00"])], timestamps.ISO_SECONDS
    )
    assert len(rows) == len(_LINES) + 5 == 36
    # Not a comparison of NULLs: NULL ('') for the 14 lines the pattern does not match, and for 3 added times that
    # are no instant (23:59:60, Feb 29 2026, month 13); 24:00 is the next day's midnight.
    assert [r[0] for r in rows if r[3] is None] == [16, 17, 18, *range(20, 31), 31, 32, 34]
    assert rows[33][3] == datetime(2026, 11, 27) and rows[0][3] == datetime(2021, 4, 1, 13, 2, 31)
