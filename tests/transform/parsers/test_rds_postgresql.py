"""rds_postgresql detects its lines by the pattern's prefix and cuts the columns from a one-pass head
(rds_postgresql.PREFIX, HEAD): the same claims and the same groups as the whole pattern's full match and
extraction, on crafted lines."""

from __future__ import annotations

import re

from conftest import prefix_against_regex
from loglake.transform.parsers.rds_postgresql import HEAD, PREFIX, RdsPostgresqlParser

T = "2022-03-09 10:45:02 UTC"
_CLAIMED = [
    f"{T}:10.0.1.25(54321):postgres@mydb:[12345]:LOG:  connection authorized",
    f"{T}::@:[4312]:LOG:  checkpoint starting: time",
    f"{T}:[local]:rdsadmin@rdsadmin:[9876]:ERROR:  relation does not exist",
    f"{T}:10.0.1.25(54322):app@shop:[12346]:STATEMENT:  SELECT *\n\tFROM orders\n\tWHERE id = 1",
    f"{T}:10.0.1.25(1):app@shop:[1]:LOG:  trailing CR LF\r\n",
    f"{T}:10.0.1.25(1):app@shop:[1]:LOG:  \n",
    f"{T}:10.0.1.25(1):app@shop:[1]:LOG:  ",
    f"{T}:10.0.1.25(1):app@shop:[1]:LOG: one space",
    f"{T}:10.0.1.25(1):app@shop:[1]:LOG:   three spaces",
    f"{T}:10.0.1.25(1):app@shop:[1]:LOG: \ta space then a tab",
    f"{T}:10.0.1.25(1):app@db@with@ats:[1]:LOG:  the database holds @",
    f"{T}:10.0.1.25(1):us(er)[x]@shop:[1]:LOG:  the user holds brackets",
    f"{T}:host-ü.example(5432):ünïcödé@日本:[7]:WARNING:  non-ASCII e\u0301 ✓",
    f"{T}:e\u0301(5):u\u0301@d\u0301:[7]:LOG:  combining marks",
    f"{T}:::1(5432):app@shop:[5]:LOG:  IPv6 loopback with a port",
    f"{T}:fe80::1:abc@shop:[5]:LOG:  IPv6, a hex user",
    f"{T}:2001:db8::ff00:42:8329(60000):app@shop:[5]:FATAL:  IPv6, long",
    f"{T}:abc(1):def@shop:[5]:LOG:  hex host",
    f"{T}:10.0.1.25:app@shop:[5]:LOG:  no port",
    f"{T}:10.0.1.25(1):@:[5]:LOG:  empty user and database",
    f"{T}:(1):app@shop:[5]:LOG:  empty host with a port",
    f"{T}:10.0.1.25(1):app@shop:[5]:DEBUG1:  a digit in the severity",
    "2022-03-09 10:45:02.123456 CEST:10.0.0.1(1):a@b:[5]:LOG:  fraction and a four-letter zone",
    "2022-03-09 10:45:02 AB:10.0.0.1(1):a@b:[5]:LOG:  two-letter zone",
    f"{T}:ho\nst(1):a@b:[5]:LOG:  LF in the host",
    f"{T}:ho\rst(1):a\nb@c\rd:[5]:LOG:  CR and LF in host, user and database",
    f"{T}:h(1):a@b:[5]:LOG:  msg [6]:LOG:  again\n\n",
]
_REFUSED = [
    f"{T}:h(1):a:b@c:[5]:LOG:  a colon in the user",
    f"{T}:h(x):a@b:[5]:LOG:  port not digits",
    f"{T}:h(1):a@b:[]:LOG:  empty pid",
    f"{T}:h(1):a@b:[5]:log:  lower-case severity",
    f"{T}:h(1):a@b:[5]:LOG:no space",
    f"{T}:h(1):ab:[5]:LOG:  no @",
    f"{T}:h[1]:a@b:[5]:LOG:  bracket in the host",
    "2022-03-09 10:45:02 ABCDEF:h(1):a@b:[5]:LOG:  six-letter zone",
    "2022-03-09T10:45:02 UTC:h(1):a@b:[5]:LOG:  T for the space",
    f" {T}:h(1):a@b:[5]:LOG:  leading space",
    f"{T}:h(1):a@b:[5]:LOG\n:  LF before the colon",
    "plain words",
    "",
    "\r\n",
]


