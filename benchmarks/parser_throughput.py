"""Parser throughput: events per second per format, against a plain per-line regex baseline, in the same run.

    python benchmarks/parser_throughput.py [--lines 1000000] [--batch 50000] [--formats alb,vpc_flow_log]

For each format, `--lines` synthetic lines (values vary per line) are written as raw objects of
`--batch` events. Both contenders read the same objects:
- baseline: per record `json.loads` of the raw record, Python `re.fullmatch` with the parser's own
  pattern (or `json.loads` + flatten of the message for JSON shapes, a split at the separator for
  VPC, NLB and CloudFront, a hand-written regex in BASELINE_PATTERNS for the others), a dict of the
  fields, `json.dumps`, written as gzip JSON lines: the simplest per-line parser one would write;
- loglake: `process_raw_object` per object (the Lambda's unit of work): detection among all parsers,
  typed columns, time and level, registry, Parquet (zstd) by partition.
Every parser but `text` has a generator. After the timed part, the clean files' `format` column is
read back: every generated line must be typed by its own parser (not another, not `text`), or the
script stops. CloudFront objects start with the two header lines a log file has (HEADERS): they are
no records, so they are counted apart (exactly two `text` rows per object) and the rates count the
`--lines` data lines only.
The ratio is what to quote: both numbers move with the machine, the ratio much less. The cpu ratio
(baseline CPU seconds / loglake CPU seconds, DuckDB's threads included) is the one to trust on a busy
machine, where the wall clock counts other people's work too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from etl_throughput import baseline, flatten_json, make_event, write_raw
from loglake.lake.local_store import LocalStore
from loglake.lake.raw_zone import decode_batch, encode_batch
from loglake.transform.etl import process_raw_object
from loglake.transform.parsers import PARSERS
from loglake.transform.parsers.base import RegexParser
from loglake.transform.parsers.cloudfront import W3C_FIELDS as CLOUDFRONT_FIELDS
from loglake.transform.parsers.vpc_flow_log import DEFAULT_V2 as VPC_FIELDS
from loglake.transform.settings import EtlSettings

START = datetime(2026, 11, 26, tzinfo=UTC)
Make = Callable[[random.Random, int], str]


def _clf(i: int) -> str:
    return (START + timedelta(milliseconds=86 * i)).strftime("%d/%b/%Y:%H:%M:%S +0000")


def _iso(i: int) -> str:
    return (START + timedelta(milliseconds=86 * i)).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _ip(rng: random.Random) -> str:
    return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


GENERATORS: dict[str, Make] = {
    "access_log": lambda rng, i: (
        f'{_ip(rng)} - user{i % 97} [{_clf(i)}] "GET /items/{i % 500}?page={i % 7} HTTP/1.1" '
        f'{rng.choice([200, 200, 304, 404, 500])} {rng.randrange(50, 90000)} "https://example.com/p/{i % 40}" '
        '"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"'
    ),
    "vpc_flow_log": lambda rng, i: (
        f"2 123456789012 eni-0a1b2c3d{i % 4096:04x}5678901 {_ip(rng)} {_ip(rng)} {rng.randrange(1024, 65535)} "
        f"{rng.choice([22, 80, 443, 5432])} 6 {rng.randrange(1, 500)} {rng.randrange(40, 900000)} "
        f"{1_795_000_000 + i // 10} {1_795_000_060 + i // 10} {rng.choice(['ACCEPT', 'ACCEPT', 'REJECT'])} OK"
    ),
    "alb": lambda rng, i: (
        f"https {_iso(i)} app/my-lb/50dc6c495c0c9188 {_ip(rng)}:{rng.randrange(1024, 65535)} 10.0.0.1:80 "
        f"0.000 {rng.random():.3f} 0.000 {rng.choice([200, 200, 302, 502])} 200 {rng.randrange(100, 900)} "
        f'{rng.randrange(200, 90000)} "GET https://www.example.com:443/api/{i % 300} HTTP/1.1" "curl/8.4.0" '
        "ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/"
        f'my-targets/73e2d6bc24d8a067 "Root=1-58337262-{i:024x}" "www.example.com" "-" 0 {_iso(i)} '
        '"forward" "-" "-" "10.0.0.1:80" "200" "-" "-"'
    ),
    "s3_access_log": lambda rng, i: (
        f"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be my-bucket [{_clf(i)}] {_ip(rng)} "
        f"arn:aws:iam::123456789012:user/app {i:016X} REST.GET.OBJECT data/part-{i % 1000:05d}.parquet "
        f'"GET /my-bucket/data/part-{i % 1000:05d}.parquet HTTP/1.1" 200 - {rng.randrange(100, 10**7)} '
        f'{rng.randrange(100, 10**7)} {rng.randrange(1, 300)} {rng.randrange(1, 100)} "-" "aws-sdk-java/2.20" - '
        "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 "
        "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader my-bucket.s3.us-west-1.amazonaws.com TLSv1.2 - -"
    ),
    "syslog_rfc3164": lambda rng, i: (
        f"<{rng.choice([38, 86, 13])}>Nov 26 {(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d} "
        f"web-{i % 16} sshd[{rng.randrange(100, 65535)}]: Accepted publickey for user{i % 50} from {_ip(rng)} "
        f"port {rng.randrange(1024, 65535)} ssh2"
    ),
    "syslog_rfc5424": lambda rng, i: (
        f"<165>1 {_iso(i)} host-{i % 16} app-{i % 5} {rng.randrange(100, 9999)} ID{i % 50} "
        f'[meta@32473 iut="{i % 9}" src="batch"] job {i} finished in {rng.randrange(1, 999)} ms'
    ),
    "lambda_platform": lambda rng, i: (
        f"REPORT RequestId: {i:08x}-f277-454e-88d3-1dd7e3860eaa\tDuration: {rng.random() * 900:.2f} ms\t"
        f"Billed Duration: {rng.randrange(1, 900)} ms\tMemory Size: 128 MB\tMax Memory Used: "
        f"{rng.randrange(30, 128)} MB\t" + (f"Init Duration: {rng.random() * 300:.2f} ms\t" if i % 20 == 0 else "")
    ),
    "logfmt": lambda rng, i: (
        f"ts={_iso(i)} level={rng.choice(['info', 'info', 'warn', 'error'])} method=GET path=/api/items/{i % 300} "
        f'status={rng.choice([200, 200, 404, 500])} duration_ms={rng.random() * 300:.3f} msg="request done {i % 7}"'
    ),
    "cloudtrail": lambda rng, i: json.dumps(
        {
            "eventVersion": "1.08",
            "userIdentity": {
                "type": "AssumedRole",
                "principalId": f"AROA:{i % 40}",
                "arn": f"arn:aws:sts::123456789012:assumed-role/app/{i % 40}",
                "accountId": "123456789012",
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::123456789012:role/app"}},
            },
            "eventTime": _iso(i)[:19] + "Z",
            "eventSource": "s3.amazonaws.com",
            "eventName": rng.choice(["GetObject", "PutObject", "ListObjects"]),
            "awsRegion": "us-east-1",
            "sourceIPAddress": _ip(rng),
            "userAgent": "aws-sdk-java/2.20",
            "requestParameters": {"bucketName": "my-bucket", "key": f"data/{i % 1000}"},
            "responseElements": None,
            "requestID": f"{i:016X}",
            "eventID": f"{i:08x}-0000-4000-8000-000000000000",
            "readOnly": True,
            "resources": [{"ARN": f"arn:aws:s3:::my-bucket/data/{i % 1000}", "type": "AWS::S3::Object"}],
            "eventType": "AwsApiCall",
            "recipientAccountId": "123456789012",
        },
        separators=(",", ":"),
    ),
    "json": make_event,
}


def _at(i: int) -> datetime:
    """The time of line i: 86 ms apart, as _clf and _iso."""
    return START + timedelta(milliseconds=86 * i)


def _epoch(i: int) -> float:
    return _at(i).timestamp()


def _iso_ms(i: int) -> str:
    return _iso(i)[:23] + "Z"


def _uuid(rng: random.Random, i: int) -> str:
    return (
        f"{i:08x}-{rng.randrange(16**4):04x}-4{rng.randrange(16**3):03x}-8{rng.randrange(16**3):03x}-"
        f"{rng.randrange(16**12):012x}"
    )


def _json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"))


_CF_UA = (
    "Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)"
    "%20Chrome/78.0.3904.108%20Safari/537.36"
)
# Each CloudFront standard log file starts with these two lines (the guide's order); they stay in `text`.
CLOUDFRONT_HEADER = (
    "#Version: 1.0",
    "#Fields: " + " ".join(CLOUDFRONT_FIELDS),
)


def _java_trace(rng: random.Random, i: int) -> str:
    return (
        f"{_at(i).strftime('%Y-%m-%d %H:%M:%S')},{_at(i).microsecond // 1000:03d} ERROR [worker-{i % 8}] "
        f"c.e.Inventory - reserve failed for order {i}\n"
        f"java.lang.IllegalStateException: no stock for sku {rng.randrange(1, 99999)}\n"
        f"\tat com.example.Inventory.reserve(Inventory.java:{rng.randrange(20, 400)})\n"
        "\tat com.example.Orders.place(Orders.java:31)\n"
        "\tat com.example.Api.handle(Api.java:112)\n"
    )


def _python_trace(rng: random.Random, i: int) -> str:
    return (
        "Traceback (most recent call last):\n"
        f'  File "/srv/app/jobs.py", line {rng.randrange(10, 900)}, in run\n'
        "    result = handler(payload)\n"
        f'  File "/srv/app/handlers.py", line {rng.randrange(10, 900)}, in handler\n'
        '    raise ValueError(f"bad input {payload_id}")\n'
        f"ValueError: bad input {i}\n"
    )


def _otlp(rng: random.Random, i: int) -> str:
    """One log record per document, at resourceLogs[0].scopeLogs[0].logRecords[0], as `loglake ingest`
    splits an OTLP export (a document of several records is quarantined as otlp_not_split)."""
    nanos = int(_epoch(i) * 1000) * 1_000_000
    level = rng.choice([9, 9, 13, 17])
    record = {
        "timeUnixNano": str(nanos),
        "observedTimeUnixNano": str(nanos + 123),
        "severityNumber": level,
        "severityText": {9: "INFO", 13: "WARN", 17: "ERROR"}[level],
        "traceId": f"{rng.randrange(16**32):032x}",
        "spanId": f"{rng.randrange(16**16):016x}",
        "body": {"stringValue": f"order {i} placed"},
        "attributes": [
            {"key": "http.route", "value": {"stringValue": f"/orders/{i % 300}"}},
            {"key": "http.status", "value": {"intValue": str(rng.choice([200, 500]))}},
            {"key": "duration", "value": {"doubleValue": round(rng.random() * 300, 3)}},
        ],
    }
    resource = {
        "attributes": [
            {"key": "service.name", "value": {"stringValue": f"checkout-{i % 4}"}},
            {"key": "host.cpu", "value": {"intValue": str(rng.choice([2, 4, 8]))}},
        ]
    }
    scope = {"scope": {"name": "my.library", "version": "1.0.0"}, "logRecords": [record]}
    return _json({"resourceLogs": [{"resource": resource, "scopeLogs": [scope]}]})


def _waf(rng: random.Random, i: int) -> str:
    action = rng.choice(["ALLOW", "ALLOW", "BLOCK"])
    return _json(
        {
            "timestamp": int(_epoch(i) * 1000),
            "formatVersion": 1,
            "webaclId": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/my-acl/5933d6d9-9dde-4b82-a8aw-9ck28nv9",
            "terminatingRuleId": "AWS-AWSManagedRulesSQLiRuleSet" if action == "BLOCK" else "Default_Action",
            "terminatingRuleType": "MANAGED_RULE_GROUP" if action == "BLOCK" else "REGULAR",
            "action": action,
            "terminatingRuleMatchDetails": [],
            "httpSourceName": "ALB",
            "httpSourceId": "123456789012-app/my-lb/50dc6c495c0c9188",
            "ruleGroupList": [],
            "rateBasedRuleList": [],
            "nonTerminatingMatchingRules": [],
            "httpRequest": {
                "clientIp": _ip(rng),
                "country": rng.choice(["US", "FR", "AU"]),
                "headers": [
                    {"name": "Host", "value": "www.example.com"},
                    {"name": "User-Agent", "value": "curl/8.4.0"},
                ],
                "uri": f"/api/{i % 300}",
                "args": f"page={i % 7}",
                "httpVersion": "HTTP/1.1",
                "httpMethod": "GET",
                "requestId": f"1-{i:08x}-{rng.randrange(16**24):024x}",
            },
        }
    )


def _cloudfront_record(rng: random.Random, i: int) -> str:
    """A 33-field record in the guide's order (the 2019 example's shape)."""
    fields = [
        _at(i).strftime("%Y-%m-%d"), _at(i).strftime("%H:%M:%S"), rng.choice(["LAX1", "FRA2", "CDG50"]),
        str(rng.randrange(200, 90000)), _ip(rng), "GET", "d111111abcdef8.cloudfront.net", f"/items/{i % 500}",
        str(rng.choice([200, 200, 304, 404, 502])), "-", _CF_UA, f"page={i % 7}", "-",
        rng.choice(["Hit", "Miss"]), f"{rng.randrange(16**40):040x}EXAMPLE==", "d111111abcdef8.cloudfront.net",
        "https", str(rng.randrange(20, 900)), f"{rng.random():.3f}", "-", "TLSv1.2",
        "ECDHE-RSA-AES128-GCM-SHA256", "Hit", "HTTP/2.0", "-", "-", str(rng.randrange(1024, 65535)),
        f"{rng.random():.3f}", "Hit", "text/html", str(rng.randrange(50, 90000)), "-", "-",
    ]  # fmt: skip
    return "\t".join(fields)


def _cloudfront_realtime(rng: random.Random, i: int) -> str:
    """A record of the guide's default field list (37 fields), epoch seconds with milliseconds first."""
    fields = [
        f"{_epoch(i):.3f}", _ip(rng), f"{rng.random():.3f}", str(rng.choice([200, 200, 304, 404, 502])),
        str(rng.randrange(200, 90000)), "GET", "https", "d111111abcdef8.cloudfront.net", f"/items/{i % 500}",
        str(rng.randrange(20, 900)), rng.choice(["LAX1", "FRA2", "CDG50"]), f"{rng.randrange(16**40):040x}==",
        "d111111abcdef8.cloudfront.net", f"{rng.random():.3f}", "HTTP/2.0", "IPv4", "curl/7.68.0", "-", "-",
        f"page={i % 7}", "Hit", "-", "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "Hit", "-", "-", "text/html",
        str(rng.randrange(50, 90000)), "-", "-", str(rng.randrange(1024, 65535)), "Hit", "US", "gzip", "*/*", "*",
    ]  # fmt: skip
    return "\t".join(fields)


