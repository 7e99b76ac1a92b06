"""ALB's groups found in cuts of the line (parsers/alb.py _cut_at_url) are the whole pattern's groups: on every
line the pattern accepts, the struct the plan stages equals regexp_extract of the whole pattern, and the lines
whose URL the string functions cannot place (a longer URL that also parses, `" "` in the URL) take it."""

from __future__ import annotations

from pathlib import Path

from conftest import cut_against_regex
from loglake.transform.parsers.alb import EXAMPLES, AlbParser

SAMPLES = Path(__file__).parents[2] / "events" / "aws_formats"
HEAD = "https 2026-11-26T10:00:00.000000Z app/my-lb/50dc6c495c0c9188 10.1.2.3:4567 10.0.0.1:80 0.000 0.001 0.000 "
TAIL = (
    ' "curl/8.4.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:'
    'targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "www.example.com" "-" 0 '
    '2026-11-26T10:00:00.000000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-"'
)
CRAFTED = [
    HEAD + '200 200 34 366 "GET https://www.example.com:443/a b c HTTP/1.1"' + TAIL,  # spaces in the URL
    HEAD + '200 200 34 366 "GET https://www.example.com:443/a" "b HTTP/1.1"' + TAIL,  # `" "` in the URL
    HEAD + '400 - 34 366 "- - - "' + TAIL,  # a request ALB could not parse
    HEAD + '200 200 34 366 "GET https://x/ - "' + TAIL,  # protocol `- `
    HEAD + '200 200 34 366 "GET https://x/ HTTP/1.1"' + TAIL + " extra1 extra2",  # newer fields
    # A longer URL also parses (the tail's last group takes anything): the regex takes the longest.
    HEAD + '200 200 34 366 "GET https://x/ HTTP/1.1"' + TAIL + ' "GET https://y/ HTTP/1.1"' + TAIL,
    HEAD + '200 200 34 366 "GET https://x/caf\u00e9/e\u0301/\U0001f1eb\U0001f1f7 HTTP/1.1"' + TAIL,  # beyond ASCII
    HEAD.replace("app/my-lb", "app/m\u00fd-lb\u0301") + '200 200 34 366 "GET https://x/ HTTP/1.1"' + TAIL,
    HEAD.replace("10.1.2.3:4567", "[2001:db8::1]:4567") + ' 200 34 366 "GET https://x/ HTTP/1.1"' + TAIL,  # IPv6
    HEAD.replace("10.0.0.1:80", "-") + '502 - 34 366 "GET https://x/ HTTP/1.1"' + TAIL,  # no target
    HEAD + '200 200 34 366 "GET https://x/a\tb HTTP/1.1"' + TAIL,  # a tab in the URL
    HEAD + '200 200 34 366 "GET https://x/a\nb HTTP/1.1"' + TAIL,  # a newline: the pattern refuses it
    HEAD + '200 200 34 366 "GET https://x/ HTTP/1.1"' + TAIL + "\r\n",  # CloudWatch's line break
    # Ports: empty, an address with colons of its own, the `-` separator, an empty address.
    HEAD.replace("10.0.0.1:80", "10.0.0.1:") + '200 200 34 366 "GET https://x/ HTTP/1.1"' + TAIL,
    HEAD.replace("10.1.2.3:4567", "a:1:2") + '200 200 34 366 "GET https://x/ HTTP/1.1"' + TAIL,
    HEAD.replace("10.0.0.1:80", "10.0.0.1-80") + '200 200 34 366 "GET https://x/ HTTP/1.1"' + TAIL,
    HEAD.replace("10.1.2.3:4567", ":4567") + '200 200 34 366 "GET https://x/ HTTP/1.1"' + TAIL,
]


def _lines() -> list[str]:
    files = [*sorted(SAMPLES.glob("alb_docs_*.log")), SAMPLES / "alb_vrl.log", SAMPLES / "alb_otel.log"]
    found = [line for f in files for line in f.read_text().splitlines() if line.strip()]
    return [e.message for e in EXAMPLES] + found + CRAFTED


def test_alb_struct_from_cuts_equals_the_whole_patterns_groups() -> None:
    rows = cut_against_regex(AlbParser(), _lines())
    assert len(rows) == len(_lines()) - 1  # all but the line with a newline in its URL
    assert [message for message, expected, got, _fast in rows if expected != got] == []
    slow = sorted(message for message, _expected, _got, fast in rows if not fast)
    assert slow == sorted([CRAFTED[1], CRAFTED[5]])
    longest = next(got for message, _expected, got, _fast in rows if message == CRAFTED[5])
    assert longest["request_url"].startswith("https://x/ HTTP/1.1") and longest["request_proto"] == "HTTP/1.1"
    assert longest["extra_fields"] == ""


