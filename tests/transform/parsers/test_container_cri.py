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
