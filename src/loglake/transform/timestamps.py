"""Event-time detection and normalisation to UTC, as DuckDB SQL so it runs vectorised.

Accepted (docs/etl.md has the table with examples):
- ISO 8601 / RFC 3339 and its common log variants: `T`, one or two spaces (apt's history.log) between
  date and time, `-` or `/` in the date (Go's log package, nginx), `.` or `,` before fractions (Java,
  Python logging), and `Z`, `±hh:mm`, `±hhmm`, ` ±hhmm`, ` UTC`, ` GMT` or no zone (then UTC is assumed);
- Apache/CLF `10/Oct/2000:13:55:36 -0700`;
- ctime / httpd `Tue Jun 24 14:36:25[.123456] 2025` and Tomcat `24-Jun-2025 14:36:25[.123]` (no zone: UTC);
- syslog `Mar  7 12:00:01`, which has no year: the year of the record's timestamp, or the year before
  when that would put the event more than a day after the record (a December line read in January);
- epoch seconds (10 digits, optional fraction), milliseconds (13) and microseconds (16), as numbers
  or strings.
A time this module cannot read with certainty is not read: a zone abbreviation other than UTC/GMT
(`CEST`, `IST` are ambiguous), a yearless klog/glog `I0624 14:36:25` (no rule gives its year). The event
then takes the record's `timestamp`, and `time_source` says where that came from (see TIME_SOURCES).
"""

from __future__ import annotations

from loglake.sql_quoting import sql_string
from loglake.transform.levels import LEVEL_WORDS

# Top-level JSON keys that hold the event time, in order of preference.
JSON_TIME_KEYS = ("timestamp", "@timestamp", "time", "ts", "datetime", "date", "eventTime")

LATEST_EPOCH_S = 253_402_300_799
"""9999-12-31T23:59:59Z, the last second the lake holds (etl._MAX_TIMESTAMP_MS): a conversion of a number a
line controls (to_timestamp, make_timestamp, epoch_ms) is guarded by a range test against it, because DuckDB
raises on a value past its own range, which would fail the whole raw object."""
LATEST_EPOCH_MS = (LATEST_EPOCH_S + 1) * 1_000 - 1
LATEST_EPOCH_NS = (LATEST_EPOCH_S + 1) * 1_000_000_000 - 1

TIME_SOURCES = ("parsed", "source", "ingestion")
"""The clean `time_source` values: read from the event itself; the source's own event timestamp
(CloudWatch's, a subscription's); or the time the source read it (a file's mtime, stdin's read time),
which is a guess at best."""
TRUSTED_SOURCES = ("cloudwatch", "subscription", "firehose", "export", "cloudtrail_s3")
"""Raw `source` values whose record `timestamp` is the event's own time. Any other source (`file`, and
stdin, which is a file source) stamps records when it reads them."""

_CLOCK = r"\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
_ISO = (
    rf"\d{{4}}(?:-\d{{2}}-\d{{2}}|/\d{{2}}/\d{{2}})(?:T| {{1,2}}){_CLOCK}"
    r"(?:Z|z|[+-]\d{2}(?::?\d{2})?| [+-]\d{2}:?\d{2}| UTC| GMT)?"
)
_CLF = r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}"
_SYSLOG = r"[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}"
_CTIME = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})? \d{4}"
_TOMCAT = r"\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?"
# Zone abbreviations that follow a zone-less time in text. Captured with the time so that the time is
# not read as UTC: ll_parse_time accepts none of them (several are ambiguous: IST, CST, BST).
_ZONE_NAMES = (
    "CET|CEST|EET|EEST|WET|WEST|BST|IST|MSK|EST|EDT|CST|CDT|MST|MDT|PST|PDT|AKST|AKDT|HST|JST|KST|SGT|HKT|"
    "AEST|AEDT|ACST|ACDT|AWST|NZST|NZDT"
)