def _line(tail: str) -> str:
    return HEAD + '200 200 34 366 "GET https://x/ HTTP/1.1"' + tail


TR = '"Root=1-58337262-36d228ad5d99923122bbe354"'
FIELDS = f'{TR} "www.example.com" "-" 0 2026-11-26T10:00:00.000000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-"'
GROUP = "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067"
FITS = [  # every field, quoted as ALB writes it: REST's groups from string functions (_tail_cut)
    _line(TAIL),
    _line(TAIL + ' "TID_1a2b" "x y"'),  # fields newer ALBs append, quotes and all
    _line(TAIL + " "),  # a trailing space: extra_fields ''
    _line(TAIL + "  x"),  # two spaces: extra_fields ' x'
    _line(TAIL + 'x"'),  # no space, an unpaired quote
    _line(TAIL.replace('"curl/8.4.0"', '"Mozilla/5.0 (X11; Linux x86_64) \u00e9"')),  # spaces, beyond ASCII
    _line(TAIL.replace('"curl/8.4.0"', '""')),  # an empty user agent
    _line(f' "-" - - {GROUP} {FIELDS}'),  # no TLS: `-` cipher and protocol
    _line(f' "curl" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2  {FIELDS}'),  # an empty target group
    _line(f' "curl" -  {GROUP} {FIELDS}'),  # an empty ssl_protocol
    _line(f' "curl" - - {GROUP} {FIELDS}'.replace(" 0 2026", "  2026")),  # an empty priority
    _line(f' "curl" - - {GROUP} {FIELDS}'.replace('"10.0.0.1:80"', '""')),  # an empty target_port_list
    _line(f' "curl" - - {GROUP} {FIELDS}'.replace('"forward" "-"', '"redirect" "https://x/ y"')),
    _line(f' "curl" - - {GROUP} {FIELDS}').replace(" HTTP/1.1", " HTTP/1.1 x"),  # the protocol is the last word
]
REFUSED = [  # a shorter or differently quoted record, a value outside its class: REST's regexp_extract
    *(e.message for e in EXAMPLES[1:]),  # 2016 and 2018 records
    _line(f' "curl" - - {GROUP} {TR} www.example.com "-" 0 2026-11-26T10:00:00Z "forward" "-" "-" "1" "2" "3" "4"'),
    _line(f' "curl" - - {GROUP} {FIELDS}'.replace('"200"', '"200\t201"')),  # a tab: `[^\\s"]` refuses it
    _line(f' "curl" - - {GROUP} {FIELDS}'.replace('"200"', "200")),  # unquoted status list (the pattern's `"?`)
    _line(f' "curl" - - {GROUP} {FIELDS}'.replace(" 0 2026", " 0  2026")),  # two spaces before the time
    _line(f' "curl" - - {GROUP} {FIELDS}'.replace(" 0 2026", " x 2026")),  # a priority that is no number
    _line(f' "curl" ecdhe - {GROUP} {FIELDS}'),  # a lowercase cipher
    _line(f' "curl" - - {GROUP} {FIELDS}'.replace('"www.example.com"', '"www example"')),  # a space in a domain
]


def test_alb_tail_from_string_functions_equals_the_regex_and_is_taken_only_where_it_fits() -> None:
    import duckdb

    from loglake.transform.etl import staged_rows

    parser = AlbParser()
    lines = FITS + REFUSED
    rows = cut_against_regex(parser, lines)
    assert [message for message, expected, got, _fast in rows if expected != got] == []
    accepted = {message for message, *_ in rows}
    assert set(FITS) <= accepted and len(accepted - set(FITS)) == 5  # five refused lines are no ALB at all
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE classified AS SELECT m AS message, 'alb' AS format, 'alb_logs' AS __ll_table "
        "FROM unnest($lines::VARCHAR[]) AS t(m)",
        {"lines": lines},
    )
    fitting = con.execute(
        f"SELECT message FROM ({staged_rows('alb', 'alb_logs', parser.plan(con, 5))}) WHERE __ll_alb_tfits"
    ).fetchall()
    assert sorted(m for (m,) in fitting) == sorted(FITS)
    extra = {message: got["extra_fields"] for message, _e, got, _f in rows if message in FITS[1:5]}
    assert extra == {FITS[1]: '"TID_1a2b" "x y"', FITS[2]: "", FITS[3]: " x", FITS[4]: 'x"'}


