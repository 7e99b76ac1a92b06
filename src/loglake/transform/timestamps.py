"""Event-time detection and normalisation to UTC, as DuckDB SQL so it runs vectorised.

Accepted (see docs/flattening.md for the table with examples):
- ISO 8601 / RFC 3339, with `T` or a space, `.` or `,` before fractions, and `Z`, `±hh:mm`, `±hhmm`
  or no zone (then UTC is assumed);
- Apache/CLF `10/Oct/2000:13:55:36 -0700`;
- syslog `Mar  7 12:00:01`, which has no year: the year of the record's own timestamp is used;
- epoch seconds (10 digits, optional fraction), milliseconds (13) and microseconds (16), as numbers
  or strings.
Anything else leaves the event time to the record's `timestamp` (CloudWatch's or the file source's).
"""

from __future__ import annotations

# Top-level JSON keys that hold the event time, in order of preference.
JSON_TIME_KEYS = ("timestamp", "@timestamp", "time", "ts", "datetime", "date", "eventTime")

_ISO = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|z|[+-]\d{2}(?::?\d{2})?)?"
_CLF = r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}"
_SYSLOG = r"[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}"

# Where a plain-text line keeps its time: at the start (optionally after '['), or CLF in brackets.
TEXT_ISO_PATTERN = rf"^\[?({_ISO})"
TEXT_CLF_PATTERN = rf"\[({_CLF})\]"
TEXT_SYSLOG_PATTERN = rf"^(?:<\d{{1,3}}>)?({_SYSLOG})"

MACROS = rf"""
CREATE OR REPLACE TEMP MACRO ll_utc(t) AS (t AT TIME ZONE 'UTC');
CREATE OR REPLACE TEMP MACRO ll_parse_time(s, ref_ms) AS (
    CASE
        WHEN s IS NULL THEN NULL
        WHEN regexp_full_match(s, '{_ISO}') THEN ll_utc(try_cast(replace(s, ',', '.') AS TIMESTAMPTZ))
        WHEN regexp_full_match(s, '\d{{10}}(\.\d+)?') THEN ll_utc(to_timestamp(s::DOUBLE))
        WHEN regexp_full_match(s, '\d{{13}}') THEN epoch_ms(s::BIGINT)
        WHEN regexp_full_match(s, '\d{{16}}') THEN make_timestamp(s::BIGINT)
        WHEN regexp_full_match(s, '{_CLF}') THEN ll_utc(try_strptime(s, '%d/%b/%Y:%H:%M:%S %z'))
        WHEN regexp_full_match(s, '{_SYSLOG}') THEN try_strptime(
            regexp_replace(s, ' +', ' ', 'g') || ' ' || year(epoch_ms(ref_ms)), '%b %d %H:%M:%S %Y')
        ELSE NULL
    END
);
"""


def text_time_expression(message: str) -> str:
    """SQL for the time string found in a plain-text line, or NULL."""
    return (
        f"coalesce(nullif(regexp_extract({message}, '{TEXT_ISO_PATTERN}', 1), ''), "
        f"nullif(regexp_extract(left({message}, 256), '{TEXT_CLF_PATTERN}', 1), ''), "
        f"nullif(regexp_extract({message}, '{TEXT_SYSLOG_PATTERN}', 1), ''))"
    )