# Where a plain-text line keeps its time: at its start, possibly after `[`, a label (`Start-Date: `) or a
# level (`INFO `, `[warn] `); after a program name when a colon follows the time (`update-alternatives
# 2025-06-24 14:36:53: ...`); CLF in brackets anywhere near the start; syslog's at the start, after <PRI>.
# Any other word before a time is not enough: `Expires 2027-01-01 00:00:00` is not the event's time.
# One pattern per first character (digit, `[`, letter), so a line pays for the forms it can start with.
_TIME = rf"(?:{_ISO})(?: (?:{_ZONE_NAMES})\b)?|{_CTIME}|{_TOMCAT}"
TEXT_DIGIT_TIME = rf"(?:{_ISO})(?: (?:{_ZONE_NAMES})\b)?|{_TOMCAT}"
"""A time that starts with a digit (ISO, Tomcat's): TEXT_DIGIT_PATTERN's one group."""
TEXT_DIGIT_PATTERN = f"^({TEXT_DIGIT_TIME})"
TEXT_BRACKET_PATTERN = rf"^\[(?:(?i:{LEVEL_WORDS})\][ \t]+\[?)?({_TIME})"
TEXT_WORD_PATTERN = rf"^(?:[A-Za-z][\w.-]*:[ \t]+\[?|(?:{LEVEL_WORDS})[ \t]+\[?)?({_TIME})"
TEXT_PROGRAM_PATTERN = rf"^[A-Za-z][\w.-]* ({_ISO}):"
_WORD_GUARD = r"^(?:[A-Za-z][\w.-]*:?[ \t]+\[?\d{4}[-/]|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z])"
"""A match without groups (several times cheaper): most lines that start with a letter have no time there."""
TEXT_CLF_PATTERN = rf"\[({_CLF})\]"
TEXT_SYSLOG_PATTERN = rf"^(?:<\d{{1,3}}>)?({_SYSLOG})"


def _by_fraction(text: str, clock: str, tail: str) -> str:
    """SQL: try_strptime of `text` with the format with fractions when the string has a `.`, else without.

    A list of formats (`[without, with]`) gave the same values, the first that parses, but a format that
    fails is dear: 35 ms per 50,000 httpd times with fractions against 8 ms. In a string of these formats
    (ctime, Tomcat) a `.` appears only before the fraction, which the format without fractions cannot read,
    and the format with them needs; a string without `.` is read by the format without, or not at all."""
    return (
        f"CASE WHEN contains(s, '.') THEN try_strptime({text}, '{clock}.%f{tail}') "
        f"ELSE try_strptime({text}, '{clock}{tail}') END"
    )


TIME_FORMATS: dict[str, tuple[str, str]] = {
    "iso": (_ISO, "ll_iso(s)"),
    "epoch_s": (r"\d{10}(\.\d+)?", "ll_utc(to_timestamp(s::DOUBLE))"),
    "epoch_ms": (r"\d{13}", "epoch_ms(s::BIGINT)"),
    "epoch_us": (r"\d{16}", "make_timestamp(s::BIGINT)"),
    "clf": (_CLF, "ll_utc(try_strptime(s, '%d/%b/%Y:%H:%M:%S %z'))"),
    "syslog": (_SYSLOG, "ll_yearless(replace(s, '  ', ' '), ref_ms)"),
    "ctime": (_CTIME, _by_fraction("replace(s, '  ', ' ')", "%a %b %d %H:%M:%S", " %Y")),
    "tomcat": (_TOMCAT, _by_fraction("s", "%d-%b-%Y %H:%M:%S", "")),
}
"""The time formats ll_parse_time reads, in the order it tests them: each a full-match pattern and the SQL
that converts a string `s` matching it (`ref_ms`: the record's timestamp). No string matches two patterns
(they differ in their first characters: 4 digits and `-` or `/`; digits only, of three lengths; 2 digits
and `/`; a month's name and a space then a digit; a day's name then a month's; 2 digits and `-`), so a
parser that knows its format (ParsePlan.time_format) can test that one first: a string matching it gets
the value the cascade gives it, any other string still goes through the cascade."""


def _cascade() -> str:
    return "\n        ".join(
        f"WHEN regexp_full_match(s, {sql_string(pattern)}) THEN {convert}" for pattern, convert in TIME_FORMATS.values()
    )


