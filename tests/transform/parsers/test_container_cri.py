"""container_cri cuts a one-line event from a one-pass head (container_cri.HEAD) and keeps the list of each
line's groups for the rest: the same columns as the list on every line, claimed or not."""

from __future__ import annotations

import re

import duckdb

from conftest import classified_rows
from loglake.transform.etl import staged_rows
from loglake.transform.parsers.container_cri import _TIME, HEAD, STD_WITHIN, ContainerCriParser

T = "2024-04-13T07:59:37.505201169Z"
_LINES = [
    f"{T} stdout F standalone containerd line which is awesome!",
    "2024-04-13T07:59:37.505201169-10:00 stderr F crio line",
    f"{T} stdout F ",
    f"{T} stdout F",
    f"{T} stdout F  two spaces after the tag  ",
    f"{T} stdout F trailing CR LF\r\n",
    f"{T} stdout F a CR\rin the middle",
    f"{T} stderr F:X:Y tag with colons",
    f"{T} stdout F ünïcödé e\u0301 ✓ 日本",
    f"{T} stdout P standalone containerd line which i\n{T} stdout F s awesome!",
    f"{T} stdout P first\n{T} stderr P second\n{T} stdout P third",
    f"{T} stdout F one\n",
    f"{T} stdout F one\n\n",
    f"{T} stdout F\ttab",
    f"{T} stdout Fx glued",
    f"{T} stdout f lower-case tag",
    f"{T} stdouts F x",
    f"{T}  stdout F two spaces",
    f" {T} stdout F leading space",
    f"{T} stdout",
    "x stdout F any time",
    "a b stdout F x",
    f"{T} stdout F:x tag then a lower-case letter",
    f"{T} stdout F:",
    "\n" + f"{T} stdout F leading LF",
    "plain words",
    "",
    "\r\n",
]


def test_one_line_events_are_cut_from_the_head_with_the_list_s_values() -> None:
    parser = ContainerCriParser()
    con = duckdb.connect()
    classified_rows(con, parser.name, parser.table, _LINES)
    old = parser.staged("message")
    expected = con.execute(
        f"SELECT struct_pack(time := L[1].time, stream := L[1].stream, logtag := L[-1].logtag, "
        f"log := array_to_string(list_transform(L, lambda x: coalesce(x.log, '')), '')) "
        f"FROM (SELECT i, {old} AS L FROM classified) ORDER BY i"
    ).fetchall()
    rows = staged_rows(parser.name, parser.table, parser.plan(con, 5))
    s = parser.struct_column
    got = con.execute(f"SELECT {s}, {s}_lines IS NULL FROM ({rows}) ORDER BY i").fetchall()
    assert len(got) == len(expected) == 28
    assert [value for value, _ in got] == [value for (value,) in expected]
    # The head served every one-line event (claimed or not) it matches; the list the partial lines and the rest.
    cut = [c for _, c in got]
    assert cut == [True] * 9 + [False] * 2 + [True] * 2 + [False] * 7 + [True] + [False] * 7
    assert [value["log"] for value, _ in got][:9] == [
        *("standalone containerd line which is awesome!", "crio line", "", "", " two spaces after the tag  "),
        *("trailing CR LF", "a CR\rin the middle", "tag with colons", "ünïcödé e\u0301 ✓ 日本"),
    ]
    assert got[9][0] == {
        "time": T,
        "stream": "stdout",
        "logtag": "F",
        "log": "standalone containerd line which is awesome!",
    }
    claims = con.execute(f"SELECT {parser.detect('message')} FROM classified ORDER BY i").fetchall()
    assert [c for (c,) in claims] == [True] * 13 + [False] * 15


def test_the_head_takes_three_groups_for_the_one_pass_engine() -> None:
    assert HEAD.count("(") - HEAD.count("(?:") == 3 and HEAD.startswith("^")


def test_guard_window_holds_the_longest_time() -> None:
    """The guard looks for ` std` within STD_WITHIN characters: the time pattern's longest match (from the pattern
    itself, so a wider time fails here) and ` std` must fit, and a line with the longest time passes the guard."""
    longest = re._parser.parse(_TIME).getwidth()[1]
    assert longest == 35
    assert longest + len(" std") <= STD_WITHIN
    line = "2024-02-29T23:59:59.123456789+05:30 stderr F the longest time"
    assert re.fullmatch(_TIME, line[:35])
    guard = ContainerCriParser.guard.format(m="m")
    with duckdb.connect() as con:
        assert con.execute(f"SELECT {guard} FROM (SELECT $m AS m)", {"m": line}).fetchone() == (True,)
        wider = line.replace(".123456789", ".1234567890")  # ten digits: no CRI time, the guard's window is passed
        assert con.execute(f"SELECT {guard} FROM (SELECT $m AS m)", {"m": wider}).fetchone() == (False,)


def test_the_time_of_a_claimed_line_takes_the_matched_rfc3339_path_with_the_cascade_s_values() -> None:
    """Detection full-matches MATCH, whose lines start with _TIME (RFC 3339 with the offset's `:`), and the time is
    the first line's text up to its first space: so every row the parser writes has a full match of
    timestamps.RFC3339 as its time, and the `matched_rfc3339` path (a cast, no test) reads what ll_parse_time read.
    Here on the claimed crafted lines and on times of every shape _TIME takes (fractions of 0-9 digits, `Z`,
    offsets; 23:59:60, 24:00, Feb 29 2026, day 32, years 0001 and 9999)."""
    from datetime import datetime

    from conftest import matched_time_rows
    from loglake.transform import timestamps
    from loglake.transform.parsers.container_cri import MATCH

    parser = ContainerCriParser()
    plan = parser.plan(None, 5)
    assert plan.time_format == "matched_rfc3339" and plan.time == "__ll_container_cri.time"
    assert timestamps.RFC3339.replace(":?", ":") == _TIME and MATCH.startswith(f"{_TIME} ")
    times = [
        *(f"2026-11-26T10:00:00{'.123456789'[: n + 1] if n else ''}Z" for n in range(10)),
        *("2026-11-26T10:00:00+05:30", "2026-11-26T10:00:00-14:00", "2024-02-29T23:59:60Z", "2026-11-26T24:00:00Z"),
        *("2026-02-29T00:00:00Z", "2026-11-32T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59.9Z"),
    ]
    rows = matched_time_rows(
        parser, [*_LINES, *(f"{t} stdout F x" for t in times)], timestamps.RFC3339, claimed_only=True
    )
    claimed = [r for r in rows if r[1]]
    assert len(rows) == len(_LINES) + len(times) == 46 and len(claimed) == 13 + len(times)
    # Not a comparison of NULLs: NULL only for the 3 times that are no instant (23:59:60, Feb 29 2026, day 32);
    # 24:00 is the next day's midnight.
    assert [r[0] for r in claimed if r[3] is None] == [28 + 12, 28 + 14, 28 + 15]
    assert rows[28 + 13][3] == datetime(2026, 11, 27) and rows[0][3] == datetime(2024, 4, 13, 7, 59, 37, 505201)
