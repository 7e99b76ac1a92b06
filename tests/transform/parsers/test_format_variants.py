"""Lines that look like a claimed format's variants but are not: they stay text (with their time and
level), so a wider parser does not take an application's own lines (the variants themselves are the
EXAMPLES in each parser's module)."""

from __future__ import annotations

from typing import Any

from conftest import Deliver
from loglake.lake.open import Lake
from loglake.query.engine import DuckDBEngine


def _rows(lake: Lake, sql: str) -> list[tuple[Any, ...]]:
    with DuckDBEngine(lake.store) as engine:
        return [tuple(row) for row in engine.query(sql).rows]


def test_an_iso_time_then_a_level_word_is_an_application_line_not_rsyslog(lake: Lake, deliver: Deliver) -> None:
    deliver(
        [
            "2026-11-26T10:00:04.250Z INFO main: listening on :8080",
            "2026-11-26T10:00:05Z ERROR worker[3]: job 17 failed",
            "2026-11-26T10:00:06.5+01:00 web-01 nginx[812]: reload",
        ]
    )
    assert _rows(lake, "SELECT event_id, format, level, CAST(timestamp AS VARCHAR) FROM logs ORDER BY event_id") == [
        ("e0", "text", "INFO", "2026-11-26 10:00:04.25"),
        ("e1", "text", "ERROR", "2026-11-26 10:00:05"),
    ]
    assert _rows(lake, "SELECT event_id, format, hostname, appname, procid, msg FROM syslog") == [
        ("e2", "syslog_rsyslog_file", "web-01", "nginx", "812", "reload"),
    ]


def test_a_bracketed_time_and_level_without_httpd_blocks_stays_text(lake: Lake, deliver: Deliver) -> None:
    deliver(
        [
            "[2026-11-26 10:00:00] [error] disk full",  # no [module:level]: any application's line
            "[2026-11-26 10:00:01] [app:fatal] out of memory",  # `fatal` is no httpd level
            "[2026-11-26 10:00:02] [:error] [client 2001:db8::1] PHP Fatal error:  Allowed memory size exhausted",
        ]
    )
    assert _rows(lake, "SELECT event_id, format, CAST(timestamp AS VARCHAR) FROM logs ORDER BY event_id") == [
        ("e0", "text", "2026-11-26 10:00:00"),
        ("e1", "text", "2026-11-26 10:00:01"),
    ]
    # Without httpd 2.4's pid block an IPv6 client's last group is part of the address, not a port.
    assert _rows(lake, "SELECT event_id, module, client, client_port, msg FROM apache_error_logs") == [
        ("e2", None, "2001:db8::1", None, "PHP Fatal error:  Allowed memory size exhausted"),
    ]
