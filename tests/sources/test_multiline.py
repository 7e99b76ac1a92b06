from __future__ import annotations

from loglake.sources.multiline import EventBoundary

JAVA = [
    b"2026-11-26 14:03:07,412 ERROR [pool-2] c.s.Inventory - Reservation failed",
    b"java.lang.IllegalStateException: reservation already released",
    b"\tat com.shop.Inventory.reserve(Inventory.java:88)",
    b"Caused by: java.net.SocketTimeoutException: Read timed out",
    b"\t... 12 more",
]
PYTHON = [
    b"2026-11-26T14:03:07.412+0100 worker[812] ERROR jobs.email: sending failed",
    b"Traceback (most recent call last):",
    b'  File "/srv/worker/jobs/email.py", line 88, in send_receipt',
    b"    smtp.send_message(msg)",
    b"smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
]


def events(lines: list[bytes], boundary: EventBoundary | None = None) -> list[list[bytes]]:
    rule = boundary or EventBoundary()
    grouped: list[list[bytes]] = []
    for line in lines:
        if grouped and rule.continues(line, grouped[-1]):
            grouped[-1].append(line)
        else:
            grouped.append([line])
    return grouped


def test_java_trace_is_one_event() -> None:
    after = b"2026-11-26 14:03:08,000 INFO [main] c.s.Inventory - ok"
    assert events([*JAVA, after]) == [JAVA, [after]]


def test_python_trace_keeps_its_final_exception_line() -> None:
    after = b"2026-11-26T14:03:08.000+0100 worker[812] INFO jobs.email: sent"
    assert events([*PYTHON, after]) == [PYTHON, [after]]


def test_unindented_lines_after_a_plain_event_start_new_events() -> None:
    lines = [b"INFO: one", b"KeyError: not a trace here", b"WARN two"]
    assert events(lines) == [[b"INFO: one"], [b"KeyError: not a trace here"], [b"WARN two"]]


def test_user_rule_replaces_the_default() -> None:
    rule = EventBoundary.from_regex(r"\d{4}-\d{2}-\d{2}")
    lines = [b"2026-11-26 a", b"not indented but continues", b"2026-11-26 b"]
    assert events(lines, rule) == [[b"2026-11-26 a", b"not indented but continues"], [b"2026-11-26 b"]]


def test_a_bad_user_rule_is_a_clear_error() -> None:
    import pytest

    from loglake.errors import ConfigError

    with pytest.raises(ConfigError, match="not a valid regular expression"):
        EventBoundary.from_regex("([unclosed")
