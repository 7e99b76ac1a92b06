"""Every S3 call a deployed function makes is allowed by its role in `loglake template`, as IAM would decide.

moto does not enforce IAM, so a handler that touches a prefix its role does not name passes every other test
and fails with AccessDenied on AWS. Here each handler runs on the moto server against buckets named as the
template names them; every S3 request its boto3 clients send is recorded (botocore's `_make_api_call`, which
every operation goes through), mapped to the IAM action and resource AWS authorizes it as, and checked
against the role's statements: Allow/Deny, resource ARNs with `*` and `?`, and condition keys such as
ListBucket's `s3:prefix`. An operation the mapping does not know fails the test instead of passing unseen.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import deepcopy
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3
import botocore.client
import orjson
import pytest

from conftest import T0, load_event, write_messages
from loglake.aws_events.sqs_event import queued_event
from loglake.deploy.template import build_template
from loglake.errors import RawObjectError
from loglake.lake.compaction import compact
from loglake.lake.keys import RawKey
from loglake.lake.open import Lake, open_lake
from loglake.lake.raw_zone import list_raw_objects
from loglake.query.engine import DuckDBEngine
from loglake.sources.local_files import FileSource, FileSourceOptions

ACCOUNT, REGION, PREFIX = "123456789012", "us-east-1", "loglake"
RAW = f"{PREFIX}-raw-{ACCOUNT}-{REGION}"
LAKE = f"{PREFIX}-lake-{ACCOUNT}-{REGION}"
RESULTS = f"{PREFIX}-athena-{ACCOUNT}-{REGION}"
VALUES = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "NamePrefix": PREFIX,
    "GlueDatabase": "loglake",
    "AthenaWorkGroup": PREFIX,
    "LogGroups": ["/svc/*", "/app/orders"],
    "TableBucketArn": f"arn:aws:s3tables:{REGION}:{ACCOUNT}:bucket/{PREFIX}-tables",
}

Request = tuple[str, str, dict[str, str]]
"""(IAM action, resource ARN, request condition keys)."""


def _resolve(value: Any, names: dict[str, Any] | None = None) -> Any:
    """The template's intrinsic functions that build ARNs (Ref, Fn::Sub, Fn::Join, Fn::Split), with the
    stack's names filled in; anything else (Fn::GetAtt, Fn::If) is left as it is and so matches no ARN."""
    names = VALUES if names is None else names
    if isinstance(value, list):
        return [_resolve(v, names) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in names:
        return names[value["Ref"]]
    if set(value) == {"Fn::Sub"}:
        text, extra = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
        scope = {**names, **{k: _resolve(v, names) for k, v in extra.items()}}
        return re.sub(r"\$\{([^}]+)\}", lambda m: str(scope.get(m.group(1), m.group(0))), text)
    if set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(str(p) for p in _listed(_resolve(parts, names)))
    if set(value) == {"Fn::Split"}:
        separator, text = value["Fn::Split"]
        return str(_resolve(text, names)).split(separator)
    return {k: _resolve(v, names) for k, v in value.items()}


def role_statements(
    role: str, *, iceberg: bool = False, batched: bool = False, s3tables: bool = False
) -> list[dict[str, Any]]:
    """The role's inline statements and those of every policy attached to it (the KMS and redaction-key
    policies only add kms/ssm/secretsmanager actions, so their conditions do not matter for S3). The
    Iceberg ETL's policy only with `iceberg` (TableFormat=iceberg), the queue's only with `batched`
    (EtlBatchSize > 1), the S3 Tables one only with `iceberg` and `s3tables` (a TableBucketArn): a stack with
    the defaults has none of them."""
    resources = build_template(["/aws/lambda/example"])["Resources"]
    documents = [p["PolicyDocument"] for p in resources[role]["Properties"]["Policies"]]
    conditions = (("UseIceberg", iceberg), ("BatchedEtl", batched), ("UseS3Tables", iceberg and s3tables))
    left_out = {condition for condition, on in conditions if not on}
    documents += [
        r["Properties"]["PolicyDocument"]
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Policy"
        and {"Ref": role} in r["Properties"]["Roles"]
        and r.get("Condition") not in left_out
    ]
    statements = [_resolve(s) for d in documents for s in d["Statement"]]
    for statement in statements:  # a Split inside a Resource list gives a list in the list
        statement["Resource"] = [r for item in _listed(statement["Resource"]) for r in _listed(item)]
    return statements


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _like(pattern: str, text: str) -> bool:
    """IAM's wildcard match: `*` any run of characters (`/` included), `?` one character, case-sensitive."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


def _condition_holds(condition: dict[str, dict[str, Any]], keys: dict[str, str]) -> bool:
    """Every operator and key must hold; a key the request does not carry fails the condition (IAM)."""
    tests: dict[str, Callable[[str, str], bool]] = {
        "StringLike": _like,
        "StringEquals": lambda expected, actual: expected == actual,
    }
    for operator, entries in condition.items():
        if operator not in tests:
            raise AssertionError(f"the test does not know the condition operator {operator}")
        for key, expected in entries.items():
            if key not in keys or not any(tests[operator](str(e), keys[key]) for e in _listed(expected)):
                return False
    return True


def allowed(statements: list[dict[str, Any]], request: Request) -> bool:
    """An explicit Deny wins, then an Allow; nothing matching is an implicit deny."""
    action, resource, keys = request
    effects = {
        s["Effect"]
        for s in statements
        if any(_like(a, action) for a in _listed(s["Action"]))
        and any(isinstance(r, str) and _like(r, resource) for r in _listed(s["Resource"]))
        and _condition_holds(s.get("Condition", {}), keys)
    }
    return "Allow" in effects and "Deny" not in effects


def _object(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _table_of_warehouse(bucket: str) -> str:
    """The ARN of the S3 Tables table whose warehouse is `bucket` (asked of the moto server)."""
    client = boto3.client("s3tables")
    for table_bucket in client.list_table_buckets()["tableBuckets"]:
        for table in client.list_tables(tableBucketARN=table_bucket["arn"])["tables"]:
            found = client.get_table(
                tableBucketARN=table_bucket["arn"], namespace=table["namespace"][0], name=table["name"]
            )
            if found["warehouseLocation"] == f"s3://{bucket}":
                return str(found["tableARN"])
    raise AssertionError(f"no S3 Tables table has the warehouse {bucket}")


def iam_requests(operation: str, params: dict[str, Any]) -> list[Request]:
    """What AWS authorizes an S3 operation as (docs: "Actions, resources, and condition keys for Amazon S3").
    An object of an S3 Tables table's warehouse is authorized as s3tables:GetTableData / PutTableData on
    the table (docs: "Access management for S3 Tables")."""
    bucket = params.get("Bucket", "")
    key = params.get("Key", "")
    if bucket.endswith("--table-s3"):
        data = {"GetObject": "GetTableData", "HeadObject": "GetTableData", "PutObject": "PutTableData"}
        if operation not in data:
            raise AssertionError(f"S3 operation {operation} on an S3 Tables warehouse is not mapped: add it")
        return [(f"s3tables:{data[operation]}", _table_of_warehouse(bucket), {})]
    version = "Version" if params.get("VersionId") else ""
    if operation in ("GetObject", "HeadObject"):  # HeadObject needs s3:GetObject; a VersionId the version action
        return [(f"s3:GetObject{version}", _object(bucket, key), {})]
    if operation in ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
        return [("s3:PutObject", _object(bucket, key), {})]  # conditional writes (If-Match/If-None-Match) too
    if operation == "CopyObject":
        source = params["CopySource"]
        if isinstance(source, str):
            source_bucket, _, source_key = source.lstrip("/").partition("/")
        else:
            source_bucket, source_key = source["Bucket"], source["Key"]
        return [("s3:PutObject", _object(bucket, key), {}), ("s3:GetObject", _object(source_bucket, source_key), {})]
    if operation == "AbortMultipartUpload":
        return [("s3:AbortMultipartUpload", _object(bucket, key), {})]
    if operation == "DeleteObject":
        return [(f"s3:DeleteObject{version}", _object(bucket, key), {})]
    if operation == "DeleteObjects":
        return [("s3:DeleteObject", _object(bucket, o["Key"]), {}) for o in params["Delete"]["Objects"]]
    if operation in ("ListObjectsV2", "ListObjects"):
        keys = {"s3:prefix": params["Prefix"]} if "Prefix" in params else {}
        return [("s3:ListBucket", f"arn:aws:s3:::{bucket}", keys)]
    if operation == "ListObjectVersions":
        keys = {"s3:prefix": params["Prefix"]} if "Prefix" in params else {}
        return [("s3:ListBucketVersions", f"arn:aws:s3:::{bucket}", keys)]
    if operation == "HeadBucket":
        return [("s3:ListBucket", f"arn:aws:s3:::{bucket}", {})]
    if operation == "GetBucketLocation":
        return [("s3:GetBucketLocation", f"arn:aws:s3:::{bucket}", {})]
    raise AssertionError(f"S3 operation {operation} is not mapped to its IAM action: add it to iam_requests")


GLUE = f"arn:aws:glue:{REGION}:{ACCOUNT}"
LOGS = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"


def other_requests(service: str, operation: str, params: dict[str, Any]) -> list[Request]:
    """The IAM action and resources of the other services' calls the functions make (the service
    authorization reference's resource types: a Glue table call needs the catalog, database and table)."""
    if service == "logs" and operation == "DescribeLogGroups":
        return [("logs:DescribeLogGroups", f"{LOGS}*", {})]
    if service == "logs" and operation in ("DescribeLogStreams", "FilterLogEvents", "GetLogEvents"):
        return [(f"logs:{operation}", f"{LOGS}{params['logGroupName']}:*", {})]
    if service == "glue" and operation in ("GetDatabase", "CreateDatabase"):
        name = params.get("Name") or params["DatabaseInput"]["Name"]
        return [(f"glue:{operation}", r, {}) for r in (f"{GLUE}:catalog", f"{GLUE}:database/{name}")]
    if service == "glue" and operation in ("GetTable", "GetTables", "CreateTable", "UpdateTable"):
        database = params["DatabaseName"]
        table = params.get("Name") or params.get("TableInput", {}).get("Name") or "*"  # GetTables: all of them
        resources = (f"{GLUE}:catalog", f"{GLUE}:database/{database}", f"{GLUE}:table/{database}/{table}")
        return [(f"glue:{operation}", resource, {}) for resource in resources]
    if service == "athena" and operation in (
        "StartQueryExecution",
        "GetQueryExecution",
        "GetQueryResults",
        "StopQueryExecution",
        "GetWorkGroup",
    ):  # each is authorized on the workgroup the query runs in: the function's own
        workgroup = params.get("WorkGroup") or params.get("Name") or os.environ["LOGLAKE_ATHENA_WORKGROUP"]
        return [(f"athena:{operation}", f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{workgroup}", {})]
    if service == "s3tables" and operation in ("GetNamespace", "CreateNamespace", "CreateTable"):
        return [(f"s3tables:{operation}", params["tableBucketARN"], {})]  # the table bucket
    if service == "s3tables" and operation in ("GetTableMetadataLocation", "UpdateTableMetadataLocation"):
        namespace = params["namespace"]
        table = boto3.client("s3tables").get_table(
            tableBucketARN=params["tableBucketARN"], namespace=namespace, name=params["name"]
        )
        return [(f"s3tables:{operation}", str(table["tableARN"]), {})]  # the table
    raise AssertionError(f"{service} {operation} is not mapped to its IAM action: add it to other_requests")


class Recorder:
    """The calls made while `recording`: S3's as (operation, params) in `calls`, the others' in `others`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.others: list[tuple[str, str, dict[str, Any]]] = []
        self.on = False

    @contextmanager
    def recording(self) -> Iterator[list[tuple[str, dict[str, Any]]]]:
        self.calls.clear()
        self.others.clear()
        self.on = True
        try:
            yield self.calls
        finally:
            self.on = False

    def requests(self) -> list[Request]:
        return [r for operation, params in self.calls for r in iam_requests(operation, params)] + [
            r for service, operation, params in self.others for r in other_requests(service, operation, params)
        ]

    def denied(self, role: str, *, iceberg: bool = False, batched: bool = False, s3tables: bool = False) -> list[str]:
        """Each request the role does not allow, as 'action resource [s3:prefix=…]', in call order, once."""
        statements = role_statements(role, iceberg=iceberg, batched=batched, s3tables=s3tables)
        refused = []
        for action, resource, keys in self.requests():
            if not allowed(statements, (action, resource, keys)):
                shown = f"{action} {resource}" + "".join(f" {k}={v!r}" for k, v in keys.items())
                if shown not in refused:
                    refused.append(shown)
        return refused


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    original = botocore.client.BaseClient._make_api_call

    def record(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if recorder.on:
            service = client.meta.service_model.service_name
            if service == "s3":
                recorder.calls.append((operation, dict(params)))
            else:
                recorder.others.append((service, operation, dict(params)))
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return recorder


@pytest.fixture
def deployed(aws: str, monkeypatch: pytest.MonkeyPatch) -> Lake:
    """The stack's buckets and the functions' environment as the template sets them (LOGLAKE_LAKE, LOGLAKE_RAW)."""
    s3 = boto3.client("s3")
    for bucket in (RAW, LAKE, RESULTS):
        s3.create_bucket(Bucket=bucket)
    monkeypatch.setenv("LOGLAKE_LAKE", f"s3://{LAKE}")
    monkeypatch.setenv("LOGLAKE_RAW", f"s3://{RAW}")
    return open_lake(f"s3://{LAKE}", f"s3://{RAW}")


def _s3_event(lake: Lake, key: str) -> dict[str, Any]:
    event: dict[str, Any] = deepcopy(load_event("s3_object_created"))
    event["Records"][0]["s3"]["bucket"]["name"] = RAW
    event["Records"][0]["s3"]["object"]["key"] = quote_plus(lake.object_key(key), safe="/")
    return event


def _run_etl(lake: Lake, key: str) -> dict[str, Any]:
    from loglake.handlers import etl

    answer: dict[str, Any] = etl.handler(_s3_event(lake, key), context=None)
    return answer


def test_the_mapping_and_evaluation_refuse_what_iam_refuses() -> None:
    """The checker itself: a prefix condition, a missing condition key, `*` across '/', and a Deny."""
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/state/etl/*"]},
        {
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": "arn:aws:s3:::b",
            "Condition": {"StringLike": {"s3:prefix": ["raw/*"]}},
        },
        {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/state/etl/secret"},
    ]
    assert allowed(statements, iam_requests("HeadObject", {"Bucket": "b", "Key": "state/etl/a/b.json"})[0])
    assert not allowed(statements, iam_requests("GetObject", {"Bucket": "b", "Key": "state/etl/secret"})[0])
    assert not allowed(statements, iam_requests("GetObject", {"Bucket": "b", "Key": "state/etlx"})[0])
    assert not allowed(statements, iam_requests("PutObject", {"Bucket": "b", "Key": "state/etl/a"})[0])
    assert allowed(statements, iam_requests("ListObjectsV2", {"Bucket": "b", "Prefix": "raw/x/"})[0])
    assert not allowed(statements, iam_requests("ListObjectsV2", {"Bucket": "b", "Prefix": "state/"})[0])
    assert not allowed(statements, iam_requests("ListObjectsV2", {"Bucket": "b"})[0])  # no prefix: no key
    with pytest.raises(AssertionError, match="PutBucketPolicy is not mapped"):
        iam_requests("PutBucketPolicy", {"Bucket": "b"})


def test_etl_new_object_duplicate_and_quarantine(
    deployed: Lake, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    boto3.client("glue").create_database(DatabaseInput={"Name": "loglake"})
    monkeypatch.setenv("LOGLAKE_GLUE_DATABASE", "loglake")  # as the template sets it: the tables follow
    write_messages(deployed.store, "/app/a", ['{"level":"info","n":1}', "{bad json", "plain text"])
    (key,) = deployed.store.list("raw/")
    with recorder.recording():
        assert _run_etl(deployed, key) == {"processed": [key], "already_done": [], "catalog_updated": True}
    assert recorder.calls, "the ETL made no S3 call: the recorder is not wired"
    assert {operation for _service, operation, _params in recorder.others} == {"GetDatabase", "GetTable", "CreateTable"}
    assert recorder.denied("EtlRole") == []
    leases = [o for o, p in recorder.calls if p.get("Key", "").startswith("state/leases/")]
    assert leases == ["PutObject", "GetObject", "DeleteObject"]  # the object's lease, as `loglake etl` takes it
    assert len(list(deployed.store.list("quarantine/"))) == 1
    with recorder.recording():
        assert _run_etl(deployed, key)["already_done"] == [key]  # a duplicate notification
    assert recorder.denied("EtlRole") == []


def test_etl_with_iceberg_tables(deployed: Lake, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    """TableFormat=iceberg: the first object creates the Glue Iceberg table (in the database the stack
    created, without CreateDatabase), the next commits a snapshot to it, a duplicate commits nothing."""
    from loglake.lake import iceberg

    boto3.client("glue").create_database(DatabaseInput={"Name": "loglake"})
    monkeypatch.setenv("LOGLAKE_GLUE_DATABASE", "loglake")
    monkeypatch.setenv("LOGLAKE_ETL_TABLE_FORMAT", "iceberg")  # as the template sets it with TableFormat=iceberg
    write_messages(deployed.store, "/app/a", ['{"n":1}', '{"n":2}', "{bad json"], stream="s1")
    write_messages(deployed.store, "/app/a", ['{"n":3}'], stream="s2", id_prefix="f")
    first, second = sorted(deployed.store.list("raw/"))
    with recorder.recording():
        assert _run_etl(deployed, first)["processed"] == [first]
        assert _run_etl(deployed, second)["processed"] == [second]
        assert _run_etl(deployed, second)["already_done"] == [second]
    glue = [operation for _service, operation, _params in recorder.others]
    assert "CreateDatabase" not in glue and {"GetDatabase", "GetTable", "CreateTable", "UpdateTable"} <= set(glue)
    assert recorder.denied("EtlRole", iceberg=True) == []
    assert iceberg.is_iceberg(deployed.store, "logs")
    table = boto3.client("glue").get_table(DatabaseName="loglake", Name="logs")["Table"]
    location = table["Parameters"]["metadata_location"]  # the table's creation, then two commits
    assert location.startswith(f"s3://{LAKE}/clean/logs/metadata/00002-")
    assert [s[iceberg.RAW_OBJECT] for s in iceberg.snapshot_summaries(deployed.store, "logs")] == [first, second]
    with DuckDBEngine(deployed.store) as engine:
        assert engine.query("SELECT count(*), count(DISTINCT event_id) FROM logs").rows == [(3, 3)]
    assert len(list(deployed.store.list("quarantine/"))) == 1


def test_etl_with_s3tables_tables(deployed: Lake, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    """TableFormat=iceberg with a TableBucketArn: the first object creates the namespace and the table in the
    table bucket, the next commits to it, a duplicate commits nothing; every S3 Tables call and every read
    and write of the table's warehouse is allowed by the ETL role's EtlS3TablesPolicy, and none is without it."""
    from loglake.handlers.environment import lake_from_environment
    from loglake.lake import iceberg

    arn = boto3.client("s3tables").create_table_bucket(name=f"{PREFIX}-tables")["arn"]
    assert arn == VALUES["TableBucketArn"]
    boto3.client("glue").create_database(DatabaseInput={"Name": "loglake"})  # the stack's database
    monkeypatch.setenv("LOGLAKE_GLUE_DATABASE", "loglake")
    monkeypatch.setenv("LOGLAKE_ETL_TABLE_FORMAT", "iceberg")  # as the template sets them with a TableBucketArn
    monkeypatch.setenv("LOGLAKE_ICEBERG_CATALOG", "s3tables")
    monkeypatch.setenv("LOGLAKE_TABLE_BUCKET_ARN", arn)
    write_messages(deployed.store, "/app/a", ['{"n":1}', '{"n":2}', "{bad json"], stream="s1")
    write_messages(deployed.store, "/app/a", ['{"n":3}'], stream="s2", id_prefix="f")
    first, second = sorted(deployed.store.list("raw/"))
    with recorder.recording():
        assert _run_etl(deployed, first)["processed"] == [first]
        assert _run_etl(deployed, second)["processed"] == [second]
        assert _run_etl(deployed, second)["already_done"] == [second]
    calls = [operation for service, operation, _params in recorder.others if service == "s3tables"]
    assert calls[:4] == ["GetTableMetadataLocation", "GetNamespace", "CreateNamespace", "CreateTable"]
    # CreateNamespace only after GetNamespace found none, once (the first commit asks GetNamespace again)
    assert calls.count("CreateNamespace") == 1 and calls.count("GetNamespace") == 2
    assert calls.count("UpdateTableMetadataLocation") == 3  # the table's first metadata, then two commits
    assert [o for o, p in recorder.calls if p["Bucket"].endswith("--table-s3") and o == "PutObject"]
    assert recorder.denied("EtlRole", iceberg=True, s3tables=True) == []
    without = recorder.denied("EtlRole", iceberg=True)
    assert {line.split()[0] for line in without} == {
        "s3tables:GetTableMetadataLocation",
        "s3tables:GetNamespace",
        "s3tables:CreateNamespace",
        "s3tables:CreateTable",
        "s3tables:GetTableData",
        "s3tables:PutTableData",
        "s3tables:UpdateTableMetadataLocation",
    }
    glue_tables = boto3.client("glue").get_tables(DatabaseName="loglake")["TableList"]
    assert "logs" not in {t["Name"] for t in glue_tables}  # the table is S3 Tables', not a Glue one over it
    lake = lake_from_environment()
    assert [s[iceberg.RAW_OBJECT] for s in iceberg.snapshot_summaries(lake.store, "logs")] == [first, second]
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT count(*), count(DISTINCT event_id) FROM logs").rows == [(3, 3)]
    assert len(list(deployed.store.list("quarantine/"))) == 1


def _cloudwatch_raw(lake: Lake, stream: str, count: int) -> str:
    """One raw object as the CloudWatch collector writes it: its key names the stream and slice, so a rewrite
    with late events keeps the key (after tests/lake/test_compaction.py's `_raw`)."""
    key = RawKey("cloudwatch", "/app", stream, f"{T0}-{T0 + 3_600_000}-0").key
    lines = [
        orjson.dumps(
            {
                "log_group": "/app",
                "log_stream": stream,
                "event_id": f"{stream}-{i}",
                "timestamp": T0 + i,
                "ingestion_time": T0 + i,
                "message": f'{{"n": {i}}}',
                "source": "cloudwatch",
            }
        )
        for i in range(count)
    ]
    lake.store.put(key, gzip.compress(b"\n".join(lines) + b"\n"))
    return key


def test_etl_redrive_of_a_rewritten_object_after_compaction(deployed: Lake, recorder: Recorder) -> None:
    """A collector slice that gained late events, after compaction: settle_outputs takes the partition lease,
    rewrites the compacted file without the object's rows and writes the partition's record."""
    keys = [_cloudwatch_raw(deployed, f"s{n}", 3) for n in range(3)]
    for key in keys:
        assert _run_etl(deployed, key)["processed"] == [key]
    report = compact(deployed.store, ["logs"], older_than_s=0, grace_s=0)
    assert len(report.partitions) == 1
    _cloudwatch_raw(deployed, "s1", 5)
    with recorder.recording():
        assert _run_etl(deployed, keys[1])["processed"] == [keys[1]]
    written = {params["Key"].split("/")[1] for operation, params in recorder.calls if operation == "PutObject"}
    assert {"leases", "compaction", "skip_index"} <= written  # the lease, the record, the rewritten file's index
    assert recorder.denied("EtlRole") == []
    with DuckDBEngine(deployed.store) as engine:
        assert engine.query("SELECT count(*), count(DISTINCT event_id) FROM logs").rows == [(11, 11)]


VPC_HEADER = (
    "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport "
    "pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status"
)


def _vpc_record(n: int) -> str:
    """The records of tests/lake/test_stream_headers.py (ours, in the custom format of the VPC guide's header)."""
    return (
        f"3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 "
        f"123456789010 IPv4 10.0.0.{n} 10.0.1.9 {40000 + n} 443 10.0.0.{n} 10.0.1.9 6 {100 * n} {n} "
        f"{1700000000 + 60 * n} {1700000060 + 60 * n} ACCEPT 2 OK"
    )


def test_etl_of_a_vpc_header_stream_out_of_order(deployed: Lake, recorder: Recorder, tmp_path: Path) -> None:
    """Objects after the header's arrive first: the header's object records it (a CAS write in
    state/headers/) and re-processes them, listing the stream's raw objects."""
    path = tmp_path / "123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20231114T2210Z_hash.log"
    path.write_text("\n".join([VPC_HEADER, *(_vpc_record(n) for n in range(1, 6))]) + "\n")
    FileSource(deployed.store, FileSourceOptions(log_group="/vpc/custom", batch_events=2)).ingest(str(path))
    keys = sorted(list_raw_objects(deployed.store))
    assert len(keys) == 3
    with recorder.recording():
        for key in reversed(keys):
            assert _run_etl(deployed, key)["processed"] == [key]
    operations = {(operation, params.get("Key", "")[:14]) for operation, params in recorder.calls}
    assert ("PutObject", "state/headers/") in operations
    assert recorder.denied("EtlRole") == []
    with DuckDBEngine(deployed.store) as engine:
        assert engine.query("SELECT count(*) FROM vpc_flow_logs").rows == [(5,)]


def test_etl_of_an_unreadable_raw_object(deployed: Lake, recorder: Recorder) -> None:
    key = _cloudwatch_raw(deployed, "s9", 1)
    deployed.store.put(key, b"not gzip at all")
    with recorder.recording(), pytest.raises(RawObjectError, match="is not a raw batch"):
        _run_etl(deployed, key)  # the invocation fails (to the queue); `loglake verify` records it
    assert ("GetObject", deployed.object_key(key)) in [(o, p.get("Key")) for o, p in recorder.calls]
    assert recorder.denied("EtlRole") == []


def _sqs_event(lake: Lake, keys: list[str]) -> dict[str, Any]:
    """Lambda's SQS batch from the stack's queue: one message per raw object, its body the S3 notification."""
    return queued_event([_s3_event(lake, key) for key in keys])


def test_batched_etl_of_new_unreadable_and_redelivered_objects(
    deployed: Lake, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EtlBatchSize > 1: one SQS batch of three objects and an unreadable one, which is set aside (the queue's
    role policy lets the ETL list, write and clear state/unreadable/ and nothing more), then the batch
    redelivered. Each object is processed under its lease (state/leases/), as `loglake etl` takes it."""
    from loglake.handlers import etl

    boto3.client("glue").create_database(DatabaseInput={"Name": "loglake"})
    monkeypatch.setenv("LOGLAKE_GLUE_DATABASE", "loglake")
    keys = [_cloudwatch_raw(deployed, f"q{n}", 3) for n in range(3)]
    broken = _cloudwatch_raw(deployed, "q9", 1)
    deployed.store.put(broken, b"not gzip at all")
    event = _sqs_event(deployed, [*keys, broken])
    with recorder.recording():
        assert etl.handler(event, context=None) == {"batchItemFailures": []}
    assert recorder.denied("EtlRole", batched=True) == []
    [unreadable] = [p["Key"] for o, p in recorder.calls if o == "PutObject" and "/unreadable/" in p["Key"]]
    assert recorder.denied("EtlRole") == [  # only when batched: the records, listed once, and the one written
        f"s3:ListBucket arn:aws:s3:::{LAKE} s3:prefix='state/unreadable/'",
        f"s3:PutObject arn:aws:s3:::{LAKE}/{unreadable}",
    ]
    with recorder.recording():
        assert etl.handler(event, context=None) == {"batchItemFailures": []}
    assert recorder.denied("EtlRole", batched=True) == []
    queue_grants = [s for s in role_statements("EtlRole", batched=True) if any("sqs:" in a for a in s["Action"])]
    assert [(s["Action"], s["Resource"]) for s in queue_grants] == [
        (["sqs:SendMessage"], [{"Fn::GetAtt": ["FailedInvocations", "Arn"]}]),
        (["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], [{"Fn::GetAtt": ["EtlQueue", "Arn"]}]),
    ]


def test_the_template_names_the_prefixes_the_modules_use() -> None:
    """The template spells its state prefixes out (no heavy imports in it): they must stay the modules' own."""
    from loglake.deploy import template
    from loglake.lake import compaction, iceberg, skip_index, stream_headers

    assert template.SKIP_INDEX_STATE == skip_index.INDEX_PREFIX
    assert template.ICEBERG_STATE == iceberg.MARKER_PREFIX
    assert compaction.record_key("t", "p").startswith(template.COMPACTION_STATE)
    assert stream_headers._key(RawKey("file", "g", "s", "0-1")).startswith(template.HEADERS_STATE)


SCHEDULED_EVENT = {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}


def test_collector_with_its_lease_and_checkpoints(
    deployed: Lake, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loglake.handlers import collector

    logs = boto3.client("logs")
    now = int(time.time() * 1000)
    for group in ("/svc/a", "/svc/b"):
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="s")
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": now - 60_000 + i, "message": f"m{i}"} for i in range(3)],
        )
    monkeypatch.setenv("LOGLAKE_LOG_GROUPS", "/svc/*")
    with recorder.recording():
        first = collector.handler(SCHEDULED_EVENT, context=None)
        second = collector.handler(SCHEDULED_EVENT, context=None)  # nothing new: checkpoints read, nothing written
    assert (first["events"], first["objects_written"], second["objects_unchanged"]) == (6, 2, 2)
    written = {params["Key"].split("/")[1] for operation, params in recorder.calls if operation == "PutObject"}
    assert written == {"source=cloudwatch", "leases", "cloudwatch", "runs"}
    assert {operation for _service, operation, _params in recorder.others} == {"DescribeLogGroups", "FilterLogEvents"}
    assert recorder.denied("CollectorRole") == []
    statements = role_statements("CollectorRole")  # the groups' ARNs, built with Fn::Split/Join from LogGroups
    assert allowed(statements, ("logs:FilterLogEvents", f"{LOGS}/svc/a:*", {}))
    assert not allowed(statements, ("logs:FilterLogEvents", f"{LOGS}/other:*", {}))


def test_subscription_and_its_retry(deployed: Lake, recorder: Recorder) -> None:
    from loglake.handlers import subscription

    event = load_event("cloudwatch_logs_subscription")
    with recorder.recording():
        assert subscription.handler(event, context=None)["events"] == 2
        assert subscription.handler(event, context=None)["events"] == 2  # a retried invocation rewrites the key
    assert [operation for operation, _params in recorder.calls] == ["PutObject", "PutObject"]
    assert recorder.denied("SubscriptionRole") == []
    # It only ever writes: no read of the raw zone (unredacted messages), no listing of it.
    s3 = [s for s in role_statements("SubscriptionRole") if any(a.startswith("s3:") for a in s["Action"])]
    assert s3 == [{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"arn:aws:s3:::{RAW}/raw/*"]}]


def test_firehose_needs_no_more_than_the_subscription_role(deployed: Lake, recorder: Recorder) -> None:
    """The template deploys no Firehose transformation (a user's delivery stream names the function): it
    writes the raw zone as the subscription does, so the subscription role's grants are the ones to give it."""
    from loglake.handlers import firehose

    with recorder.recording():
        answer = firehose.handler(load_event("firehose_cloudwatch_logs"), context=None)
    assert [r["result"] for r in answer["records"]] == ["Dropped"] * 4
    assert len(list(deployed.store.list("raw/"))) == 3
    assert recorder.denied("SubscriptionRole") == []


CONSERVATION_COLUMNS = [
    "raw_object",
    "raw_events",
    "clean_events",
    "quarantined_events",
    "distinct_events",
    "unknown_events",
]


def _athena_answers(endpoint: str, rows: list[list[str]]) -> None:
    """The rows moto's Athena returns for the next query (as tests/handlers/test_conservation_handler.py)."""
    data = [{"Data": [{"VarCharValue": c} for c in CONSERVATION_COLUMNS]}]
    data += [{"Data": [{"VarCharValue": v} for v in row]} for row in rows]
    types = ["varchar"] + ["bigint"] * 5
    info = [{"Name": c, "Label": c, "Type": t} for c, t in zip(CONSERVATION_COLUMNS, types, strict=True)]
    body = json.dumps({"results": [{"rows": data, "column_info": info}]}).encode()
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/athena/query-results",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).close()


def test_conservation_check(deployed: Lake, recorder: Recorder, aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from loglake.handlers import conservation

    write_messages(deployed.store, "/app/a", ["one", "two", "{bad"], stream="s1")
    write_messages(deployed.store, "/app/b", ["three"], stream="s1")
    keys = sorted(deployed.store.list("raw/"))
    for key in keys:
        _run_etl(deployed, key)
    boto3.client("athena").create_work_group(
        Name=PREFIX, Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{RESULTS}/results/"}}
    )
    monkeypatch.setenv("LOGLAKE_ATHENA_WORKGROUP", PREFIX)
    monkeypatch.setenv("LOGLAKE_CONSERVATION_HOURS", "26")
    _athena_answers(aws, [[keys[0], "3", "2", "1", "3", "0"], [keys[1], "1", "1", "0", "1", "0"]])
    with recorder.recording():
        answer = conservation.handler(SCHEDULED_EVENT, context=None)
    assert (answer["ok"], answer["ok_objects"]) == (True, 2)
    written = {params["Key"] for operation, params in recorder.calls if operation == "PutObject"}
    assert written == {"state/conservation/last.json", "state/runs/verify.json"}
    assert {operation for _service, operation, _params in recorder.others} == {
        "StartQueryExecution",
        "GetQueryExecution",
        "GetQueryResults",
    }
    assert recorder.denied("ConservationRole") == []


def test_iceberg_maintenance(deployed: Lake, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its own calls: Glue's table list, Athena's queries in the stack's workgroup, its run record. (What Athena
    then reads, writes and deletes with the role, under clean/, is granted in the template: AWS's OPTIMIZE
    and VACUUM pages; moto runs no query.)"""
    from loglake.handlers import maintenance

    glue = boto3.client("glue")
    glue.create_database(DatabaseInput={"Name": "loglake"})
    for name, parameters in (
        ("logs", {"table_type": "ICEBERG", "metadata_location": f"s3://{LAKE}/clean/logs/metadata/1.metadata.json"}),
        ("vpc_flow_logs", {"EXTERNAL": "TRUE"}),
    ):
        glue.create_table(DatabaseName="loglake", TableInput={"Name": name, "Parameters": parameters})
    boto3.client("athena").create_work_group(
        Name=PREFIX, Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{RESULTS}/results/"}}
    )
    monkeypatch.setenv("LOGLAKE_ATHENA_WORKGROUP", PREFIX)
    monkeypatch.setenv("LOGLAKE_GLUE_DATABASE", "loglake")
    with recorder.recording():
        answer = maintenance.handler(SCHEDULED_EVENT, context=None)
    assert (answer["tables"], answer["statements"]) == (["logs"], 3)
    assert [(operation, params["Key"]) for operation, params in recorder.calls] == [
        ("PutObject", "state/runs/maintenance.json")
    ]
    assert [operation for _service, operation, _params in recorder.others if operation != "GetQueryExecution"] == [
        "GetTables",
        *["StartQueryExecution", "GetQueryResults"] * 3,
    ]
    assert recorder.denied("MaintenanceRole") == []
    # What it may not do: touch the raw zone, other state, or a table's definition beyond a commit.
    statements = role_statements("MaintenanceRole")
    assert not allowed(statements, ("s3:GetObject", _object(RAW, "raw/x.json.gz"), {}))
    assert not allowed(statements, ("s3:DeleteObject", _object(LAKE, "state/etl/x.json"), {}))
    assert not allowed(statements, ("glue:DeleteTable", f"{GLUE}:table/loglake/logs", {}))
    assert allowed(statements, ("s3:DeleteObject", _object(LAKE, "clean/logs/dt=2026-11-29/hour=01/a.parquet"), {}))
    assert allowed(statements, ("glue:UpdateTable", f"{GLUE}:table/loglake/logs", {}))