NEW_GENERATORS: dict[str, Make] = {
    "lambda_platform_json": lambda rng, i: _json(
        {
            "time": _iso_ms(i),
            "type": "platform.report",
            "record": {
                "requestId": _uuid(rng, i),
                "metrics": {
                    "durationMs": round(rng.random() * 900, 2),
                    "billedDurationMs": rng.randrange(1, 900),
                    "memorySizeMB": 128,
                    "maxMemoryUsedMB": rng.randrange(30, 128),
                },
                "status": rng.choice(["success", "success", "success", "timeout"]),
            },
        }
    ),
    "apigateway_json": lambda rng, i: _json(
        {
            "requestId": _uuid(rng, i),
            "ip": _ip(rng),
            "caller": "-",
            "user": "-",
            "requestTime": _clf(i),
            "httpMethod": rng.choice(["GET", "GET", "POST", "DELETE"]),
            "resourcePath": f"/orders/{i % 300}",
            "status": str(rng.choice([200, 200, 201, 404, 502])),
            "protocol": "HTTP/1.1",
            "responseLength": str(rng.randrange(2, 9000)),
        }
    ),
    "container_docker": lambda rng, i: _json(
        {
            "log": f"{_iso(i)} INFO request {i} served in {rng.randrange(1, 999)} ms from {_ip(rng)}\n",
            "stream": rng.choice(["stdout", "stdout", "stderr"]),
            "time": f"{_iso(i)[:26]}{i % 1000:03d}Z",
        }
    ),
    "ecs_firelens": lambda rng, i: _json(
        {
            "source": rng.choice(["stdout", "stdout", "stderr"]),
            "log": f'{_ip(rng)} - - [{_clf(i)}] "GET /items/{i % 500} HTTP/1.1" {rng.choice([200, 404])} '
            f"{rng.randrange(50, 90000)}",
            "container_id": f"{i % 64:04x}cccfac2b87417f71877907f67879068420042828067ae0867e60a63529d35",
            "container_name": f"/ecs-demo-6-container{i % 4}-a4eafbb3d4c7f1e16e00",
            "ecs_cluster": "mycluster",
            "ecs_task_arn": (
                f"arn:aws:ecs:us-east-2:012345678910:task/mycluster/{i % 64:08x}-6bfa-470b-97ed-aa6f482cd7a6"
            ),
            "ecs_task_definition": f"demo:{i % 9}",
        }
    ),
    "otlp_json": lambda rng, i: _otlp(rng, i),
    "waf": lambda rng, i: _waf(rng, i),
    "route53_resolver": lambda rng, i: _json(
        {
            "version": "1.100000",
            "account_id": "111122223333",
            "region": "us-east-1",
            "vpc_id": "vpc-7example",
            "query_timestamp": _iso(i)[:19] + "Z",
            "query_name": f"host-{i % 500}.example.com.",
            "query_type": rng.choice(["A", "A", "AAAA", "PTR"]),
            "query_class": "IN",
            "rcode": rng.choice(["NOERROR", "NOERROR", "NXDOMAIN"]),
            "answers": [{"Rdata": _ip(rng), "Type": "A", "Class": "IN"}],
            "srcaddr": _ip(rng),
            "srcport": str(rng.randrange(1024, 65535)),
            "transport": "UDP",
            "srcids": {"instance": f"i-0d15cd0d3{i % 4096:03x}ample"},
        }
    ),
    "network_firewall": lambda rng, i: _json(
        {
            "firewall_name": "test-firewall",
            "availability_zone": "us-east-1b",
            "event_timestamp": str(int(_epoch(i))),
            "event": {
                "timestamp": _at(i).strftime("%Y-%m-%dT%H:%M:%S.%f+0000"),
                "flow_id": rng.randrange(10**15, 10**16),
                "event_type": "netflow",
                "src_ip": _ip(rng),
                "src_port": rng.randrange(1024, 65535),
                "dest_ip": _ip(rng),
                "dest_port": rng.choice([22, 80, 443]),
                "proto": "TCP",
                "app_proto": "http",
                "netflow": {
                    "pkts": rng.randrange(1, 500),
                    "bytes": rng.randrange(40, 900000),
                    "start": _at(i).strftime("%Y-%m-%dT%H:%M:%S.%f+0000"),
                    "end": _at(i).strftime("%Y-%m-%dT%H:%M:%S.%f+0000"),
                    "age": 0,
                    "min_ttl": 61,
                    "max_ttl": 64,
                },
            },
        }
    ),
    "lambda_text": lambda rng, i: (
        f"{_iso_ms(i)}\t{_uuid(rng, i)}\t{rng.choice(['INFO', 'INFO', 'WARN', 'ERROR'])}\t"
        f"processed order {i} in {rng.randrange(1, 999)} ms\n"
    ),
    "nlb": lambda rng, i: (
        f"tls 2.0 {_iso(i)[:19]} net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd "
        f"{_ip(rng)}:{rng.randrange(1024, 65535)} 172.100.100.185:443 {rng.randrange(1, 900)} {rng.randrange(1, 90)} "
        f"{rng.randrange(50, 9000)} {rng.randrange(50, 90000)} - arn:aws:acm:us-east-2:671290407336:certificate/"
        "2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - "
        'my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com h2 h2 "h2","http/1.1" '
        f"{_iso(i)[:19]}"
    ),
    "elb_classic": lambda rng, i: (
        f"{_iso(i)} my-loadbalancer {_ip(rng)}:{rng.randrange(1024, 65535)} 10.0.0.1:80 {rng.random() / 1000:.6f} "
        f"{rng.random() / 100:.6f} {rng.random() / 1000:.6f} {(status := rng.choice([200, 200, 304, 503]))} {status} "
        f'{rng.randrange(0, 900)} {rng.randrange(29, 90000)} "GET https://www.example.com:443/items/{i % 500} '
        'HTTP/1.1" "curl/7.38.0" DHE-RSA-AES128-SHA TLSv1.2'
    ),
    "alb_connection": lambda rng, i: (
        f"{_iso(i)} {_ip(rng)} {rng.randrange(1024, 65535)} 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 "
        f'{rng.random() * 9:.3f} "CN=client{i % 50}.example.com,O=endEntity,L=Seattle,ST=Washington,C=US" '
        f"NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z {rng.randrange(16**16):016X} "
        f"{rng.choice(['Success', 'Success', 'Failed:ClientCertUntrusted'])} TID_{rng.randrange(16**32):032x}"
    ),
    "cloudfront": _cloudfront_record,
    "cloudfront_realtime": _cloudfront_realtime,
    "apigateway_access_log": lambda rng, i: (
        f'{_ip(rng)} - - [{_clf(i)}] "{rng.choice(["GET", "POST"])} /pets/{i % 300} HTTP/1.1" '
        f"{rng.choice([200, 200, 201, 404, 502])} {rng.randrange(2, 9000)} {_uuid(rng, i)} "
        f"{rng.randrange(16**12):012x}Fp_w="
    ),
    "nginx_error": lambda rng, i: (
        f"{_at(i).strftime('%Y/%m/%d %H:%M:%S')} [error] {i % 64}#{i % 64}: *{i} open() "
        f'"/usr/share/nginx/html/items/{i % 500}" failed (2: No such file or directory), client: {_ip(rng)}, '
        f'server: localhost, request: "GET /items/{i % 500} HTTP/1.1", host: "localhost:8081"'
    ),
    "apache_error": lambda rng, i: (
        f"[{_at(i).strftime('%a %b %d %H:%M:%S.%f %Y')}] [core:{rng.choice(['error', 'warn', 'notice'])}] "
        f"[pid {rng.randrange(100, 65535)}:tid {rng.randrange(10**9, 10**10)}] "
        f"[client {_ip(rng)}:{rng.randrange(1024, 65535)}] File does not exist: /usr/local/apache2/htdocs/{i % 500}.ico"
    ),
    "container_cri": lambda rng, i: (
        f"{_iso(i)[:26]}{i % 1000:03d}Z {rng.choice(['stdout', 'stdout', 'stderr'])} F "
        f"request {i} served in {rng.randrange(1, 999)} ms from {_ip(rng)}"
    ),
    "rds_postgresql": lambda rng, i: (
        f"{_at(i).strftime('%Y-%m-%d %H:%M:%S')} UTC:{_ip(rng)}({rng.randrange(1024, 65535)}):app@shop:"
        f"[{rng.randrange(100, 65535)}]:LOG:  duration: {rng.random() * 900:.3f} ms  statement: "
        f"SELECT * FROM orders WHERE id = {i}"
    ),
    "mysql_error": lambda rng, i: (
        f"{_iso(i)} {i % 500} [{rng.choice(['Warning', 'Note', 'ERROR'])}] [MY-010055] [Server] "
        f"IP address '{_ip(rng)}' could not be resolved: Name or service not known"
    ),
    "mysql_general": lambda rng, i: (
        f"{_iso(i)}\t{i % 5000:>5} Query\tSELECT * FROM orders WHERE id = {rng.randrange(1, 10**6)}"
    ),
    "mysql_slow": lambda rng, i: (
        f"# Time: {_iso(i)}\n"
        f"# User@Host: app[app] @  [{_ip(rng)}]  Id: {i % 5000:>5}\n"
        f"# Query_time: {rng.random() * 20:.6f}  Lock_time: {rng.random() / 1000:.6f} Rows_sent: "
        f"{rng.randrange(0, 100)}  Rows_examined: {rng.randrange(0, 10**6)}\n"
        f"SET timestamp={int(_epoch(i))};\n"
        f"SELECT * FROM orders WHERE customer_id = {rng.randrange(1, 10**6)};"
    ),
    "syslog_rsyslog_file": lambda rng, i: (
        f"{_at(i).isoformat(timespec='microseconds')} web-{i % 16} sshd[{rng.randrange(100, 65535)}]: "
        f"Accepted publickey for user{i % 50} from {_ip(rng)} port {rng.randrange(1024, 65535)} ssh2"
    ),
    "stack_trace": lambda rng, i: _java_trace(rng, i) if i % 2 == 0 else _python_trace(rng, i),
}
GENERATORS.update(NEW_GENERATORS)
HEADERS: dict[str, tuple[str, ...]] = {"cloudfront": CLOUDFRONT_HEADER}
"""Lines a real object of the format starts with, which are no records (their rows are `text`)."""
UNTIMED: dict[str, Callable[[int], int]] = {
    "lambda_platform": lambda lines: lines,
    "ecs_firelens": lambda lines: lines,
    "stack_trace": lambda lines: lines // 2,
}
"""Rows (of `lines`) whose time cannot come from the line: Lambda's platform lines and FireLens records carry
no time of their own, nor do the generator's Python tracebacks (its odd lines; the Java ones do). Every
other row must have time_source 'parsed': a parser that stops reading the time fails the run."""
BY_NAME = {p.name: p for p in PARSERS}
# The baseline's pattern for formats whose parser is not a single regex.
BASELINE_PATTERNS = {
    "lambda_platform": (
        r"REPORT RequestId: (\S+)\tDuration: ([\d.]+) ms\tBilled Duration: (\d+) ms\tMemory Size: (\d+) MB\t"
        r"Max Memory Used: (\d+) MB\t(?:Init Duration: ([\d.]+) ms\t)?",
        ("request_id", "duration", "billed", "memory", "max_memory", "init"),
    ),
    "container_cri": (  # the parser's own groups of one line (its detection pattern also checks the time)
        r"(\S+) (stdout|stderr) ([A-Z](?::[A-Z])*)(?: (.*))?",
        ("time", "stream", "logtag", "log"),
    ),
}
# The stack_trace parser's own regexes, in Python: RE2's `\z` (end of text) is Python's `\Z`.
TRACE_EXCEPTION = re.compile(
    r"(?m)^(?:Caused by: |Exception in thread \S+ )?"
    r"([A-Za-z_$][\w$]*(?:\.[\w$]+)*(?:Exception|Error|Throwable|Exit|Interrupt|Warning)\w*)(?:: (.*))?$"
)
TRACE_PYTHON_LAST = re.compile(r"\n([A-Za-z_][\w.]*)(?:: ([^\n]*))?\s*\Z")
TRACE_FRAME = re.compile(r"(?m)^\s+(?:at [\w$.<>/]+\(|File \")")
NLB_FIELDS = (
    "type", "version", "time", "elb", "listener_id", "client", "target", "tcp_connection_time_ms",
    "tls_handshake_time_ms", "received_bytes", "sent_bytes", "incoming_tls_alert", "cert_arn", "certificate_serial",
    "tls_cipher_suite", "tls_protocol_version", "tls_named_group", "domain_name", "alpn_fe_protocol",
    "alpn_be_protocol", "alpn_client_preference_list", "tls_connection_creation_time",
)  # fmt: skip


