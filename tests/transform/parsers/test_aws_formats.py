"""AWS's own log samples (tests/events/aws_formats, see ATTRIBUTION.md) through the ETL, and AWS's
documented Athena example queries (tests/events/athena_sql) run unchanged over the resulting tables.

A few records are ours (LOCAL_* below, marked as such): the documented queries filter on dates,
addresses and bucket names that the samples do not contain, and without them those queries could only
be shown to return nothing.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import athena_documented, write_messages
from loglake.lake.open import Lake, open_lake
from loglake.lake.schema_registry import SchemaRegistry
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings

EVENTS = Path(__file__).parents[2] / "events"
SAMPLES = EVENTS / "aws_formats"


def _lines(name: str) -> list[str]:
    return [line for line in (SAMPLES / name).read_text().splitlines() if line.strip()]


def _vpc_doc_groups() -> dict[str, list[str]]:
    """The VPC guide's examples, one log group per custom format: the field-order line as the header
    (as flow logs delivered to S3 start), then its records. Upstream's '...' placeholder line and
    trailing '#comment' annotations are documentation, not records, and are left out."""
    groups: dict[str, list[str]] = {"/vpc/docs-default": []}
    for index, group in enumerate(json.loads((SAMPLES / "vpc_docs_examples.json").read_text())["groups"]):
        records = [r for entry in group["records"] for r in (entry["lines"] if isinstance(entry, dict) else [entry])]
        records = [re.sub(r"\s+#.*$", "", r) for r in records if r.strip() != "..."]
        if group["format"].startswith("DEFAULT"):
            groups["/vpc/docs-default"] += records
        else:
            groups[f"/vpc/docs-custom-{index}"] = [group["format"], *records]
    return groups


def _apigateway_lines() -> list[str]:
    """API Gateway's documented CLF and JSON access-log templates, rendered with example values."""
    values = {
        "$context.identity.sourceIp": "198.51.100.7",
        "$context.identity.caller": "-",
        "$context.identity.user": "-",
        "$context.requestTime": "28/Nov/2026:10:15:01 +0000",
        "$context.httpMethod": "GET",
        "$context.resourcePath": "/pets",
        "$context.routeKey": "GET /pets",
        "$context.protocol": "HTTP/1.1",
        "$context.status": "200",
        "$context.responseLength": "512",
        "$context.requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "$context.extendedRequestId": "Dv0HJFmLoAMFp_w=",
    }
    lines = []
    for template in json.loads((SAMPLES / "apigateway_templates.json").read_text())["templates"]:
        if not re.match(r"\+\s+`(CLF|JSON)`", template["context"]):
            continue
        line = " ".join(part.strip() for part in template["template"].replace("\\\n", "\n").splitlines())
        for name in sorted(values, key=len, reverse=True):
            line = line.replace(name, values[name])
        lines.append(line)
    return lines