def _fast_paths() -> str:
    """One macro per format after the first (the first is the cascade's own first test): that format's test
    and conversion, else the cascade. Syslog's has its own shape (_syslog_fast_path)."""
    return "\n".join(
        _syslog_fast_path()
        if name == "syslog"
        else f"CREATE OR REPLACE TEMP MACRO ll_parse_time_{name}(s, ref_ms) AS (CASE WHEN regexp_full_match(s, "
        f"{sql_string(pattern)}) THEN {convert} ELSE ll_parse_time(s, ref_ms) END);"
        for name, (pattern, convert) in list(TIME_FORMATS.items())[1:]
    )


def _syslog_fast_path() -> str:
    """ll_parse_time_syslog: ll_yearless's value with its strptime computed once per row, not up to four times.

    DuckDB does not share a subexpression under a CASE branch, and ll_year_before names its time four times
    (test, value, month, day): under the fast path's CASE each mention ran the strptime again (36 ms per
    50,000 lines, its parts 11). Its optimizer does share an expression whose first mention is evaluated on
    every row (a CASE's first condition, an OR's first operand): `t IS NULL` there makes the strptime `t` a
    column computed once, which the other branches read. The value is the old one on every string:
    - not a syslog time (`NOT regexp_full_match`): the cascade, as before; `t` is not used;
    - a syslog time that `t` does not read (no such day this year, e.g. Feb 29, or no `ref_ms`):
      ll_yearless gave coalesce(ll_year_before(NULL), feb29) = feb29;
    - else ll_year_before(t)'s own branches, and its NULL (a Feb 29 over a day ahead) goes to feb29 as
      ll_yearless's coalesce did.
    The cost: `t` is also computed for a string that is not a syslog time (the parser said it would be)."""
    pattern = sql_string(TIME_FORMATS["syslog"][0])
    return f"""CREATE OR REPLACE TEMP MACRO ll_parse_time_syslog_read(s, t, ref_ms) AS (CASE
    WHEN t IS NULL OR NOT regexp_full_match(s, {pattern}) THEN CASE WHEN regexp_full_match(s, {pattern})
         THEN ll_yearless_feb29(replace(s, '  ', ' '), ref_ms) ELSE ll_parse_time(s, ref_ms) END
    WHEN t <= epoch_ms(ref_ms) + INTERVAL 1 DAY THEN t
    WHEN month(t) = 2 AND day(t) = 29 THEN ll_yearless_feb29(replace(s, '  ', ' '), ref_ms)
    ELSE t - INTERVAL 1 YEAR END);
CREATE OR REPLACE TEMP MACRO ll_parse_time_syslog(s, ref_ms) AS (
    ll_parse_time_syslog_read(s, ll_yearless_this_year(replace(s, '  ', ' '), ref_ms), ref_ms));"""


RFC3339 = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})"
"""RFC 3339's time (the offset's `:` optional, as strftime's %z writes it): a part of TIME_FORMATS['iso'] that
holds no `/`, `,` or space, so ll_iso's rewrites leave it as it is and ll_iso is its TIMESTAMPTZ cast alone."""

ISO_SECONDS = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
"""A date and a time of day to the second, no fraction or zone (nginx's error log, its `/` made `-`): a part of
TIME_FORMATS['iso'] of 19 characters without `/` or `,`, so ll_iso rewrites nothing in it."""

ISO_FRACTION = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?"
"""A date, `T` or a space, a time of day, a fraction of any length and an optional `Z` or `+hh:mm` (MySQL's error
and general logs, Lambda's text lines): TIME_FORMATS['iso'] reads those with 1-9 fraction digits."""

ZONE_NAMED = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? [A-Z]{2,5}"
"""A date, a time of day, any fraction and a zone's name (PostgreSQL's `%m` and `%t` in log_line_prefix, as RDS
writes them): of these, TIME_FORMATS['iso'] reads only ` UTC` and ` GMT` with 1-9 fraction digits, and no other
format starts with four digits and `-`."""

_ISO_CAST = "ll_utc(try_cast(s AS TIMESTAMPTZ))"
"""ll_iso of a string it rewrites nothing in (no `/` at the fifth character, no `,`, no ` +` or ` -`)."""

