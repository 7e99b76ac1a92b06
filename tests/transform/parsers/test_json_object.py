"""The generic JSON parser's event time and level: the first of their keys that an event gives a value."""

from __future__ import annotations

import json

from conftest import Deliver, Query


def test_an_empty_or_dash_level_or_time_does_not_hide_the_next_key(deliver: Deliver, query: Query) -> None:
    """`{"level": "", "severity": "error"}` had a NULL level, and `{"time": "-", "ts": ...}` the record's time: the
    empty first key hid the next one, as it did in logfmt (base.first_given)."""
    events = [
        {"msg": "a", "level": "", "severity": "error"},
        {"msg": "b", "level": "-", "lvl": "warn"},
        {"msg": "c", "level": "info", "severity": "error"},
        {"msg": "d", "level": "", "severity": ""},
        {"msg": "e", "time": "", "ts": "2026-11-26T10:00:00Z"},
        {"msg": "f", "time": "-", "ts": "2026-11-26T11:00:00Z"},
        {"msg": "g", "time": "2026-11-26T12:00:00Z", "ts": "2026-11-26T13:00:00Z"},
    ]
    deliver([json.dumps(event) for event in events])
    assert query("SELECT msg, level, CAST(timestamp AS VARCHAR), time_source FROM logs ORDER BY msg") == [
        ("a", "ERROR", "2025-11-28 00:00:00", "source"),
        ("b", "WARN", "2025-11-28 00:00:00.001", "source"),
        ("c", "INFO", "2025-11-28 00:00:00.002", "source"),
        ("d", None, "2025-11-28 00:00:00.003", "source"),
        ("e", None, "2026-11-26 10:00:00", "parsed"),
        ("f", None, "2026-11-26 11:00:00", "parsed"),
        ("g", None, "2026-11-26 12:00:00", "parsed"),
    ]