# Ours, in the samples' formats, so that the documented queries' filters select something.
LOCAL_VPC = [
    "2 123456789010 eni-0a1b2c3d4e5f67890 10.117.1.22 10.0.1.14 49152 443 6 10 8400 1612180800 1612180860 ACCEPT OK",
    "2 123456789010 eni-0a1b2c3d4e5f67890 10.117.1.23 10.0.1.14 49153 22 6 3 180 1612267200 1612267260 REJECT OK",
    "2 123456789010 eni-0a1b2c3d4e5f67890 10.20.0.5 10.0.1.99 50000 443 6 40 62000 1614765600 1614765660 ACCEPT OK",
    "2 123456789010 eni-0a1b2c3d4e5f67890 10.20.0.6 10.0.1.99 50001 443 6 20 31000 1614852000 1614852060 ACCEPT OK",
    "2 123456789010 eni-0a1b2c3d4e5f67890 10.0.1.14 10.117.1.22 443 49152 6 8 5200 1617357600 1617357660 ACCEPT OK",
    "2 123456789010 eni-0a1b2c3d4e5f67890 192.0.2.10 10.0.1.14 40000 443 6 5 900 1610000000 1610000060 ACCEPT OK",
    "2 123456789010 eni-0a1b2c3d4e5f67890 10.0.1.15 10.0.1.14 40001 80 6 2 120 1588550400 1588550460 ACCEPT OK",
]
LOCAL_ALB = [
    "https 2018-05-30T18:01:02.000000Z app/my-loadbalancer/50dc6c495c0c9188 10.1.1.1:3311 10.0.0.1:80 0.001 0.010 "
    '0.000 200 200 120 2048 "GET https://www.example.com:443/index.html HTTP/1.1" "Mozilla/5.0 (Macintosh) Safari/605" '
    "ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/"
    '73e2d6bc24d8a067 "Root=1-5b0ee4ae-1" "www.example.com" "-" 1 2018-05-30T18:01:01.990000Z "forward" "-" "-" '
    '"10.0.0.1:80" "200" "-" "-"',
    "https 2022-02-12T08:00:00.000000Z app/my-loadbalancer/50dc6c495c0c9188 10.1.1.2:3312 10.0.0.1:80 0.001 0.002 "
    '0.000 503 - 90 300 "POST https://www.example.com:443/api HTTP/1.1" "curl/7.79.1" ECDHE-RSA-AES128-GCM-SHA256 '
    'TLSv1.2 - "Root=1-6207690-2" "www.example.com" "-" 0 2022-02-12T07:59:59.999000Z "fixed-response" "-" "-" '
    '"-" "-" "-" "-"',
]
LOCAL_CLOUDTRAIL = [
    {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/Mateo", "userName": "Mateo",
                         "accountId": "123456789012"},
        "eventTime": "2023-07-20T10:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket",
        "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.1", "userAgent": "aws-cli/2.13",
        "requestParameters": {"bucketName": "doc-example-bucket"}, "eventID": "local-1",
        "resources": [{"ARN": "arn:aws:s3:::doc-example-bucket", "accountId": "123456789012",
                       "type": "AWS::S3::Bucket"}],
    },
    {
        "eventVersion": "1.08", "userIdentity": {"type": "AWSAccount", "accountId": "anonymous"},
        "eventTime": "2023-07-20T11:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
        "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.9", "userAgent": "curl/8.0",
        "requestParameters": {"bucketName": "[your bucket name ]", "key": "example/datafile.txt"},
        "eventID": "local-2",
        "resources": [{"ARN": "arn:aws:s3:::doc-example-bucket/example/datafile.txt", "type": "AWS::S3::Object"}],
    },
]  # fmt: skip


def _now_flow() -> str:
    """A flow that started an hour ago: AWS's 'last week' query needs one."""
    start = int(time.time()) - 3600
    return f"2 123456789010 eni-0a1b2c3d4e5f67890 10.9.9.9 10.0.1.80 40404 443 6 7 7000 {start} {start + 60} ACCEPT OK"


def _deliveries() -> dict[str, list[str]]:
    cloudtrail = [
        json.dumps(r["record"]) for r in json.loads((SAMPLES / "cloudtrail_docs.json").read_text())["records"]
    ]
    cloudtrail += [json.dumps(r) for r in json.loads((SAMPLES / "cloudtrail_otel.json").read_text())["Records"]]
    lambda_lines = [
        e["message"]
        for e in json.loads((SAMPLES / "lambda_samples.json").read_text())["cloudwatch_text_lines"]
        if "message" in e
    ]
    return {
        "/alb/vrl": _lines("alb_vrl.log"),
        "/alb/otel": _lines("alb_otel.log"),
        "/alb/local": LOCAL_ALB,
        "/vpc/docs-v2": _lines("vpc_default_v2_docs.log"),
        **_vpc_doc_groups(),
        "/vpc/otel-tgw": _lines("vpc_otel_valid_tgw_flow_log.log"),
        "/vpc/otel-v2": _lines("vpc_otel_valid_vpc_flow_log.log"),
        "/vpc/otel-ecs": _lines("vpc_otel_valid_vpc_flow_log_ecs.log"),
        "/vpc/local": [*LOCAL_VPC, _now_flow()],
        "/s3/docs": _lines("s3_access_docs.log"),
        "/trail/docs": cloudtrail,
        "/trail/local": [json.dumps(r) for r in LOCAL_CLOUDTRAIL],
        "/aws/lambda/samples": lambda_lines,
        "/apigw/docs": _apigateway_lines(),
    }  # fmt: skip


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEngine]:
    lake: Lake = open_lake(str(tmp_path_factory.mktemp("aws") / "lake"))
    for group, messages in _deliveries().items():
        write_messages(lake.store, group, messages, id_prefix=f"{group}#", stream="samples")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=2)
    with DuckDBEngine(lake.store) as opened:
        yield opened