MATCHED_FORMATS: dict[str, tuple[str, str]] = {
    "matched_rfc3339": (RFC3339, _ISO_CAST),
    "matched_iso_seconds": (ISO_SECONDS, _ISO_CAST),
    "matched_iso_fraction": (
        ISO_FRACTION,
        "CASE WHEN length(s) <= 29 + CASE WHEN suffix(s, 'Z') THEN 1 WHEN substr(s, -6, 1) IN ('+', '-') THEN 6 "
        f"ELSE 0 END THEN {_ISO_CAST} END",
    ),
    "matched_zone_named": (
        ZONE_NAMED,
        f"CASE WHEN (suffix(s, ' UTC') OR suffix(s, ' GMT')) AND length(s) <= 33 THEN {_ISO_CAST} END",
    ),
    "matched_syslog": (
        TIME_FORMATS["syslog"][0],
        "ll_parse_time_matched_syslog_read(s, ll_yearless_this_year(s, ref_ms), ref_ms)",
    ),
}
"""Time formats for a time string that the parser's own regex made NULL, '' or a full match of the pattern
(`matched_syslog`: with no run of two spaces, as syslog_rfc3164 respaces it): ll_parse_time's value without
testing any pattern, which a parser that already matched its time need not pay for again. Per 50,000 times the
cascade of an RFC 3339 time costs 35 ms (its full match 14, ll_iso 16), its cast 11; syslog's fast path, in
the write, 56 ms against 25 without its two full matches. Only a parser whose regex group is the pattern may
declare one (syslog_rsyslog_file's time is RFC3339 itself; syslog_rfc3164's the syslog pattern with the
month's names; nginx_error's ISO_SECONDS with `/` for `-`; rds_postgresql's ZONE_NAMED; mysql_error's,
mysql_general's and lambda_text's ISO_FRACTION or a part of it). Why the value is
ll_parse_time's on every such string:
- `matched_rfc3339`: the cascade's first test (ISO) matches an RFC 3339 time, and ll_iso rewrites nothing in
  it (no `/` at the fifth character, no `,`, no space): ll_iso is ll_utc of its cast. '' and NULL match no
  pattern of the cascade (NULL), and their cast is NULL too.
- `matched_iso_seconds`: the same argument: the ISO test matches it, and ll_iso's rewrites need a `/` at the
  fifth character, a `,`, or more than 19 characters (its zone rewrite): ll_iso is ll_utc of its cast.
- `matched_iso_fraction`: the ISO test matches where the fraction has at most 9 digits (its zones are among
  ISO's), and ll_iso is then its cast (a space only before the clock's digit: no ` +` or ` -`; no `/` or `,`).
  The string is 19 characters, then `.` and the fraction's k digits if it has one, then its zone: 1 (`Z`), 6
  (`+hh:mm`, whose sign is the sixth character from the end, where a fraction or a clock has a digit) or none;
  so k <= 9 exactly where the length is at most 29 plus the zone's. Where k > 9 no pattern of the cascade
  matches (as `matched_zone_named` says: four digits then `-`): NULL. The cast itself would read it.
- `matched_zone_named`: the ISO test matches where the zone is ` UTC` or ` GMT` and the fraction has at most 9
  digits (19 characters, a `.` and 9 digits, and the zone's 4: 33 at most), and ll_iso is then its cast (no `/`,
  `,`, ` +` or ` -` to rewrite). Elsewhere (another zone's name, a longer fraction) no pattern of the cascade
  matches, whose value is NULL: the epoch patterns are digits only, CLF's has `/` at the third character, the
  ctime, Tomcat and syslog ones a letter or `-` among the first four, where this has digits.
- `matched_syslog`: ll_parse_time_syslog's `replace(s, '  ', ' ')` is `s` itself; its full match holds for
  every string but '' and NULL, so its first branch is ll_yearless_feb29 where the strptime `t` is NULL, as
  here. For '' and NULL `t` is NULL, the cascade gives NULL, and so does ll_yearless_feb29 (no `Feb 29 `).
  The other branches are ll_parse_time_syslog_read's, in another order: `t <= ...` is NULL where `t` is, so
  the first test passes the row on, and it stays the first mention of `t`, computed once (_syslog_fast_path).
tests/transform/test_timestamps_speed.py compares them with ll_parse_time on the strings of these shapes."""