def test_alb_rest_is_matched_once_and_each_port_cut_once() -> None:
    """The rest's full match (0.03 s per 50,000 lines) is read from its extraction's whole group, and each
    `ip:port` word is trimmed once, not three times: 1.27 -> 1.15 s of CPU per object (benchmarks/README.md).
    A rest that fits the string cut (_tail_cut) is not extracted: one more full match, over a few short
    values joined (its classes)."""
    derived = AlbParser().plan(None, 5).derived
    assert list(derived)[6:] == [
        *(f"__ll_alb_t{n}" for n in ("q", "words", "prio", "extra", "fits", "sure")),
        "__ll_alb_r",
        "__ll_alb_fast",
        "__ll_alb_words",
        "__ll_alb_client",
        "__ll_alb_target",
        "__ll_alb",
    ]
    assert " ".join(derived.values()).count("regexp_full_match(") == 2
    assert derived["__ll_alb_r"].index("WHEN __ll_alb_tfits THEN") < derived["__ll_alb_r"].index("regexp_extract(")
    assert derived["__ll_alb_fast"] == "coalesce(__ll_alb_r.__ll_rest <> '', false)"
    assert derived["__ll_alb_client"] == (
        "length(__ll_alb_words[4]) - length(regexp_extract(__ll_alb_words[4], '[0-9]*$'))"
    )
    assert " ".join(derived.values()).count("rtrim(") == 0


# Rests that fit the string cut but where _no_longer_url cannot vouch for the URL: the `.+REST` test decides.
NOT_SURE = [
    _line(TAIL.replace('"curl/8.4.0"', '" "')),  # a user agent that is one space: a `" "` of its own
    _line(TAIL.replace(TR, '" "')),  # the same for the trace id
    _line(TAIL.replace('"forward" "-" "-"', '" " " " " "')),  # actions, redirect, Lambda error: one space each
    _line(TAIL.replace(" 0 2026-11-26T10:00:00.000000Z ", " 0 - ")),  # a creation time without `:`
    _line(TAIL + ' "TID_1a2b" "x y"'),  # quotes in the appended fields
    # A longer URL that also parses (the appended fields hold a whole rest): the regex takes it.
    _line(TAIL + ' "GET https://y/ HTTP/1.1"' + TAIL),
]


def test_alb_longer_url_test_is_skipped_only_where_it_is_false() -> None:
    """`.+REST` over the rest (45 ms per 50,000 lines) is skipped where `__ll_alb_tsure` proves it false
    (_no_longer_url): on every line here, sure implies that the test is false, the sure lines are the fitting
    ones less NOT_SURE, and the struct is still the whole pattern's groups."""
    import duckdb

    from loglake.sql_quoting import sql_string
    from loglake.transform.etl import staged_rows
    from loglake.transform.parsers.alb import _URL, _VERB

    parser = AlbParser()
    lines = sorted(set(_lines() + FITS + REFUSED + NOT_SURE))
    rows = cut_against_regex(parser, lines)
    assert [message for message, expected, got, _fast in rows if expected != got] == []
    rest = parser.pattern.partition(_VERB + _URL)[2]
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE classified AS SELECT m AS message, 'alb' AS format, 'alb_logs' AS __ll_table "
        "FROM unnest($lines::VARCHAR[]) AS t(m)",
        {"lines": lines},
    )
    con.execute(f"DELETE FROM classified WHERE NOT {parser.matches('message')}")
    found = con.execute(
        f"SELECT message, coalesce(__ll_alb_tfits, false), coalesce(__ll_alb_tsure, false), "
        f"coalesce(regexp_full_match(__ll_alb_rest, {sql_string('.+(?:' + rest + ')')}), false) "
        f"FROM ({staged_rows('alb', 'alb_logs', parser.plan(con, 5))})"
    ).fetchall()
    assert [m for m, _fits, sure, longer in found if sure and longer] == []
    fitting = {m for m, fits, _sure, _longer in found if fits}
    sure = {m for m, _fits, sure, _longer in found if sure}
    assert set(NOT_SURE) <= fitting and len(fitting) == 43
    assert sure == fitting - {*NOT_SURE, FITS[4]} and len(sure) == 36  # FITS[4]: an unpaired quote appended
    assert {m for m, *_rest, longer in found if longer} == {NOT_SURE[-1], CRAFTED[5]}