def rows(engine: DuckDBEngine, sql: str) -> list[tuple[Any, ...]]:
    return engine.query(sql).rows


def test_every_sample_line_lands_in_its_format_table(engine: DuckDBEngine) -> None:
    tables = ["alb_logs", "vpc_flow_logs", "s3_access_logs", "cloudtrail_logs", "lambda_platform", "apigateway_logs"]
    union = " UNION ALL ".join(f"SELECT '{t}' AS t, log_group, format FROM {t}" for t in tables)
    found = rows(
        engine,
        f"SELECT t, regexp_extract(log_group, '^/[^/]+/[^-/]+'), format, count(*) FROM ({union}) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    assert found == [
        ("alb_logs", "/alb/local", "alb", 2),
        ("alb_logs", "/alb/otel", "alb", 2),
        ("alb_logs", "/alb/vrl", "alb", 13),
        ("apigateway_logs", "/apigw/docs", "apigateway_access_log", 2),
        ("apigateway_logs", "/apigw/docs", "apigateway_json", 2),
        ("cloudtrail_logs", "/trail/docs", "cloudtrail", 26),
        ("cloudtrail_logs", "/trail/local", "cloudtrail", 2),
        ("lambda_platform", "/aws/lambda", "lambda_platform", 7),
        ("s3_access_logs", "/s3/docs", "s3_access_log", 5),
        ("vpc_flow_logs", "/vpc/docs", "vpc_flow_log", 34),
        ("vpc_flow_logs", "/vpc/local", "vpc_flow_log", 8),
        ("vpc_flow_logs", "/vpc/otel", "vpc_flow_log", 3),
    ]  # fmt: skip
    # Nothing else: the only lines left to plain text are the custom-format header lines.
    assert rows(engine, "SELECT count(*) FROM quarantine") == [(0,)]
    assert rows(engine, "SELECT DISTINCT format FROM logs") == [("text",)]
    headers = rows(engine, "SELECT count(*) FROM logs WHERE regexp_like(message, '^(version|instance-id) ')")
    assert headers == rows(engine, "SELECT count(*) FROM logs")


def test_vpc_fields_by_name_whatever_the_order(engine: DuckDBEngine) -> None:
    nat = rows(engine, "SELECT instance_id, interface_id, srcaddr, pkt_dstaddr, version FROM vpc_flow_logs "
                       "WHERE log_group LIKE '/vpc/docs-custom%' AND srcaddr = '10.0.1.5' AND instance_id IS NULL")  # fmt: skip
    assert nat == [(None, "eni-1235b8ca123456789", "10.0.1.5", "203.0.113.5", None)]
    v5 = rows(engine, "SELECT srcaddr, packets, bytes, region, az_id, pkt_src_aws_service, flow_direction, traffic_path, "
                      "tcp_flags, date FROM vpc_flow_logs WHERE version = 5 AND log_group LIKE '/vpc/docs%' "
                      "ORDER BY flow_direction")  # fmt: skip
    assert v5 == [
        ("10.0.0.71", 7, 471, "ap-southeast-2", "apse2-az3", None, "egress", 8, 3, date(2021, 3, 26)),
        ("52.95.128.179", 14, 15044, "ap-southeast-2", "apse2-az3", "S3", "ingress", None, 19, date(2021, 3, 26)),
    ]
    tgw = rows(engine, "SELECT tgw_id, tgw_src_az_id, bytes, log_status FROM vpc_flow_logs WHERE version = 6")
    assert tgw == [("tgw-0abc12345def67890", "use1-az1", 1000, "OK")]
    nodata = rows(
        engine, "SELECT srcaddr, packets, action, log_status FROM vpc_flow_logs WHERE log_status = 'SKIPDATA'"
    )
    assert nodata == [(None, None, None, "SKIPDATA")] * 2  # in both of the guide's samples


