"""syslog_rsyslog_file: rsyslog's RSYSLOG_FileFormat, the default of current Debian's /var/log/syslog:
`[<PRI>]2026-11-26T10:00:00.123456+01:00 HOST TAG[PID]: MSG`, into the `syslog` table.

The line is BSD syslog's (syslog_rfc3164) with an RFC 3339 time (year, fraction and offset, so the time
is read exactly, never given a year) in place of `Mmm dd hh:mm:ss`. A parser of its own rather than a
second time layout in syslog_rfc3164, because the line is stricter and must stay so: many application
lines begin with an ISO time and a word, so the host is required (rsyslog always writes it), the time
must carry its zone (`+04:00`, `+0400` or `Z`), the tag must end with `:`, and a level word in the host's
place (`INFO main: ...`) is an application's line, not syslog. Columns and names are syslog_rfc3164's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Example, ParsePlan, RegexParser, cut_or_regex
from loglake.transform.parsers.syslog_fields import (
    BSD_GROUPS,
    bsd_columns,
    head_cut,
    head_groups,
    head_length,
    severity_level,
)
from loglake.transform.timestamps import RFC3339

_LEVEL_HOST = r"^(?:<\d+>)?\S+ (?i:trace|debug|info|notice|warn|warning|error|err|crit|critical|alert|emerg|fatal) "

PREFIX = (
    # The offset may lack its colon (`+0400`, as strftime's %z writes it: Beats' tz-offset fixture).
    rf"(?:<(\d{{1,3}})>)?({RFC3339}) "
    r"([^\s\[\]:=\"]+) ([^\s\[\]:=\"]+)(?:\[([^\]\s]*)\])?:"
)
"""The pattern up to the tag's `:`, without `(?: (.*))?` (the message). It reads no CR or LF (digits, `<>-T:.Z+`,
spaces, and classes that exclude `\\s`), and it matches a text's start in at most one way, so at one length: the
PRI is there exactly when the text starts with `<` (the time starts with a digit), and each later part ends at
the first character it cannot hold (the host and tag at the space, `[` or `:` after them, the pid at `]`). So the
whole pattern matches a line exactly when PREFIX matches at its start and is followed by a space or nothing, and
its groups are PREFIX's, then the text after that space ('' where there is none, as regexp_extract gives a group
the match leaves out)."""


HEAD = rf"(?:<\d{{1,3}}>)?({RFC3339}) ([^\s\[\]:=\"]+) ([^\s\[\]:=\"]+)(\[[^\]\s]*\])?:"
"""PREFIX with four groups (the time, host, tag and the pid's bracket whole) and the PRI's digits ungrouped:
each character decides its path, so RE2 extracts them with its one-pass engine (it does up to four groups)."""


class SyslogRsyslogFileParser(RegexParser):
    name = "syslog_rsyslog_file"
    table = "syslog"
    pattern = "(?s)" + PREFIX + "(?: (.*))?"
    guard = "substr({m}, 11, 1) = 'T' OR (substr({m}, 1, 1) = '<' AND contains(left({m}, 16), 'T'))"
    groups = BSD_GROUPS
    columns = bsd_columns()
    time = "{s}.ts"
    level = severity_level()

    def matches(self, message: str) -> str:
        """The pattern's full match of the line, as PREFIX at the message's start followed by a space, or by
        nothing but the line end (a run of CR and LF, which LINE drops): RE2 stops after the prefix, where the
        full match read the whole line (53 -> 20 ms per 50,000 lines). `2026-11-26T10:00:00Z INFO main:
        started` is an application's line, not host INFO's."""
        head = sql_string("^(?:" + PREFIX + r")(?: |[\r\n]*\z)")
        return f"(regexp_matches({message}, {head}) AND NOT regexp_matches({message}, {sql_string(_LEVEL_HOST)}))"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The time, host, tag and `[pid]` of HEAD's match at the line's start (four groups: RE2's one-pass
        engine, 17 ms per 50,000 lines, where the whole pattern's six groups over the whole line took 61), the
        rest cut with string functions where that match is followed by a space or ends the line; elsewhere the
        whole pattern's regexp_extract (never on a line detection claimed). Where HEAD matches, it matched what
        PREFIX matches (the same text, its groups grouped differently), so, by PREFIX's docstring, the cut gives
        the pattern's groups: the PRI is the digits between the leading `<` and the first `>` (`\\d` holds no
        `>`), the pid the bracket's inside, and the match's length the sum of its parts' (the PRI's `<...>` ends
        at that `>`, then the time, two spaces, the host, the tag, the bracket and the colon); length and substr
        both count code points (a host or tag may hold non-ASCII letters).

        The time is RFC3339's group in both (or '' where the regex does not match), so it takes ll_parse_time's
        `matched_rfc3339` path: its TIMESTAMPTZ cast without the cascade's tests (timestamps.MATCHED_FORMATS)."""
        s = self.struct_column
        line, head = f"{s}_line", f"{s}_head"
        length = head_length(line, head, 3)
        ends = f"(substr({line}, {length} + 1, 1) = ' ' OR length({line}) = {length})"
        derived = {
            line: LINE.format(m="message"),
            head: head_groups(line, HEAD),
            s: cut_or_regex(
                f"{head}.ts <> '' AND {ends}",
                head_cut(line, head, f"substr({line}, {length} + 2)"),
                line,
                self.pattern,
                self.groups,
            ),
        }
        return replace(super().plan(con, max_depth), staging={}, derived=derived, time_format="matched_rfc3339")


EXAMPLES = [
    Example(
        "2026-11-26T10:00:00.123456+01:00 web-01 systemd[1]: Started session-4.scope - Session 4 of User admin.",
        {
            "facility": None,
            "severity": None,
            "hostname": "web-01",
            "appname": "systemd",
            "procid": "1",
            "msg": "Started session-4.scope - Session 4 of User admin.",
            "level": None,
            "timestamp": "2026-11-26 09:00:00.123456",
            "time_source": "parsed",
        },
    ),
    Example(
        "2026-11-26T10:00:01.000042+00:00 db-02 kernel: [12345.678901] EXT4-fs (sda1): re-mounted. Quota mode: none.",
        {
            "hostname": "db-02",
            "appname": "kernel",
            "procid": None,
            "msg": "[12345.678901] EXT4-fs (sda1): re-mounted. Quota mode: none.",
            "timestamp": "2026-11-26 10:00:01.000042",
        },
    ),
    Example(  # with <PRI> ($template with %PRI% or a relay's copy)
        "<86>2026-11-26T10:00:02.5-05:00 bastion sshd[48211]: Accepted publickey for deploy from 198.51.100.23 "
        "port 50322 ssh2: ED25519 SHA256:0aZ",
        {
            "facility": "authpriv",
            "severity": "info",
            "hostname": "bastion",
            "appname": "sshd",
            "procid": "48211",
            "msg": "Accepted publickey for deploy from 198.51.100.23 port 50322 ssh2: ED25519 SHA256:0aZ",
            "level": "INFO",
            "timestamp": "2026-11-26 15:00:02.5",
        },
    ),
    Example(
        "<27>2026-11-26T10:00:03Z web-01 CRON[9911]: (root) error: pam_unix(cron:session): failure",
        {
            "facility": "daemon",
            "severity": "err",
            "appname": "CRON",
            "procid": "9911",
            "level": "ERROR",
            "timestamp": "2026-11-26 10:00:03",
        },
    ),
]