def test_prefix_detection_and_cut_give_the_whole_pattern_s_claims_and_groups() -> None:
    parser = RdsPostgresqlParser()
    claims, after, con, rows = prefix_against_regex(parser, [*_CLAIMED, *_REFUSED])
    assert len(after) == 41
    assert claims == [True] * 27 + [False] * 14
    assert [row["remote_host"] for row in after][:4] == ["10.0.1.25", "", "[local]", "10.0.1.25"]
    assert [row["msg"] for row in after][4:9] == ["trailing CR LF", "", "", "one space", " three spaces"]
    assert [(row["user_name"], row["database_name"]) for row in after][10:14] == [
        ("app", "db@with@ats"),
        ("us(er)[x]", "shop"),
        ("ünïcödé", "日本"),
        ("u\u0301", "d\u0301"),
    ]
    assert [(row["remote_host"], row["remote_port"], row["user_name"]) for row in after][14:17] == [
        ("::1", "5432", "app"),
        ("fe80::1", "", "abc"),
        ("2001:db8::ff00:42:8329", "60000", "app"),
    ]
    assert after[12]["msg"] == "non-ASCII e\u0301 ✓" and after[13]["msg"] == "combining marks"
    assert after[26]["msg"] == "msg [6]:LOG:  again"
    # The cut served every claimed line but the three IPv6 clients (HEAD lacks that alternative); the regex the rest.
    s = parser.struct_column
    fast = [bool(w) for (w,) in con.execute(f"SELECT {s}_head.log_time <> '' FROM ({rows}) ORDER BY i").fetchall()]
    assert fast == [True] * 14 + [False] * 3 + [True] * 10 + [False] * 14
    assert parser.pattern == "(?s)" + PREFIX + "(.*)"
    assert re.compile(HEAD).groups == 4  # RE2's one-pass engine takes four groups at most


def test_the_time_takes_the_matched_zone_named_path_with_the_cascade_s_values() -> None:
    """HEAD's and PREFIX's time group is timestamps.ZONE_NAMED, so the struct's time is '' or a full match of it on
    every line, claimed or not, and the `matched_zone_named` path (no test) reads what ll_parse_time read: on the
    crafted lines and on times with zones the cascade reads (UTC, GMT) or not (CET), fractions of 1, 9 and 10
    digits, Feb 29 2026 and 24:00."""
    from datetime import datetime

    from conftest import matched_time_rows
    from loglake.transform import timestamps

    parser = RdsPostgresqlParser()
    plan = parser.plan(None, 5)
    assert plan.time_format == "matched_zone_named" and plan.time == "__ll_rds_postgresql.log_time"
    assert PREFIX.startswith(f"({timestamps.ZONE_NAMED}):") and HEAD.startswith(f"({timestamps.ZONE_NAMED}):")
    times = [
        *("2026-11-26 10:00:00.5 GMT", "2026-11-26 10:00:00.123456789 UTC", "2026-11-26 10:00:00.1234567890 UTC"),
        *("2026-11-26 10:00:00 CET", "2026-02-29 10:00:00 UTC", "2026-11-26 24:00:00 UTC"),
    ]
    rows = matched_time_rows(
        parser, [*_CLAIMED, *_REFUSED, *(f"{t}:h(1):a@b:[5]:LOG:  x" for t in times)], timestamps.ZONE_NAMED
    )
    assert len(rows) == len(_CLAIMED) + len(_REFUSED) + 6 == 47
    # Not a comparison of NULLs: NULL for the 14 refused lines (the pattern reads no time: ''), the zones the cascade
    # does not read (CEST, AB, CET), a fraction of 10 digits and Feb 29 2026.
    assert [r[0] for r in rows if r[3] is None] == [22, 23, *range(27, 41), 43, 44, 45]
    assert rows[0][3] == datetime(2022, 3, 9, 10, 45, 2) and rows[46][3] == datetime(2026, 11, 27)