def test_alb_columns(engine: DuckDBEngine) -> None:
    got = rows(engine, "SELECT type, client_ip, client_port, target_processing_time, elb_status_code, target_status_code, "
                       "received_bytes, request_verb, request_url, ssl_protocol, domain_name, actions_executed, "
                       "target_port_list FROM alb_logs WHERE log_group = '/alb/otel' ORDER BY client_ip")  # fmt: skip
    assert got[1] == (
        "https", "[fe80::202:b3ff:fe1e:8329]", 443, 0.048, 200, "200", 0, "GET", "https://www.example.com:443/",
        "TLSv1.2", "www.example.com", "authenticate,forward", "10.0.0.1:80",
    )  # fmt: skip
    # Twelve of VRL's lines end with the newer conn_trace_id field, kept in extra_fields.
    assert rows(engine, "SELECT count(*), count(extra_fields) FROM alb_logs WHERE log_group = '/alb/vrl'") == [(13, 12)]


def test_s3_access_log_columns(engine: DuckDBEngine) -> None:
    got = rows(engine, "SELECT operation, key, httpstatus, errorcode, bytessent, objectsize, totaltime, aclrequired "
                       "FROM s3_access_logs ORDER BY event_id")  # fmt: skip
    assert got[:3] == [
        ("REST.GET.VERSIONING", None, "200", None, 113, None, "7", "Yes"),
        ("REST.GET.LOGGING_STATUS", None, "200", None, 242, None, "11", None),
        ("REST.GET.BUCKETPOLICY", None, "404", "NoSuchBucketPolicy", 297, None, "38", "Yes"),
    ]
    assert len(got) == 5


def test_lambda_report_lines_yield_numbers(engine: DuckDBEngine) -> None:
    got = rows(engine, "SELECT request_id, duration_ms, billed_duration_ms, memory_size_mb, max_memory_used_mb, "
                       "init_duration_ms, xray_trace_id, sampled FROM lambda_platform WHERE type = 'REPORT' "
                       "ORDER BY duration_ms")  # fmt: skip
    assert got == [
        ("4dfec460-05bb-4f62-8fed-e5cade099a36", 0.97, 1.0, 128, 37, None, "1-636d12bb-42356e4e68523f1d0eb810e6", True),
        ("06e46194-f277-454e-88d3-1dd7e3860eaa", 9.14, 10.0, 128, 36, 190.62, "1-636d1462-33ef10600061cad86dab71c8", True),
        ("6234bffe-149a-b642-81ff-2e8e376d8aff", 46.84, 47.0, 192, 72, None, None, None),
    ]  # fmt: skip


def test_cloudtrail_structs(engine: DuckDBEngine) -> None:
    got = rows(engine, "SELECT eventname, useridentity.type, useridentity.username, tlsdetails.tlsversion, readonly "
                       "FROM cloudtrail_logs WHERE eventid = 'local-1'")  # fmt: skip
    assert got == [("DeleteBucket", "IAMUser", "Mateo", None, None)]
    assert rows(engine, "SELECT count(*) FROM cloudtrail_logs WHERE cardinality(resources) > 0") == [(4,)]


def test_apigateway_variants_share_columns(engine: DuckDBEngine) -> None:
    got = rows(engine, "SELECT format, ip, http_method, coalesce(resource_path, route_key), status, "
                       "response_length, request_id FROM apigateway_logs ORDER BY format, resource_path NULLS LAST")  # fmt: skip
    rid = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    # The JSON template quotes every value: status and response_length are numbers in both variants.
    assert got == [
        ("apigateway_access_log", "198.51.100.7", "GET", "/pets", 200, 512, rid),
        ("apigateway_access_log", "198.51.100.7", "GET", "GET /pets", 200, 512, rid),
        ("apigateway_json", "198.51.100.7", "GET", "/pets", 200, 512, rid),
        ("apigateway_json", "198.51.100.7", "GET", "GET /pets", 200, 512, rid),
    ]
    assert rows(engine, "SELECT sum(response_length), max(status) FROM apigateway_logs") == [(2048, 200)]


