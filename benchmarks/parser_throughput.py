"""Parser throughput: events per second per format, against a plain per-line regex baseline, in the same run.

    python benchmarks/parser_throughput.py [--lines 1000000] [--batch 50000] [--formats alb,vpc_flow_log]

For each format, `--lines` synthetic lines (values vary per line) are written as raw objects of
`--batch` events. Both contenders read the same objects:
- baseline: per record `json.loads` of the raw record, Python `re.fullmatch` with the parser's own
  pattern (or `json.loads` of the message for JSON formats), a dict of the fields, `json.dumps`,
  written as gzip JSON lines: the simplest per-line parser one would write;
- loglake: `process_raw_object` per object (the Lambda's unit of work): detection among all parsers,
  typed columns, time and level, registry, Parquet (zstd) by partition.
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

from etl_throughput import baseline, flatten_json, make_event, write_raw
from loglake.lake.local_store import LocalStore
from loglake.transform.etl import process_raw_object
from loglake.transform.parsers import PARSERS
from loglake.transform.parsers.base import RegexParser
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
BY_NAME = {p.name: p for p in PARSERS}
# The baseline's pattern for formats whose parser is not a single regex.
BASELINE_PATTERNS = {
    "lambda_platform": (
        r"REPORT RequestId: (\S+)\tDuration: ([\d.]+) ms\tBilled Duration: (\d+) ms\tMemory Size: (\d+) MB\t"
        r"Max Memory Used: (\d+) MB\t(?:Init Duration: ([\d.]+) ms\t)?",
        ("request_id", "duration", "billed", "memory", "max_memory", "init"),
    ),
}
LOGFMT_PAIR = re.compile(r'([A-Za-z_@][\w.\-/@#]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)')


def baseline_parse(fmt: str) -> Callable[[str], dict[str, Any]]:
    """The per-line parse the baseline applies to a message of `fmt`."""
    parser = BY_NAME[fmt]
    if fmt == "vpc_flow_log":
        return lambda message: dict(zip(VPC_FIELDS, message.rstrip("\r\n").split(" "), strict=False))
    if fmt == "logfmt":
        return lambda message: {k: v.strip('"') for k, v in LOGFMT_PAIR.findall(message)}
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


def _cpu() -> float:
    """CPU seconds of this process, DuckDB's threads included: on a shared machine the wall clock also
    counts other people's work, the CPU time only this run's (the cpu ratio is baseline CPU / loglake CPU)."""
    times = os.times()
    return times.user + times.system


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
    formats = args.formats.split(",")
    unknown = [f for f in formats if f not in GENERATORS]
    if unknown:
        parser.error(f"unknown format(s) {unknown}; choose from {', '.join(GENERATORS)}")
    print(f"{args.lines:,} lines per format in raw objects of {args.batch:,}; medians of {args.rounds} round(s)")
    extra = f" {'cpu ratio, no index':>19}" if args.without_index else ""
    print(f"{'format':<16} {'baseline ev/s':>14} {'loglake ev/s':>13} {'ratio':>6} {'cpu ratio':>9}{extra}  check")
    for fmt in formats:
        with tempfile.TemporaryDirectory(prefix="loglake-parsers-") as tmp:
            store = LocalStore(Path(tmp) / "lake")
            keys = write_raw(store, args.lines, args.batch, make=GENERATORS[fmt], log_group=f"/bench/{fmt}")
            base: list[float] = []
            ours: list[float] = []
            base_cpu: list[float] = []
            ours_cpu: list[float] = []
            bare_cpu: list[float] = []
            for round_ in range(args.rounds):
                out_dir = Path(tmp) / f"baseline-{round_}"
                out_dir.mkdir()
                t0, c0 = time.perf_counter(), _cpu()
                counted = baseline(store, keys, out_dir, baseline_parse(fmt))
                base.append(time.perf_counter() - t0)
                base_cpu.append(_cpu() - c0)
                t0, c0 = time.perf_counter(), _cpu()
                results = [process_raw_object(store, k, EtlSettings(), force=True) for k in keys]
                ours.append(time.perf_counter() - t0)
                ours_cpu.append(_cpu() - c0)
                if args.without_index:
                    c0 = _cpu()
                    for k in keys:
                        process_raw_object(store, k, EtlSettings(skip_index=False), force=True)
                    bare_cpu.append(_cpu() - c0)
            clean = sum(r.manifest.clean_rows for r in results)
            formats_seen = {o.split("/")[1] for r in results for o in r.manifest.outputs if o.startswith("clean/")}
            check = f"{clean:,} clean in {sorted(formats_seen)}"
            assert counted == args.lines and clean == args.lines, (counted, clean)
            b, o = args.lines / statistics.median(base), args.lines / statistics.median(ours)
            cpu = statistics.median(base_cpu) / statistics.median(ours_cpu)
            bare = f" {statistics.median(base_cpu) / statistics.median(bare_cpu):>18.2f}x" if bare_cpu else ""
            print(f"{fmt:<16} {b:>14,.0f} {o:>13,.0f} {o / b:>5.2f}x {cpu:>8.2f}x{bare}  {check}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
