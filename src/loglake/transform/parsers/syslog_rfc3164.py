"""syslog_rfc3164: BSD syslog, `<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`, into the `syslog` table.

PRI and HOST are optional (many relays drop them), as is the colon after the tag. The line carries no
year: the event's year is the record's own, or the year before when the record's would put the event more
than a day after the record (timestamps.py, docs/etl.md). Names as in syslog_rfc5424; the tag is `appname`.
"""

from __future__ import annotations

from loglake.transform.parsers.base import Example, RegexParser
from loglake.transform.parsers.syslog_fields import BSD_GROUPS, bsd_columns, severity_level


class SyslogRfc3164Parser(RegexParser):
    name = "syslog_rfc3164"
    table = "syslog"
    pattern = (
        # The month is a month's name: `<13>Foo 11 22:14:15 host msg` is no BSD syslog line (libbeat rejects it).
        r"(?s)(?:<(\d{1,3})>)?((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d{2}:\d{2}:\d{2}) "
        # Neither host nor tag begins with `-`: syslogd's `--- last message repeated 2 times ---` has neither.
        r"(?:([^\s\[\]:-][^\s\[\]:]*) )?([^\s\[\]:-][^\s\[\]:]*)(?:\[([^\]\s]*)\])?:? (.*)"
    )
    guard = "substr({m}, 1, 1) = '<' OR substr({m}, 4, 1) = ' '"
    groups = BSD_GROUPS
    columns = bsd_columns()
    # `Mar  7`: the day's padding space goes; a time without a run of spaces is already what the regex would
    # make of it, and skips it (0.02 s per 50,000 lines).
    time = "CASE WHEN contains({s}.ts, '  ') THEN regexp_replace({s}.ts, ' +', ' ', 'g') ELSE {s}.ts END"
    time_format = "syslog"
    level = severity_level()


EXAMPLES = [
    Example(
        "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        {
            "facility": "auth",
            "severity": "crit",
            "hostname": "mymachine",
            "appname": "su",
            "procid": None,
            "msg": "'su root' failed for lonvick on /dev/pts/8",
            "level": "FATAL",
        },
    ),
    Example(
        "<133>Jun 13 16:33:35 haproxy[73411]: Proxy sticky-servers started.",
        {
            "facility": "local0",
            "severity": "notice",
            "hostname": None,
            "appname": "haproxy",
            "procid": "73411",
            "msg": "Proxy sticky-servers started.",
        },
    ),
    Example(
        "Mar  7 04:02:16 avas clamd[11165]: /var/amavis/amavis-20040307T033734-10329/parts/part-00003: "
        "Worm.Mydoom.F FOUND",
        {"facility": None, "hostname": "avas", "appname": "clamd", "procid": "11165", "level": None},
    ),
]