VPC = athena_documented("athena_vpc-flow-logs.sql")
ALB = athena_documented("athena_application-load-balancer-logs.sql")
TRAIL = athena_documented("athena_cloudtrail-logs.sql")


def documented(engine: DuckDBEngine, sql: str) -> list[tuple[Any, ...]]:
    """AWS's statement unchanged, but for the table name of the partition-projection example."""
    return rows(engine, sql.replace("test_table_vpclogs", "vpc_flow_logs"))


def documented_records(engine: DuckDBEngine, sql: str, *columns: str) -> list[tuple[Any, ...]]:
    """Some columns of the answer to a documented `SELECT *`."""
    result = engine.query(sql.replace("test_table_vpclogs", "vpc_flow_logs"))
    index = [result.columns.index(c) for c in columns]
    return sorted(tuple(row[i] for i in index) for row in result.rows)


def test_vpc_documented_queries(engine: DuckDBEngine) -> None:
    assert documented_records(engine, VPC[3], "srcaddr", "dstaddr", "date") == [
        ("10.0.1.15", "10.0.1.14", date(2020, 5, 4))
    ]
    # The REJECT line appears in both of the VPC guide's samples.
    assert sorted(documented(engine, VPC[4])) == [
        (2, date(2021, 2, 2), "eni-0a1b2c3d4e5f67890", "10.117.1.23", "REJECT", 6),
        (7, date(2014, 12, 14), "eni-1235b8ca123456789", "172.31.9.69", "REJECT", 6),
        (7, date(2014, 12, 14), "eni-1235b8ca123456789", "172.31.9.69", "REJECT", 6),
    ]
    assert documented(engine, VPC[5]) == [(7, "10.0.1.80")]
    assert documented_records(engine, VPC[9], "day", "srcaddr") == [
        ("2021/02/01", "10.117.1.22"),
        ("2021/02/02", "10.117.1.23"),
    ]
    assert documented(engine, VPC[10]) == [(60, "10.0.1.99")]
    assert documented(engine, VPC[11]) == [
        ("eni-0a1b2c3d4e5f67890", "10.0.1.14", "ACCEPT", 6, "2021-04-02T10:00:00.000Z", "2021-04-02T10:01:00.000Z")
    ]
    assert documented_records(engine, VPC[12], "srcaddr", "dstport") == [("10.117.1.22", 443)]
    assert documented(engine, VPC[13]) == [("2021/02/02", "eni-0a1b2c3d4e5f67890", "10.117.1.23", "REJECT", 6)]
    assert documented_records(engine, VPC[14], "srcaddr") == [("10.117.1.22",), ("10.117.1.23",)]
    assert documented_records(engine, VPC[15], "srcaddr", "dstaddr", "day") == [
        ("192.0.2.10", "10.0.1.14", "2021/01/07")
    ]


def test_alb_documented_queries(engine: DuckDBEngine) -> None:
    assert sorted(documented(engine, ALB[3]), key=str) == sorted(
        [
            (0, None, "113.241.19.90"),  # a request line of "- - -": no verb
            (1, "GET", "10.0.1.252"),
            (1, "GET", "10.1.1.1"),
            (1, "GET", "[fe80::202:b3ff:fe1e:8329]"),
            (1, "POST", "10.1.1.2"),
            (1, "POST", "10.209.14.140"),
            (1, "POST", "31.211.20.175"),
            (2, "GET", "10.0.0.140"),
            (2, "POST", "2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc"),
            (6, "GET", "192.168.131.39"),
        ],
        key=str,
    )
    assert documented(engine, ALB[4]) == [("https://www.example.com:443/index.html",)]
    assert documented_records(engine, ALB[5], "client_ip", "elb_status_code", "request_verb") == [
        ("10.1.1.2", 503, "POST"),
        ("192.168.131.39", 502, "GET"),
    ]
    assert documented(engine, ALB[6]) == [("10.1.1.1", 120)]
    assert documented_records(engine, ALB[7], "client_ip", "day") == [("10.1.1.2", "2022/02/12")]


