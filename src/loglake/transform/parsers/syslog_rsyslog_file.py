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

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import Example, RegexParser
from loglake.transform.parsers.syslog_fields import BSD_GROUPS, bsd_columns, severity_level

_LEVEL_HOST = r"^(?:<\d+>)?\S+ (?i:trace|debug|info|notice|warn|warning|error|err|crit|critical|alert|emerg|fatal) "


class SyslogRsyslogFileParser(RegexParser):
    name = "syslog_rsyslog_file"
    table = "syslog"
    pattern = (
        # The offset may lack its colon (`+0400`, as strftime's %z writes it: Beats' tz-offset fixture).
        r"(?s)(?:<(\d{1,3})>)?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})) "
        r"([^\s\[\]:=\"]+) ([^\s\[\]:=\"]+)(?:\[([^\]\s]*)\])?:(?: (.*))?"
    )
    guard = "substr({m}, 11, 1) = 'T' OR (substr({m}, 1, 1) = '<' AND contains(left({m}, 16), 'T'))"
    groups = BSD_GROUPS
    columns = bsd_columns()
    time = "{s}.ts"
    level = severity_level()

    def matches(self, message: str) -> str:
        # `2026-11-26T10:00:00Z INFO main: started` is an application's line, not host INFO's.
        return f"({super().matches(message)} AND NOT regexp_matches({message}, {sql_string(_LEVEL_HOST)}))"


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
