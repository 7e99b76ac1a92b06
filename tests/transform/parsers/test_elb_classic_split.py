"""Classic Load Balancer logs' groups read from the line split at spaces (parsers/elb_classic.py
_split_at_spaces) are the whole pattern's groups: on every line the pattern accepts, the struct the plan
stages equals regexp_extract of the whole pattern, and no line the pattern accepts needs the regex."""

from __future__ import annotations

from pathlib import Path

import duckdb

from conftest import cut_against_regex
from loglake.transform import likely_format
from loglake.transform.etl import staged_rows
from loglake.transform.parsers.elb_classic import EXAMPLES, ElbClassicParser

SAMPLES = Path(__file__).parents[2] / "events" / "aws_formats"
T = "2026-11-26T10:00:00.123456Z"


def _line(
    client: str = "10.1.2.3:4567",
    backend: str = "10.0.0.1:80",
    codes: str = "200 200",
    request: str = '"GET https://www.example.com:443/a HTTP/1.1"',
    tail: str = ' "curl/7.38.0" DHE-RSA-AES128-SHA TLSv1.2',
) -> str:
    return f"{T} my-lb {client} {backend} 0.000086 0.001048 0.001337 {codes} 0 57 {request}{tail}"


MOZILLA = ' "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)" ECDHE-RSA-AES128-SHA TLSv1.2'
CRAFTED = [
    _line(),
    _line(tail=MOZILLA),  # an agent with spaces
    _line(tail=' " a  b " - -'),  # an agent with outer and double spaces
    _line(tail=' "" - -'),  # an empty agent
    _line(tail=' "-" DHE-RSA-AES128-SHA '),  # an empty SSL protocol
    _line(tail=""),  # before 2015: no agent, cipher or protocol
    _line(tail=' "curl/7.38.0" DHE-RSA-AES128-SHA'),  # a field missing: the pattern refuses it
    _line(request='"- - - "'),  # TCP listener
    _line(request='"- - - "', tail=""),
    _line(request='"- - -"'),  # protocol `-`
    _line(request='"GET https://x/ "'),  # an empty protocol
    _line(request='" https://x/ HTTP/1.1"'),  # an empty verb
    _line(request='"GET https://x/a"b HTTP/1.1"'),  # a quote in the URL
    _line(request='"GET https://x/ HTTP/1.1""'),  # a quote in the protocol
    _line(request='"GET https://x/a b HTTP/1.1"'),  # a space in the URL: the pattern refuses it
    _line(request='"GET https://x/caf\u00e9/e\u0301/\U0001f1eb\U0001f1f7 HTTP/1.1"', tail=' "\u65e5\u672c" - -'),
    _line(request='"GET https://x/a\tb HTTP/1.1"'),  # a tab
    _line(backend="-"),  # no backend
    _line(backend="-1"),
    _line(backend="-1:80"),  # an address `-1` with a port
    _line(backend="10.0.0.1:"),  # an empty port
    _line(backend="10.0.0.1"),  # no port: the pattern refuses it
    _line(client="[2001:db8::1]:4567", backend="[2001:db8::2]:80"),  # IPv6: the last colon
    _line(client="a:1:2"),
    _line(client=":80"),  # an empty address
    _line(codes=" -"),  # an empty status (two spaces)
    _line(codes="- -"),
    _line(tail=' "curl" - -') + "\r\n",  # CloudWatch's line break
    _line() + "\n",
    _line(tail=' "a\nb" - -'),  # a newline in the agent (`[^"]*` takes it)
]
REFUSED = [CRAFTED[6], CRAFTED[14], CRAFTED[21]]


def _lines() -> list[str]:
    files = [SAMPLES / "elb_classic_docs.log", SAMPLES / "elb_classic_otel.log"]
    found = [line for f in files for line in f.read_text().splitlines() if line.strip()]
    return [e.message for e in EXAMPLES] + found + CRAFTED


def test_elb_classic_struct_from_words_equals_the_whole_patterns_groups() -> None:
    rows = cut_against_regex(ElbClassicParser(), _lines())
    assert sorted(set(_lines()) - {message for message, *_ in rows}) == sorted(REFUSED)
    assert len(rows) == len(_lines()) - 3
    assert [message for message, expected, got, _fast in rows if expected != got] == []
    assert [message for message, _expected, _got, fast in rows if not fast] == []
    agent = next(got for message, _expected, got, _fast in rows if message == CRAFTED[1])
    assert agent["user_agent"] == MOZILLA[2:].partition('"')[0]
    assert (agent["ssl_cipher"], agent["ssl_protocol"]) == ("ECDHE-RSA-AES128-SHA", "TLSv1.2")
    tcp = next(got for message, _expected, got, _fast in rows if message == CRAFTED[7])
    assert (tcp["request_verb"], tcp["url"], tcp["protocol"], tcp["user_agent"]) == ("-", "-", "- ", "curl/7.38.0")


def test_elb_classic_fallback_is_the_whole_patterns_groups() -> None:
    """A line the split cannot read (never one that matched: here fed to the plan unmatched) takes the regex."""
    parser = ElbClassicParser()
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE classified AS SELECT m AS message, 'elb_classic' AS format, "
        "'elb_logs' AS __ll_table FROM unnest($lines::VARCHAR[]) AS t(m)",
        {"lines": REFUSED},
    )
    rows = con.execute(
        f"SELECT __ll_elb_classic_fast, __ll_elb_classic.elb_name "
        f"FROM ({staged_rows('elb_classic', 'elb_logs', parser.plan(con, 5))})"
    ).fetchall()
    assert rows == [(False, ""), (False, ""), (False, "")]


def test_elb_classic_is_split_not_extracted_in_classification() -> None:
    """Extracting the 20 groups in classification (likely_format.py) cost 0.18 s per 50,000 lines and the
    full match 0.03 s; the plan reads the words of one string_split."""
    parser = ElbClassicParser()
    assert not likely_format.eligible(parser)
    derived = parser.plan(None, 5).derived
    steps = ("line", "words", "end", "agent", "client", "backend", "fast")
    assert list(derived) == [f"__ll_elb_classic_{n}" for n in steps] + ["__ll_elb_classic"]
    assert derived["__ll_elb_classic_words"] == "string_split(__ll_elb_classic_line, ' ')"
    assert derived["__ll_elb_classic"].startswith("CASE WHEN __ll_elb_classic_fast THEN struct_pack(timestamp := ")