def test_cloudtrail_documented_queries(engine: DuckDBEngine) -> None:
    # The second record is the CloudTrail guide's own, spaces inside its ARN included.
    assert documented(engine, TRAIL[6]) == [
        ("sns.amazonaws.com", "Publish", "2023-08-21T16:44:05Z", "arn:aws:iam::123456789012:role/Admin"),
        (None, None, "2021-02-21T23: 46: 28Z", "arn: aws: iam: : 123456789012: role/DevRole"),
    ]
    assert documented(engine, TRAIL[7]) == [
        ("us-east-1", "doc-example-bucket/example/datafile.txt", "GetObject", "2023-07-20T11:00:00Z", "curl/8.0")
    ]
    assert documented(engine, TRAIL[8]) == [
        ("us-east-1", "doc-example-bucket", "2023-07-20T10:00:00Z", "Mateo", "123456789012")
    ]
    assert documented_records(engine, TRAIL[9], "eventid", "sourceipaddress") == [("local-2", "198.51.100.9")]
    assert len(documented(engine, TRAIL[10])) == 28


def test_partition_columns_agree_with_the_flow_start(engine: DuckDBEngine) -> None:
    counts = rows(engine, "SELECT count(*), count_if(date = CAST(from_unixtime(start) AS DATE) "
                          "AND day = date_format(date, '%Y/%m/%d')) FROM vpc_flow_logs WHERE start IS NOT NULL")  # fmt: skip
    assert counts == [(35, 35)]  # 10 records of the guide are in formats without start (NAT, transit gateway)


# Older record lengths: earlier versions of AWS's own examples (see ATTRIBUTION.md), in a lake of their own so
# that the documented queries above keep their answers.
HISTORY = {
    "/alb/2016": "alb_docs_20_fields.log",
    "/alb/2018-07": "alb_docs_23_fields.log",
    "/alb/2018-09": "alb_docs_24_fields.log",
    "/alb/2018-11": "alb_docs_25_fields.log",
    "/s3/2014": "s3_access_docs_18_fields.log",
    "/s3/2019": "s3_access_docs_24_fields.log",
}

# A 2023 S3 record (the guide's first example) and a 2020 ALB record (ours, LOCAL_ALB's first), field by field:
# records cut after each field since the oldest documented length show every length that can occur.
S3_RECORD = _lines("s3_access_docs.log")[0].replace("[06/Feb/2019:00:00:38 +0000]", "[06/Feb/2019:00:00:38_+0000]")
S3_FIELDS = S3_RECORD.replace('"GET /DOC-EXAMPLE-BUCKET1?versioning HTTP/1.1"', "REQUEST_URI").split(" ")
S3_LATER = ["hostid", "sigv", "ciphersuite", "authtype", "endpoint", "tlsversion", "accesspointarn", "aclrequired"]
ALB_FIELDS = [
    "https", "2020-10-02T18:01:02.000000Z", "app/my-loadbalancer/50dc6c495c0c9188", "10.1.1.9:3311", "10.0.0.1:80",
    "0.001", "0.010", "0.000", "200", "200", "120", "2048", '"GET https://www.example.com:443/a HTTP/1.1"',
    '"curl/7.79.1"', "ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2",
    "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067",
    '"Root=1-5f776c3e-9"', '"www.example.com"', '"arn:aws:acm:us-east-2:123456789012:certificate/1234"', "1",
    "2020-10-02T18:01:01.990000Z", '"forward"', '"https://example.com/"', '"LambdaUnhandled"', '"10.0.0.1:80"',
    '"200"', '"Acceptable"', '"Ambiguous"',
]  # fmt: skip
ALB_LATER = [
    "domain_name", "chosen_cert_arn", "matched_rule_priority", "request_creation_time", "actions_executed",
    "redirect_url", "lambda_error_reason", "target_port_list", "target_status_code_list", "classification",
    "classification_reason",
]  # fmt: skip


def _s3_cut(fields: int) -> str:
    line = " ".join(S3_FIELDS[:fields])
    return line.replace("_+0000", " +0000").replace("REQUEST_URI", '"GET /DOC-EXAMPLE-BUCKET1?versioning HTTP/1.1"')


