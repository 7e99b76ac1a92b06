"""ALB connection logs' groups read from the line split at spaces (parsers/alb_connection.py _split_at_spaces)
are the whole pattern's groups: on every line the pattern accepts, the struct the plan stages equals
regexp_extract of the whole pattern, and the lines whose subject holds a space take it."""

from __future__ import annotations

from pathlib import Path

from conftest import cut_against_regex
from loglake.transform import likely_format
from loglake.transform.parsers.alb_connection import EXAMPLES, AlbConnectionParser

SAMPLES = Path(__file__).parents[2] / "events" / "aws_formats"
T = "2026-11-26T10:00:00.123456Z"
SUBJECT = '"CN=client.example.com,O=endEntity,L=Seattle,ST=Washington,C=US"'
VALIDITY = "NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z"
REST = f"{VALIDITY} 00E5A2 Success TID_1a2b"


def _line(client: str = "10.1.2.3", subject: str = SUBJECT, rest: str = REST) -> str:
    return f"{T} {client} 36280 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.125 {subject} {rest}"


SPACED = '"CN=My Company, O=end Entity"'
CRAFTED = [
    _line(),  # ends at conn_trace_id
    _line(rest=REST + " ecdh_x25519"),  # the key exchange
    _line(rest=REST + " ecdh_x25519 f1  f2 "),  # later fields: a double space, a trailing space
    _line(rest=REST + " "),  # an empty key exchange
    _line(rest=REST + " ecdh_x25519 "),  # empty later fields
    _line(subject=SPACED),  # a subject with spaces: the regex
    _line(subject='" CN=x"'),  # a subject that begins with a space: the regex
    _line(subject='"CN=x "'),  # one that ends with one: the regex
    _line(subject='""'),  # an empty subject
    _line(subject='"-"'),
    _line(subject="-"),  # no quotes: the pattern refuses it
    _line(client=""),  # an empty field (two spaces)
    _line(client='a"b'),  # a quote before the subject
    _line(client="[2001:db8::1]"),
    _line(subject='"CN=caf\u00e9,O=\u65e5\u672c,L=e\u0301\U0001f1eb\U0001f1f7"'),  # beyond ASCII
    _line(subject='"CN=a\tb"'),  # a tab
    _line(subject='"CN=a\nb"'),  # a newline inside the quotes (`[^"]*` takes it)
    _line(rest=REST + " x\ny"),  # a newline in the key exchange (`[^ ]*` takes it)
    _line(rest=REST + " ecdh_x25519 f1\nf2"),  # a newline in the later fields: the pattern refuses it
    _line(rest=f"{VALIDITY} 00E5A2 Success -"),  # no trace id
    _line(rest=f"{VALIDITY} 00E5A2 Success"),  # a field missing: the pattern refuses it
    _line() + "\r\n",  # CloudWatch's line break
    _line() + "\n",
]


def _lines() -> list[str]:
    found = [line for line in (SAMPLES / "alb_connection_docs.log").read_text().splitlines() if line.strip()]
    return [e.message for e in EXAMPLES] + found + CRAFTED


def test_alb_connection_struct_from_words_equals_the_whole_patterns_groups() -> None:
    rows = cut_against_regex(AlbConnectionParser(), _lines())
    assert len(rows) == len(_lines()) - 3  # all but the unquoted subject, the later newline, the missing field
    assert [message for message, expected, got, _fast in rows if expected != got] == []
    slow = sorted(message for message, _expected, _got, fast in rows if not fast)
    assert slow == sorted([CRAFTED[5], CRAFTED[6], CRAFTED[7]])
    later = next(got for message, _expected, got, _fast in rows if message == CRAFTED[2])
    assert (later["tls_keyexchange"], later["extra_fields"]) == ("ecdh_x25519", "f1  f2 ")
    spaced = next(got for message, _expected, got, _fast in rows if message == CRAFTED[5])
    assert spaced["leaf_client_cert_subject"] == SPACED[1:-1]


def test_alb_connection_is_split_not_extracted_in_classification() -> None:
    """Extracting the 14 groups in classification (likely_format.py) cost 0.24 s per 50,000 lines and the
    full match 0.08 s; the plan reads the words of one string_split, and the regex only for a spaced subject."""
    parser = AlbConnectionParser()
    assert not likely_format.eligible(parser)
    derived = parser.plan(None, 5).derived
    assert list(derived) == [f"__ll_alb_connection_{n}" for n in ("line", "words", "fast")] + ["__ll_alb_connection"]
    assert derived["__ll_alb_connection_words"] == "string_split(__ll_alb_connection_line, ' ')"
    assert derived["__ll_alb_connection"].startswith("CASE WHEN __ll_alb_connection_fast THEN struct_pack(time := ")