TESTED_FORMATS: dict[str, tuple[str, str]] = {
    "rfc3339": (RFC3339, _ISO_CAST),
}
"""Fast paths for a part of a TIME_FORMATS format: a string that fully matches the pattern gets the conversion,
any other string ll_parse_time (as TIME_FORMATS' own fast paths do). `rfc3339`: a JSON field that holds RFC 3339
times (Docker's json-file `time`, RFC3339Nano) skips ll_iso's rewrites for a cast; per 50,000 Docker lines the
clean COPY's CPU 122 -> 116 ms (benchmarks/README.md, h-json9). The value is ll_parse_time's on every string, by
MATCHED_FORMATS' argument for `matched_rfc3339` on the strings that match, and by the ELSE on the rest."""

EPOCH_MS_NUMBER = "epoch_ms_number"
"""A time_format for a BIGINT (WAF's `timestamp`), not a string: ll_parse_time of its decimal text without the
cast to text and the cascade's three full matches where it has 13 digits (1e12..1e13-1: the only BIGINTs whose
text matches TIME_FORMATS['epoch_ms'], and no earlier pattern: ISO needs a `-` or `/` after four digits, epoch_s
exactly ten digits), whose value the cascade gives as epoch_ms of the number; any other number, and NULL, is
ll_parse_time of its text, as before."""


def parse_time_expression(time: str, record_ms: str, time_format: str | None) -> str:
    """SQL: ll_parse_time of the time string `time`, through the fast path of `time_format` when it has one
    (MATCHED_FORMATS: only for a string its parser's regex matched; EPOCH_MS_NUMBER: `time` is a BIGINT)."""
    formats = [*TIME_FORMATS, *MATCHED_FORMATS, *TESTED_FORMATS, EPOCH_MS_NUMBER]
    if time_format is not None and time_format not in formats:
        known = ", ".join(formats)
        raise ValueError(f"unknown time format {time_format!r}; one of {known}")
    macro = "ll_parse_time" if time_format in (None, next(iter(TIME_FORMATS))) else f"ll_parse_time_{time_format}"
    return f"{macro}({time}, {record_ms})"


def _matched_paths() -> str:
    """One macro per MATCHED_FORMATS entry: its conversion, no test."""
    return "\n".join(
        f"CREATE OR REPLACE TEMP MACRO ll_parse_time_{name}(s, ref_ms) AS ({convert});"
        for name, (_pattern, convert) in MATCHED_FORMATS.items()
    )


def _tested_paths() -> str:
    """One macro per TESTED_FORMATS entry (its test and conversion, else the cascade), and EPOCH_MS_NUMBER's."""
    tested = [
        f"CREATE OR REPLACE TEMP MACRO ll_parse_time_{name}(s, ref_ms) AS (CASE WHEN regexp_full_match(s, "
        f"{sql_string(pattern)}) THEN {convert} ELSE ll_parse_time(s, ref_ms) END);"
        for name, (pattern, convert) in TESTED_FORMATS.items()
    ]
    number = (
        f"CREATE OR REPLACE TEMP MACRO ll_parse_time_{EPOCH_MS_NUMBER}(n, ref_ms) AS (CASE WHEN n BETWEEN "
        "1000000000000 AND 9999999999999 THEN epoch_ms(n) ELSE ll_parse_time(CAST(n AS VARCHAR), ref_ms) END);"
    )
    return "\n".join([*tested, number])