@pytest.fixture(scope="module")
def history_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    lake: Lake = open_lake(str(tmp_path_factory.mktemp("aws-history") / "lake"))
    deliveries = {group: _lines(name) for group, name in HISTORY.items()}
    deliveries["/s3/cut"] = [_s3_cut(n) for n in range(18, 27)] + [_s3_cut(26) + " SomeFutureField"]
    deliveries["/alb/cut"] = [" ".join(ALB_FIELDS[:n]) for n in range(18, 30)] + [" ".join(ALB_FIELDS) + " TID_1"]
    for group, messages in deliveries.items():
        write_messages(lake.store, group, messages, id_prefix=f"{group}#", stream="samples")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=2)
    return lake


@pytest.fixture(scope="module")
def history(history_lake: Lake) -> Iterator[DuckDBEngine]:
    with DuckDBEngine(history_lake.store) as opened:
        yield opened


def test_every_older_length_lands_in_its_format_table(history_lake: Lake, history: DuckDBEngine) -> None:
    union = "SELECT log_group, format FROM alb_logs UNION ALL SELECT log_group, format FROM s3_access_logs"
    found = rows(history, f"SELECT log_group, format, count(*) FROM ({union}) GROUP BY 1, 2 ORDER BY 1")
    assert found == [
        ("/alb/2016", "alb", 5), ("/alb/2018-07", "alb", 5), ("/alb/2018-09", "alb", 5), ("/alb/2018-11", "alb", 7),
        ("/alb/cut", "alb", 13), ("/s3/2014", "s3_access_log", 6), ("/s3/2019", "s3_access_log", 5),
        ("/s3/cut", "s3_access_log", 10),
    ]  # fmt: skip
    assert rows(history, "SELECT count(*) FROM quarantine") == [(0,)]
    assert sorted(SchemaRegistry(history_lake.store).tables()) == ["alb_logs", "s3_access_logs"]  # no plain text


def test_s3_older_documented_records(history: DuckDBEngine) -> None:
    got = rows(history, "SELECT bucket_name, operation, objectsize, versionid, hostid, sigv, tlsversion, accesspointarn, "
                        "aclrequired, extra_fields FROM s3_access_logs WHERE log_group <> '/s3/cut' ORDER BY event_id")  # fmt: skip
    assert [row[:1] + row[3:] for row in got[:6]] == [("mybucket", None, None, None, None, None, None, None)] * 6
    assert [row[1:3] for row in got[:6]] == [
        ("REST.GET.VERSIONING", None), ("REST.GET.LOGGING_STATUS", None), ("REST.GET.BUCKETPOLICY", None),
        ("REST.GET.VERSIONING", None), ("REST.PUT.OBJECT", 4406583), ("REST.GET.VERSIONING", None),
    ]  # fmt: skip
    assert [(row[4][:8], row[5], row[6], row[7], row[8], row[9]) for row in got[6:]] == [
        ("s9lzHYrF", "SigV2", "TLSV1.1", None, None, None),
        ("9vKBE6vM", "SigV2", "TLSV1.1", None, None, None),
        ("BNaBsXZQ", "SigV2", "TLSV1.1", None, None, None),
        ("Ke1bUcaz", "SigV2", "TLSV1.1", None, None, None),
        ("10S62Zv8", "SigV4", "TLSV1.1", None, None, None),
    ]


def test_s3_record_cut_after_any_field(history: DuckDBEngine) -> None:
    got = history.query(
        f"SELECT event_id, versionid, {', '.join(S3_LATER)}, extra_fields FROM s3_access_logs "
        "WHERE log_group = '/s3/cut' ORDER BY event_id"
    ).rows
    by_id = {row[0]: row[1:] for row in got}
    full = ("s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=", "SigV4",
            "ECDHE-RSA-AES128-GCM-SHA256", "AuthHeader", "DOC-EXAMPLE-BUCKET1.s3.us-west-1.amazonaws.com", "TLSV1.2",
            "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP", "Yes")  # fmt: skip
    assert len(got) == 10
    for present in range(9):  # 18 + present fields
        assert by_id[f"/s3/cut#{present}"] == (None, *full[:present], *[None] * (8 - present), None)
    assert by_id["/s3/cut#9"] == (None, *full, "SomeFutureField")


