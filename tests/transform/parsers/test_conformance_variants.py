"""Conformance of the format variants of issue 13 (Apache error logs of httpd 2.2 and 2.4, vhost and
X-Forwarded-For access logs, S3 access logs of older lengths, CloudFront records without a header, rsyslog's
file format, BSD syslog) against independent projects' test data, in vectors/variants/cases.json (each
case names its source; licences in tests/events/ATTRIBUTION.md):

- Elastic Beats' filebeat module fixtures and their `-expected.json` (apache access and error, nginx access,
  system syslog) and libbeat's syslog reader tests (`rfc3164_test.go`);
- Logstash's grok pattern specs (logstash-patterns-core `spec/patterns/{httpd,aws,syslog}_spec.rb`);
- Fluentd's parser tests (`test/plugin/test_parser_{apache2,apache_error,nginx,syslog}.rb`);
- node-elb-log-parser's tests (Classic Load Balancer records of 2015);
- Mozilla's lua_sandbox_extensions syslog grammar tests (`syslog/tests/syslog.lua`: rsyslog's file and
  forward templates, with and without PRI).

The expected values are the oracle's, written under loglake's column names (Beats' `source.address` is
`client_ip` or `client`, `url.original` is `request_path`, `http.version` 1.1 is `request_protocol`
HTTP/1.1, `log.level` is `severity`, `process.pid` is `pid`; Logstash's `program` is `appname`,
`logsource` is `hostname`; Fluentd's `ident` is `appname`, and its nginx `host`, in the ident's
place, is `client_id`). Conventions shared with the VRL suite: `-` is NULL in loglake where AWS's
tables and the oracles' ECS output drop it (referrer, user, agent); the method is compared without case
(Beats' Apache pipeline lowercases it). A zone-less time is compared as the wall clock it writes
(`timestamp_local`): Beats' tests put it in a configured zone, loglake reads it as UTC. Every case
passes or is listed in DIFFERENCES with its reason; `-s` prints the counts.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import T0, write_messages
from loglake.lake.open import Lake, open_lake
from loglake.lake.schema_registry import SchemaRegistry
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.transform.parsers import PARSERS
from loglake.transform.parsers.syslog_fields import FACILITIES, SEVERITIES
from loglake.transform.settings import EtlSettings

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "variants" / "cases.json").read_text(encoding="utf-8")
)
TABLES = {p.name: p.table for p in PARSERS}

_SPLIT_F = (
    "ErrorLogFormat's %F (`mod_x.c(470):`) becomes source_file and source_line, the client block client and "
    "client_port, and msg is the text after them; the oracle keeps them in its message"
)
_S3_TABLE = (
    "AWS's Athena table for S3 access logs keeps the quotes of request_uri, referrer and useragent "
    '(`("[^"]*"|-)`) and loglake keeps AWS\'s columns; a bare `-` is NULL (s3_access_log.py); Logstash strips both'
)
_SHORT_OWNER = (
    "the spec shortens the bucket owner to `79a5`; S3 writes the 64-hex canonical id, which loglake's guard "
    "requires (a word and a `[time]` alone would take other lines); the same 18-field records with the full "
    "id are read (aws_formats/s3_access_docs_18_fields.log)"
)
_TAG = (
    "a word after the host without `:` or `[pid]`: RFC 3164's TAG may end at a space (§4.1.3), so loglake "
    "takes it as appname; libbeat reads a TAG only before `:` or `[`"
)
_FIRST_PUBLIC = (
    "client_ip is the list's first address (the client as the proxies report it, access_log.py); Beats' "
    "pipeline takes the first public one, skipping 10.0.0.0/8; the list is forwarded_for in both"
)
_QUOTED_XFF = (
    "a quoted X-Forwarded-For list before $remote_addr is a custom nginx log_format, neither nginx's `main` "
    "nor Apache's %{X-Forwarded-For}i in %h's place: the line stays text"
)
_XFF_THEN_ADDR = (
    "an X-Forwarded-For list followed by $remote_addr (a custom log_format: `$http_x_forwarded_for "
    "$remote_addr - ...`) is not read: the line stays text"
)
_ELB_DASH = "a bare `-` is NULL in loglake's elb_logs columns (elb_classic.py); node-elb-log-parser keeps `-`"
DIFFERENCES: dict[tuple[str, str], str] = {
    ("beats/nginx_access", "test.log:3"): _FIRST_PUBLIC,
    ("beats/nginx_access", "test.log:5"): _QUOTED_XFF,
    ("beats/nginx_access", "test.log:6"): _XFF_THEN_ADDR,
    ("beats/nginx_access", "test-with-host.log:3"): _FIRST_PUBLIC,
    ("beats/nginx_access", "test-with-host.log:5"): _QUOTED_XFF,
    ("beats/nginx_access", "test-with-host.log:6"): _XFF_THEN_ADDR,
    ("node-elb-log-parser", "http traffic"): _ELB_DASH,
    ("node-elb-log-parser", "tcp traffic"): _ELB_DASH + ' (TCP\'s request `"- - - "` too)',
    ("node-elb-log-parser", "doesn't receive traffic"): "a backend of `-1` (none answered) leaves backend_ip "
    "and backend_port NULL, as `-` does (test_a_classic_load_balancer_backend_of_minus_one_has_no_port); "
    "the oracle splits it as text, `-1` and `-1`",
    ("beats/apache_error", "sublevel.log:1"): _SPLIT_F,
    ("logstash/httpd", "HTTPD_ERRORLOG debug"): _SPLIT_F,
    ("beats/libbeat_rfc3164", "ok"): _TAG,
    ("beats/libbeat_rfc3164", "non-standard-date"): "`HOST msg` or `TAG msg`: with two words after the time "
    "and no `:`, loglake takes the host as absent (relays drop it) and the first word as the TAG; libbeat "
    "takes it as the host",
    ("beats/libbeat_rfc3164", "ok-rfc3339"): "an RFC 3339 time then a host and a word without `:` stays text: "
    "rsyslog's file format always ends its TAG with `:`, and without it an application's `TIME word text` "
    "line would be taken for syslog (syslog_rsyslog_file.py); the time is still read",
    ("beats/libbeat_rfc3164", "err-pri-out-of-range"): "a PRI above 191 leaves facility, severity and level "
    "NULL and keeps the line's other fields (test_an_out_of_range_pri_gives_no_level); libbeat drops the line",
    ("logstash/aws", "S3_ACCESS_LOG GET.VERSIONING"): _SHORT_OWNER,
    ("logstash/aws", "S3_ACCESS_LOG GET.OBJECT"): _SHORT_OWNER,
    ("logstash/aws", "S3_ACCESS_LOG a long line"): _S3_TABLE,
    ("logstash/aws", "CLOUDFRONT_ACCESS_LOG"): "a bare `-` is NULL in loglake's CloudFront columns "
    "(query_string, cookie, xforwarded_for); Logstash's legacy mode keeps `-`",
    ("beats/system_syslog", "darwin-syslog-sample.log:3"): "syslogd's `--- last message repeated 1 time ---` "
    "has no host and no tag: it stays text with its time (it was read as host `---`, tag `last`); Beats "
    "types it with the whole text as message",
    ("mozilla/lua_syslog", "no_colon_in_tag"): "rsyslog's forward format with an empty tag: without a tag "
    "ending in `:` the line stays text with its time (see ok-rfc3339)",
    ("fluentd/syslog", "test_parse_various_characters_for_tag"): "a TAG holding `]` and `[` before `[pid]` is "
    "not read; the line is typed with the TAG in msg (only Fluentd's test writes such a tag)",
    ("fluentd/syslog", "no ident message (string parser, support_colonless_ident false)"): _TAG + " (Fluentd's "
    "default parser does the same: `ident` Use; its test calls that a wrong result, its string parser "
    "without colonless idents is the oracle here)",
    ("fluentd/syslog", "only no whitespace content in MSG (string parser)"): "`HOST msg` or `TAG msg`: see "
    "libbeat's non-standard-date; Fluentd's regexp parser, like loglake, reads no host here",
    ("fluentd/syslog", "test_parse_with_rfc5424_message_and_without_priority"): "RFC 5424's header without "
    "`<PRI>1` (Fluentd reads it with with_priority false) is neither RFC 5424 nor rsyslog's file format (no "
    "`TAG:`): it stays text, with its time read",
    ("logstash/syslog", "SYSLOGLINE RFC5424 APP-NAME"): "a TAG holding `:` (every printable character but "
    "`[]`) ends, for loglake, at its first `:`; only Logstash's spec writes such a tag",
}
"""(oracle, case id) → why loglake's answer differs."""


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def _compare(row: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    diffs = []
    for field, want in expected.items():
        if field in ("timestamp", "timestamp_local"):
            got: Any = row["timestamp"]
            want = _utc(want)
        elif field in ("timestamp_ms", "timestamp_local_ms"):  # the oracle keeps milliseconds
            got = row["timestamp"].replace(microsecond=row["timestamp"].microsecond // 1000 * 1000)
            want = _utc(want)
        elif field in ("facility_code", "severity_code"):  # the oracle's numbers; loglake's names are VRL's
            name = row[field.removesuffix("_code")]
            got = None if name is None else (FACILITIES if field == "facility_code" else SEVERITIES).index(name)
        elif field == "request_method":
            got = row.get(field, "<no column>")
            got, want = (got.upper() if got else got), (want.upper() if want else want)
        else:
            got = row.get(field, "<no column>")
        if got != want:
            diffs.append(f"{field}: {str(got)[:80]!r} != {str(want)[:80]!r}")
    return diffs


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    lake: Lake = open_lake(str(tmp_path_factory.mktemp("variants") / "lake"))
    for n, case in enumerate(CASES):
        write_messages(lake.store, f"/variants/{n}", [case["message"]], id_prefix=f"c{n}-", timestamp=T0 + 10 * n)
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=2)
    found: dict[str, dict[str, Any]] = {}
    with DuckDBEngine(lake.store) as engine:
        for table in SchemaRegistry(lake.store).tables():
            result = engine.query(f'SELECT * FROM "{table}"')
            for row in result.rows:
                record = dict(zip(result.columns, row, strict=True))
                found[record["event_id"]] = record
    return found


def _outcomes(rows: dict[str, dict[str, Any]]) -> dict[tuple[str, str], str]:
    outcomes: dict[tuple[str, str], str] = {}
    for n, case in enumerate(CASES):
        row = rows.get(f"c{n}-0")
        claimed = row["format"] if row else "quarantine"
        parser, expected = case["parser"], case["expected"]
        if expected is None:  # the oracle rejects the line: loglake must not type it as that family
            table = TABLES.get(claimed, claimed)
            ok = table != parser and claimed != parser
            outcomes[case["oracle"], case["id"]] = "pass" if ok else f"claimed by {claimed}; the oracle rejects it"
        elif row is None or claimed != parser:
            outcomes[case["oracle"], case["id"]] = f"read as {claimed}, not {parser}"
        else:
            outcomes[case["oracle"], case["id"]] = "; ".join(_compare(row, expected)) or "pass"
    return outcomes


def test_conformance(rows: dict[str, dict[str, Any]]) -> None:
    outcomes = _outcomes(rows)
    by_oracle: dict[str, list[int]] = {}
    for (oracle, _case), why in outcomes.items():
        counts = by_oracle.setdefault(oracle, [0, 0])
        counts[0] += why == "pass"
        counts[1] += 1
    for oracle, (passed, total) in sorted(by_oracle.items()):
        print(f"{oracle}: {passed}/{total} pass")
    for key, why in outcomes.items():
        if why != "pass":
            print(key, why)
    unexplained = {key: why for key, why in outcomes.items() if why != "pass" and key not in DIFFERENCES}
    fixed = sorted(key for key in DIFFERENCES if outcomes.get(key) == "pass")
    assert unexplained == {}
    assert fixed == []
    assert len(outcomes) == len(CASES) == 133


def test_an_out_of_range_pri_gives_no_level(rows: dict[str, dict[str, Any]]) -> None:
    """libbeat rejects `<192>`; loglake keeps the line's other fields, and a PRI outside 0..191 has no
    facility, no severity and so no level (it gave FATAL, 192 % 8 = 0, while severity was NULL)."""
    n = next(i for i, case in enumerate(CASES) if case["id"] == "err-pri-out-of-range")
    row = rows[f"c{n}-0"]
    assert (row["format"], row["facility"], row["severity"], row["level"]) == ("syslog_rfc3164", None, None, None)
    assert (row["hostname"], row["appname"], row["msg"]) == ("test-host", "this", "is the message")


def test_a_classic_load_balancer_backend_of_minus_one_has_no_port(rows: dict[str, dict[str, Any]]) -> None:
    """node-elb-log-parser's record with backend `-1` (no backend answered): AWS's regex `([^ ]*)[:-]([0-9]*)`
    reads it as address '' and port 1; loglake leaves both NULL, as for `-`."""
    n = next(i for i, case in enumerate(CASES) if case["id"] == "doesn't receive traffic")
    row = rows[f"c{n}-0"]
    assert (row["format"], row["backend_ip"], row["backend_port"]) == ("elb_classic", None, None)
    assert (row["request_ip"], row["request_port"], row["received_bytes"], row["sent_bytes"]) == (
        "192.168.131.39",
        2817,
        57,
        502,
    )