# ll_utc: a TIMESTAMPTZ is a count of UTC microseconds, which make_timestamp reads as that UTC wall time;
# `t AT TIME ZONE 'UTC'` gave the same value through ICU, 4 ms dearer per 50,000 times (ISO, CLF, epoch).
# ll_parse_time has no `WHEN s IS NULL` test: a NULL string fails every full match and takes the ELSE's NULL,
# and each mention of `s` copies the parser's time expression into the plan (planning is paid per object).
# tests/transform/test_timestamps_speed.py compares every macro with its version before these changes.
MACROS = rf"""
CREATE OR REPLACE TEMP MACRO ll_utc(t) AS (make_timestamp(epoch_us(t)));
CREATE OR REPLACE TEMP MACRO ll_iso_text(s) AS (replace(
    CASE WHEN substr(s, 5, 1) = '/' THEN replace(left(s, 10), '/', '-') || substr(s, 11) ELSE s END, ',', '.'));
CREATE OR REPLACE TEMP MACRO ll_iso(s) AS (ll_utc(try_cast(
    CASE WHEN length(s) > 19 AND (contains(s, ' +') OR contains(s, ' -'))
         THEN regexp_replace(ll_iso_text(s), ' ([+-]\d)', '\1') ELSE ll_iso_text(s) END AS TIMESTAMPTZ)));
CREATE OR REPLACE TEMP MACRO ll_year_before(t, ref_ms) AS (
    CASE WHEN t <= epoch_ms(ref_ms) + INTERVAL 1 DAY THEN t
         WHEN month(t) = 2 AND day(t) = 29 THEN NULL
         ELSE t - INTERVAL 1 YEAR END);
CREATE OR REPLACE TEMP MACRO ll_yearless_this_year(s, ref_ms) AS (
    try_strptime(s || ' ' || year(epoch_ms(ref_ms)), '%b %d %H:%M:%S %Y'));
CREATE OR REPLACE TEMP MACRO ll_yearless_feb29(s, ref_ms) AS (CASE WHEN starts_with(s, 'Feb 29 ')
    THEN try_strptime(s || ' ' || (year(epoch_ms(ref_ms)) - 1), '%b %d %H:%M:%S %Y') END);
CREATE OR REPLACE TEMP MACRO ll_yearless(s, ref_ms) AS (coalesce(
    ll_year_before(ll_yearless_this_year(s, ref_ms), ref_ms), ll_yearless_feb29(s, ref_ms)));
CREATE OR REPLACE TEMP MACRO ll_parse_time(s, ref_ms) AS (
    CASE
        {_cascade()}
        ELSE NULL
    END
);
{_fast_paths()}
{_tested_paths()}
CREATE OR REPLACE TEMP MACRO ll_parse_time_matched_syslog_read(s, t, ref_ms) AS (CASE
    WHEN t <= epoch_ms(ref_ms) + INTERVAL 1 DAY THEN t
    WHEN t IS NULL OR (month(t) = 2 AND day(t) = 29) THEN ll_yearless_feb29(s, ref_ms)
    ELSE t - INTERVAL 1 YEAR END);
{_matched_paths()}"""


def text_time_expression(message: str) -> str:
    """SQL for the time string found in a plain-text line, or NULL."""
    first = f"substr({message}, 1, 1)"
    start = (
        f"CASE WHEN {first} BETWEEN '0' AND '9' THEN regexp_extract({message}, '{TEXT_DIGIT_PATTERN}', 1) "
        f"WHEN {first} = '[' THEN regexp_extract({message}, '{TEXT_BRACKET_PATTERN}', 1) "
        f"WHEN lower({first}) BETWEEN 'a' AND 'z' AND regexp_matches({message}, '{_WORD_GUARD}') THEN coalesce("
        f"nullif(regexp_extract({message}, '{TEXT_WORD_PATTERN}', 1), ''), "
        f"regexp_extract({message}, '{TEXT_PROGRAM_PATTERN}', 1)) END"
    )
    return (
        f"coalesce(nullif({start}, ''), "
        f"nullif(regexp_extract(left({message}, 256), '{TEXT_CLF_PATTERN}', 1), ''), "
        f"nullif(regexp_extract({message}, '{TEXT_SYSLOG_PATTERN}', 1), ''))"
    )


def _readable(parsed: str) -> str:
    return f"year({parsed}) BETWEEN 1970 AND 9999"


def event_time_expression(parsed: str, record_ms: str) -> str:
    """SQL: the event's time: the parsed time when it is usable, else the record's `timestamp` (ms)."""
    return f"CASE WHEN {_readable(parsed)} THEN {parsed} ELSE epoch_ms({record_ms}) END"


def time_source_expression(parsed: str, source: str) -> str:
    """SQL: where event_time_expression took the time from (one of TIME_SOURCES), by the raw `source`."""
    trusted = ", ".join(sql_string(s) for s in TRUSTED_SOURCES)
    return (
        f"CASE WHEN {_readable(parsed)} THEN 'parsed' WHEN {source} IN ({trusted}) THEN 'source' ELSE 'ingestion' END"
    )