def _stack_trace(message: str) -> dict[str, Any]:
    """Exception type and message, and the frame count, as the parser finds them."""
    last = TRACE_PYTHON_LAST.search(message) if "Traceback (most recent call last):" in message else None
    found = last or TRACE_EXCEPTION.search(message)
    kind, text = found.groups() if found else (None, None)
    return {"exception_type": kind, "exception_message": text, "frames": len(TRACE_FRAME.findall(message))}


def _cloudfront(message: str) -> dict[str, Any]:
    """A tab-separated record in the guide's order; `#` lines are the file's header."""
    if message.startswith("#"):
        return {"header": message}
    return dict(zip(CLOUDFRONT_FIELDS, message.rstrip("\r\n").split("\t"), strict=False))


LOGFMT_PAIR = re.compile(r'([A-Za-z_@][\w.\-/@#]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)')


def baseline_parse(fmt: str) -> Callable[[str], dict[str, Any]]:
    """The per-line parse the baseline applies to a message of `fmt`."""
    parser = BY_NAME[fmt]
    if fmt == "vpc_flow_log":
        return lambda message: dict(zip(VPC_FIELDS, message.rstrip("\r\n").split(" "), strict=False))
    if fmt == "logfmt":
        return lambda message: {k: v.strip('"') for k, v in LOGFMT_PAIR.findall(message)}
    if fmt == "cloudfront":
        return _cloudfront
    if fmt == "cloudfront_realtime":
        return lambda message: dict(zip(parser.groups, message.rstrip("\r\n").split("\t"), strict=False))
    if fmt == "nlb":
        return lambda message: dict(zip(NLB_FIELDS, message.rstrip("\r\n").split(" "), strict=False))
    if fmt == "stack_trace":
        return _stack_trace
    if isinstance(parser, RegexParser):
        pattern, names = re.compile(parser.pattern), parser.groups
    elif fmt in BASELINE_PATTERNS:
        pattern, names = re.compile(BASELINE_PATTERNS[fmt][0]), BASELINE_PATTERNS[fmt][1]
    else:
        return flatten_json

    def parse(message: str) -> dict[str, Any]:
        match = pattern.fullmatch(message.rstrip("\r\n"))
        return dict(zip(names, match.groups(), strict=True)) if match else {"unparsed": message}

    return parse