def test_alb_older_documented_records(history: DuckDBEngine) -> None:
    got = rows(history, "SELECT log_group, type, domain_name, matched_rule_priority, actions_executed, redirect_url, "
                        "lambda_error_reason, target_port_list, target_status_code_list, classification, extra_fields "
                        "FROM alb_logs WHERE log_group <> '/alb/cut' ORDER BY event_id")  # fmt: skip
    assert got == [
        ("/alb/2016", "http", None, None, None, None, None, None, None, None, None),
        ("/alb/2016", "https", "www.example.com", None, None, None, None, None, None, None, None),
        ("/alb/2016", "h2", None, None, None, None, None, None, None, None, None),
        ("/alb/2016", "ws", None, None, None, None, None, None, None, None, None),
        ("/alb/2016", "wss", None, None, None, None, None, None, None, None, None),
        ("/alb/2018-07", "http", None, "0", "forward", None, None, None, None, None, None),
        ("/alb/2018-07", "https", "www.example.com", "1", "authenticate,forward", None, None, None, None, None, None),
        ("/alb/2018-07", "h2", None, "1", "forward", None, None, None, None, None, None),
        ("/alb/2018-07", "ws", None, "1", "forward", None, None, None, None, None, None),
        ("/alb/2018-07", "wss", None, "1", "forward", None, None, None, None, None, None),
        ("/alb/2018-09", "http", None, "0", "forward", None, None, None, None, None, None),
        ("/alb/2018-09", "https", "www.example.com", "1", "authenticate,forward", None, None, None, None, None, None),
        ("/alb/2018-09", "h2", None, "1", "redirect", "https://example.com:80/", None, None, None, None, None),
        ("/alb/2018-09", "ws", None, "1", "forward", None, None, None, None, None, None),
        ("/alb/2018-09", "wss", None, "1", "forward", None, None, None, None, None, None),
        ("/alb/2018-11", "http", None, "0", "forward", None, None, None, None, None, None),
        ("/alb/2018-11", "https", "www.example.com", "1", "authenticate,forward", None, None, None, None, None, None),
        ("/alb/2018-11", "h2", None, "1", "redirect", "https://example.com:80/", None, None, None, None, None),
        ("/alb/2018-11", "ws", None, "1", "forward", None, None, None, None, None, None),
        ("/alb/2018-11", "wss", None, "1", "forward", None, None, None, None, None, None),
        ("/alb/2018-11", "http", None, "0", "forward", None, None, None, None, None, None),
        ("/alb/2018-11", "http", None, "0", "forward", None, "LambdaInvalidResponse", None, None, None, None),
    ]  # fmt: skip
    # The fields before the growth are unchanged by it: AWS's first documented query over the older records.
    assert sorted(documented(history, ALB[3])) == [
        (4, "GET", "10.0.1.252"), (8, "GET", "10.0.0.140"), (10, "GET", "192.168.131.39"), (13, "GET", "10.1.1.9"),
    ]  # fmt: skip


def test_alb_record_cut_after_any_field(history: DuckDBEngine) -> None:
    got = history.query(
        f"SELECT event_id, trace_id, {', '.join(ALB_LATER)}, extra_fields FROM alb_logs "
        "WHERE log_group = '/alb/cut' ORDER BY event_id"
    ).rows
    by_id = {row[0]: row[1:] for row in got}
    full = ("www.example.com", "arn:aws:acm:us-east-2:123456789012:certificate/1234", "1",
            "2020-10-02T18:01:01.990000Z", "forward", "https://example.com/", "LambdaUnhandled", "10.0.0.1:80", "200",
            "Acceptable", "Ambiguous")  # fmt: skip
    assert len(got) == 13
    for present in range(12):  # 18 + present fields
        assert by_id[f"/alb/cut#{present}"] == ("Root=1-5f776c3e-9", *full[:present], *[None] * (11 - present), None)
    assert by_id["/alb/cut#12"] == ("Root=1-5f776c3e-9", *full, "TID_1")