def prepend_header(store: LocalStore, keys: list[str], header: tuple[str, ...]) -> None:
    """Put `header` at the top of each raw object, as each log file of the format begins (CloudFront)."""
    for key in keys:
        records = decode_batch(store.get(key))
        first = records[0]
        lines = [
            {**first, "event_id": f"h{first['event_id']}-{n}", "message": message} for n, message in enumerate(header)
        ]
        store.put(key, encode_batch(lines + records))  # type: ignore[arg-type]


def formats_written(store: LocalStore, results: list[Any]) -> dict[str, dict[str, int]]:
    """Rows per value of the clean `format` column, and per `time_source`, in the files these runs wrote:
    every line of a generator must be typed by its own parser (not by another one or by `text`), and take
    its time from the line unless the format carries none (TIMELESS)."""
    files = [str(store.root / o) for r in results for o in r.manifest.outputs if o.startswith("clean/")]
    query = (
        "SELECT format, time_source, count(*) FROM read_parquet($files, union_by_name = true) GROUP BY ALL ORDER BY ALL"
    )
    typed: dict[str, dict[str, int]] = {}
    for fmt, source, count in duckdb.execute(query, {"files": files}).fetchall():
        typed.setdefault(fmt, {})[source] = count
    return typed


def cpu_seconds() -> float:
    """CPU seconds of this process, DuckDB's threads included: on a shared machine the wall clock also
    counts other people's work, the CPU time only this run's (the cpu ratio is baseline CPU / loglake CPU)."""
    times = os.times()
    return times.user + times.system


def object_arguments(parser: argparse.ArgumentParser) -> None:
    """FORMAT, --lines and --no-index: the arguments of a script that times one raw object of a format."""
    parser.add_argument("format", choices=sorted(GENERATORS))
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--no-index", action="store_true", help="without the skip index (EtlSettings.skip_index)")


def formats_arguments(parser: argparse.ArgumentParser, rounds: int) -> None:
    """--lines, --rounds and --formats: the arguments of a script that times one raw object of each of several
    formats (every generator's by default; `chosen_formats` reads the list)."""
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--formats", default=",".join(GENERATORS))


def warm_object(root: Path, fmt: str, lines: int, settings: EtlSettings) -> tuple[LocalStore, str]:
    """A lake under `root` holding one raw object of `lines` generated lines of `fmt`, processed once (imports,
    macros, the ETL session: what the timed runs then find warm); the store and the object's key."""
    store = LocalStore(root / "lake")
    key = write_raw(store, lines, lines, make=GENERATORS[fmt], log_group=f"/bench/{fmt}")[0]
    process_raw_object(store, key, settings, force=True)
    return store, key


def chosen_formats(parser: argparse.ArgumentParser, value: str) -> list[str]:
    """The formats of a comma-separated `--formats` (GENERATORS' names), or the usage error naming the unknown."""
    formats = value.split(",")
    unknown = [f for f in formats if f not in GENERATORS]
    if unknown:
        parser.error(f"unknown format(s) {unknown}; choose from {', '.join(GENERATORS)}")
    return formats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds; medians are reported")
    parser.add_argument("--formats", default=",".join(GENERATORS))
    parser.add_argument(
        "--without-index", action="store_true", help="also run loglake with [etl] skip_index = false (a column more)"
    )
    args = parser.parse_args()
    formats = chosen_formats(parser, args.formats)
    print(f"{args.lines:,} lines per format in raw objects of {args.batch:,}; medians of {args.rounds} round(s)")
    extra = f" {'cpu ratio, no index':>19}" if args.without_index else ""
    print(f"{'format':<21} {'baseline ev/s':>14} {'loglake ev/s':>13} {'ratio':>6} {'cpu ratio':>9}{extra}  check")
    for fmt in formats:
        with tempfile.TemporaryDirectory(prefix="loglake-parsers-") as tmp:
            store = LocalStore(Path(tmp) / "lake")
            keys = write_raw(store, args.lines, args.batch, make=GENERATORS[fmt], log_group=f"/bench/{fmt}")
            header = HEADERS.get(fmt, ())
            if header:
                prepend_header(store, keys, header)
            expected = {fmt: args.lines} | ({"text": len(header) * len(keys)} if header else {})
            base: list[float] = []
            ours: list[float] = []
            base_cpu: list[float] = []
            ours_cpu: list[float] = []
            bare_cpu: list[float] = []
            for round_ in range(args.rounds):
                out_dir = Path(tmp) / f"baseline-{round_}"
                out_dir.mkdir()
                t0, c0 = time.perf_counter(), cpu_seconds()
                counted = baseline(store, keys, out_dir, baseline_parse(fmt))
                base.append(time.perf_counter() - t0)
                base_cpu.append(cpu_seconds() - c0)
                t0, c0 = time.perf_counter(), cpu_seconds()
                results = [process_raw_object(store, k, EtlSettings(), force=True) for k in keys]
                ours.append(time.perf_counter() - t0)
                ours_cpu.append(cpu_seconds() - c0)
                by_source = formats_written(store, results)  # after the timing
                typed = {name: sum(sources.values()) for name, sources in by_source.items()}
                assert typed == expected, f"{fmt}: rows by format {typed}, expected {expected}"
                untimed = sum(n for source, n in by_source.get(fmt, {}).items() if source != "parsed")
                wanted = UNTIMED[fmt](args.lines) if fmt in UNTIMED else 0
                assert untimed == wanted, f"{fmt}: {untimed} rows without a time from the line, expected {wanted}"
                if args.without_index:
                    c0 = cpu_seconds()
                    for k in keys:
                        process_raw_object(store, k, EtlSettings(skip_index=False), force=True)
                    bare_cpu.append(cpu_seconds() - c0)
            clean = sum(r.manifest.clean_rows for r in results)
            formats_seen = {o.split("/")[1] for r in results for o in r.manifest.outputs if o.startswith("clean/")}
            check = f"{clean:,} clean in {sorted(formats_seen)}, format {typed}"
            assert counted == sum(expected.values()) and clean == sum(expected.values()), (counted, clean)
            b, o = args.lines / statistics.median(base), args.lines / statistics.median(ours)
            cpu = statistics.median(base_cpu) / statistics.median(ours_cpu)
            bare = f" {statistics.median(base_cpu) / statistics.median(bare_cpu):>18.2f}x" if bare_cpu else ""
            print(f"{fmt:<21} {b:>14,.0f} {o:>13,.0f} {o / b:>5.2f}x {cpu:>8.2f}x{bare}  {check}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
