"""The CloudFormation template of a deployed lake, built as data so that every log group can get its own
subscription filter (plain CloudFormation has no loops, and SAM's transform does not run everywhere).

Security defaults: every bucket is encrypted (SSE-S3, or KMS with KmsKeyArn), blocks public access,
enforces bucket-owner ownership and denies any request without TLS 1.2+. Each function has its own role
that names only the prefixes and log groups it works on (see docs/deploy.md for the table). People get
one of two managed policies: QueryPolicy (analysts: the clean zone and quarantine, never the raw zone,
which redaction does not touch) or RawQueryPolicy (pipeline operators: the same plus raw/ and raw_events).

Sizing: the ETL processed a 50,000-event raw object in about 0.8 s on one core in
benchmarks/etl_throughput.py, so 1,769 MB (one full vCPU) and a 120 s timeout leave two orders of
magnitude of headroom for the 8 MiB objects the sources write.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from loglake.catalog.glue_names import GLUE_DATABASE_PATTERN, GLUE_DATABASE_RULE
from loglake.errors import ConfigError
from loglake.lake.formats import DEFAULT_FORMAT
from loglake.lake.keys import CLEAN_PREFIX, QUARANTINE_PREFIX, RAW_PREFIX, SCHEMA_PREFIX, STATE_PREFIX
from loglake.lake.s3_store import LEASE_PREFIX

ETL_STATE = f"{STATE_PREFIX}etl/"
COLLECTOR_STATE = f"{STATE_PREFIX}cloudwatch/"
HEADERS_STATE = f"{STATE_PREFIX}headers/"  # lake/stream_headers.py
COMPACTION_STATE = f"{STATE_PREFIX}compaction/"  # lake/compaction.py record_key
SKIP_INDEX_STATE = f"{STATE_PREFIX}skip_index/"  # lake/skip_index.py INDEX_PREFIX
ICEBERG_STATE = f"{STATE_PREFIX}iceberg/tables/"  # lake/iceberg.py MARKER_PREFIX
RAW_SUFFIX = ".json.gz"

ETL_HANDLER = "loglake.handlers.etl.handler"
COLLECTOR_HANDLER = "loglake.handlers.collector.handler"
SUBSCRIPTION_HANDLER = "loglake.handlers.subscription.handler"

_LOG_GROUP_NAME = re.compile(r"^[\w\-/.#]{1,512}$")

Json = dict[str, Any]


def _sub(text: str) -> Json:
    return {"Fn::Sub": text}


def _ref(name: str) -> Json:
    return {"Ref": name}


def _if_kms(with_kms: Any, without: Any) -> Json:
    return {"Fn::If": ["UseKms", with_kms, without]}


TABLE_BUCKET_ARN_PATTERN = r"^$|^arn:aws[a-z-]*:s3tables:[a-z0-9-]+:[0-9]{12}:bucket/[a-z0-9][a-z0-9-]{1,61}$"
"""The TableBucketArn parameter's pattern (CloudFormation's regex dialect): what lake/table_bucket_store.py
accepts, or empty."""


def _statement(actions: list[str], resources: Any, condition: Json | None = None) -> Json:
    statement: Json = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def _skip(*checks: tuple[str, str]) -> Json:
    """checkov suppressions, each with the reason it is acceptable (shown by checkov and in the template)."""
    return {"checkov": {"skip": [{"id": check, "comment": why} for check, why in checks]}}


RAW_BUCKET = "${NamePrefix}-raw-${AWS::AccountId}-${AWS::Region}"
LAKE_BUCKET = "${NamePrefix}-lake-${AWS::AccountId}-${AWS::Region}"
RESULTS_BUCKET = "${NamePrefix}-athena-${AWS::AccountId}-${AWS::Region}"


def _object_arns(bucket: str, prefixes: Iterable[str]) -> list[Json]:
    return [_sub(f"arn:${{AWS::Partition}}:s3:::{bucket}/{prefix}*") for prefix in prefixes]


def _bucket_arn(bucket: str) -> Json:
    return _sub(f"arn:${{AWS::Partition}}:s3:::{bucket}")


def _list_under(bucket: str, prefixes: Iterable[str]) -> Json:
    return _statement(
        ["s3:ListBucket"], _bucket_arn(bucket), {"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}}
    )


KMS_USE = _statement(["kms:Decrypt", "kms:GenerateDataKey"], _ref("KmsKeyArn"))


def _kms_policy(roles: list[str]) -> Json:
    """The key's use, as its own policy that only exists with KmsKeyArn (no conditional list items)."""
    return {
        "Type": "AWS::IAM::Policy",
        "Condition": "UseKms",
        "Properties": {
            "PolicyName": "loglake-kms",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [KMS_USE]},
            "Roles": [_ref(role) for role in roles],
        },
    }


def _bucket(name: str, lifecycle_rules: list[Json], extra: Json | None = None, noncurrent_days: Any = 7) -> Json:
    """`noncurrent_days`: how long an overwritten or expired version stays recoverable."""
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Metadata": _skip(
            ("CKV_AWS_18", "Server access logging is left to the account's CloudTrail data events or log bucket."),
            (
                "CKV_AWS_19",
                "SSEAlgorithm is Fn::If between aws:kms and AES256, which checkov cannot resolve; both encrypt.",
            ),
        ),
        "Properties": {
            "BucketName": _sub(name),
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": _if_kms("aws:kms", "AES256"),
                            "KMSMasterKeyID": _if_kms(_ref("KmsKeyArn"), _ref("AWS::NoValue")),
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "VersioningConfiguration": {"Status": "Enabled"},
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "tidy-versions-and-uploads",
                        "Status": "Enabled",
                        "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_days},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    },
                    *lifecycle_rules,
                ]
            },
            **(extra or {}),
        },
    }


def _tls_only_policy(bucket_resource: str, name: str) -> Json:
    arns = [_bucket_arn(name), _sub(f"arn:${{AWS::Partition}}:s3:::{name}/*")]
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": _ref(bucket_resource),
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyWithoutTls",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": arns,
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    {
                        "Sid": "DenyOldTls",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": arns,
                        "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
                    },
                ],
            },
        },
    }


def _role(name: str, statements: list[Any], log_group: str) -> Json:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": name,
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            _statement(
                                ["logs:CreateLogStream", "logs:PutLogEvents"],
                                {"Fn::GetAtt": [log_group, "Arn"]},
                            ),
                            _statement(["sqs:SendMessage"], {"Fn::GetAtt": ["FailedInvocations", "Arn"]}),
                            *statements,
                        ],
                    },
                }
            ],
        },
    }


def _log_group(function_name: str) -> Json:
    return {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Metadata": _skip(
            ("CKV_AWS_158", "Function logs hold loglake's own progress lines, never log data or credentials."),
            ("CKV_AWS_338", "Retention is the LogRetentionDays parameter; a year of debug output is rarely wanted."),
        ),
        "Properties": {
            "LogGroupName": _sub(f"/aws/lambda/{function_name}"),
            "RetentionInDays": _ref("LogRetentionDays"),
        },
    }


def _function(
    name: str, handler: str, role: str, log_group: str, memory: Any, timeout: Any, concurrency: Any, env: Json
) -> Json:
    return {
        "Type": "AWS::Lambda::Function",
        "Metadata": _skip(
            (
                "CKV_AWS_117",
                "The functions only call AWS APIs; a VPC would add NAT or endpoint costs and no isolation.",
            ),
            (
                "CKV_AWS_173",
                "The environment holds bucket, log group, secret and parameter names only, never a secret.",
            ),
        ),
        "Properties": {
            "FunctionName": _sub(name),
            "Description": f"loglake {handler}",
            "Runtime": _ref("Runtime"),
            "Architectures": [_ref("Architecture")],
            "Handler": handler,
            "Code": {"S3Bucket": _ref("ArtifactBucket"), "S3Key": _ref("ArtifactKey")},
            "Role": {"Fn::GetAtt": [role, "Arn"]},
            "MemorySize": memory,
            "Timeout": timeout,
            "ReservedConcurrentExecutions": concurrency,
            "DeadLetterConfig": {"TargetArn": {"Fn::GetAtt": ["FailedInvocations", "Arn"]}},
            "TracingConfig": {"Mode": "PassThrough"},
            "LoggingConfig": {"LogGroup": _ref(log_group), "LogFormat": "Text"},
            "KmsKeyArn": _if_kms(_ref("KmsKeyArn"), _ref("AWS::NoValue")),
            "Environment": {
                "Variables": {
                    "LOGLAKE_LAKE": _sub(f"s3://{LAKE_BUCKET}"),
                    "LOGLAKE_RAW": _sub(f"s3://{RAW_BUCKET}"),
                    "LOGLAKE_METRICS_NAMESPACE": _ref("NamePrefix"),  # the EMF metrics' (handlers/metrics.py)
                    **env,
                }
            },
        },
    }


def _log_group_arns(groups: Json) -> Json:
    """Both ARN forms of each configured group (`...:log-group:NAME` and `...:NAME:*`), from a list."""
    head = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    joined = {"Fn::Join": [f":*,{head}", groups]}
    return {"Fn::Split": [",", {"Fn::Sub": [f"{head}${{Groups}}:*", {"Groups": joined}]}]}


PARAMETERS: Json = {
    "NamePrefix": {
        "Type": "String",
        "Default": "loglake",
        "AllowedPattern": "^[a-z0-9][a-z0-9-]{1,24}$",
        "Description": "Lower-case prefix of bucket, function and workgroup names.",
    },
    "LogGroups": {
        "Type": "CommaDelimitedList",
        "Description": "Log groups the collector pulls: names, or prefixes ending in '*'.",
    },
    "CollectorRate": {"Type": "String", "Default": "rate(5 minutes)"},
    "ArtifactBucket": {"Type": "String", "Description": "Bucket holding the Lambda artifact (loglake package)."},
    "ArtifactKey": {"Type": "String", "Description": "Key of the Lambda artifact zip."},
    "Runtime": {"Type": "String", "Default": "python3.12", "AllowedValues": ["python3.12", "python3.13"]},
    "Architecture": {"Type": "String", "Default": "x86_64", "AllowedValues": ["x86_64", "arm64"]},
    "KmsKeyArn": {
        "Type": "String",
        "Default": "",
        "Description": "Optional KMS key for buckets, function environments and Athena results; SSE-S3 if empty.",
    },
    "RawTransitionDays": {"Type": "Number", "Default": 30, "MinValue": 30},
    "RawExpirationDays": {"Type": "Number", "Default": 365, "MinValue": 31},
    "QueryResultExpirationDays": {"Type": "Number", "Default": 7, "MinValue": 1},
    "FailedInvocationRetentionSeconds": {
        "Type": "Number",
        "Default": 345600,
        "MinValue": 60,
        "MaxValue": 1209600,
        "Description": (
            "How long the FailedInvocations queue keeps an event (default 4 days). A failed subscription event "
            "holds the log messages themselves, unredacted."
        ),
    },
    "EtlReservedConcurrency": {"Type": "Number", "Default": 10, "MinValue": 1},
    "EtlMemorySize": {"Type": "Number", "Default": 1769, "MinValue": 512, "MaxValue": 10240},
    "EtlTimeout": {"Type": "Number", "Default": 120, "MinValue": 10, "MaxValue": 900},
    "CollectorTimeout": {"Type": "Number", "Default": 300, "MinValue": 30, "MaxValue": 900},
    "LogRetentionDays": {
        "Type": "Number",
        "Default": 30,
        "AllowedValues": [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653],
    },
    "GlueDatabase": {
        "Type": "String",
        "Default": "loglake",
        "AllowedPattern": GLUE_DATABASE_PATTERN,  # catalog/glue_names.py: Athena's VACUUM takes no quoting
        "ConstraintDescription": GLUE_DATABASE_RULE,
    },
    "EtlRoutes": {
        "Type": "String",
        "Default": "[]",
        "Description": "JSON list of routes (log group glob -> format and/or table), as [etl] routes.",
    },
    "EtlMaxColumns": {
        "Type": "String",  # Lambda environment values are strings (a Number's Ref is one on AWS, not in moto)
        "Default": "500",
        "AllowedPattern": "^[1-9][0-9]{0,4}$",
        "Description": "Columns a table may take from JSON and logfmt keys, as [etl] max_columns (the rest: extra).",
    },
    "EtlRedact": {
        "Type": "String",
        "Default": "[]",
        "Description": (
            "JSON list of redaction rules, as [etl] redact. A rule in hash mode needs the secret key: set "
            "RedactKeySecretArn or RedactKeyParameterName, or every ETL invocation fails (ConfigError) and its "
            "event goes to the FailedInvocations queue. QueryPolicy lets analysts read quarantine: a quarantined "
            "line is redacted by the rules on the message of the table it was bound for, or on table quarantine."
        ),
    },
    "RedactKeySecretArn": {
        "Type": "String",
        "Default": "",
        "AllowedPattern": r"^$|^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$",
        "Description": (
            "Optional: the full ARN (with its random suffix) of a Secrets Manager secret, in this account and "
            "region, whose SecretString is the key of hash-mode redaction. The ETL gets it as "
            "LOGLAKE_REDACT_KEY_SECRET and may read that secret only."
        ),
    },
    "RedactKeyParameterName": {
        "Type": "String",
        "Default": "",
        "AllowedPattern": r"^$|^(/[A-Za-z0-9_.-]+)+$",
        "Description": (
            "Optional: the name, starting with '/', of an SSM SecureString parameter in this account and region "
            "holding the key of hash-mode redaction. The ETL gets it as LOGLAKE_REDACT_KEY_PARAMETER and may read "
            "that parameter only."
        ),
    },
    "TableFormat": {
        "Type": "String",
        "Default": "hive",
        "AllowedValues": ["hive", "iceberg"],
        "Description": (
            "How the ETL commits the clean zone: hive (Parquet partitions, Glue partition projection) or iceberg "
            "(Iceberg tables in the Glue database; needs the artifact of `loglake package --iceberg`)."
        ),
    },
    "TableBucketArn": {
        "Type": "String",
        "Default": "",
        "AllowedPattern": TABLE_BUCKET_ARN_PATTERN,
        "Description": (
            "Optional, with TableFormat=iceberg: the ARN of an S3 table bucket (arn:aws:s3tables:<region>:<account>:"
            "bucket/<name>). New Iceberg tables are then created there (namespace: the Glue database's name) "
            "instead of in the Glue Data Catalog; S3 Tables compacts and expires them itself."
        ),
    },
    "BytesScannedCutoffPerQuery": {
        "Type": "Number",
        "Default": 10737418240,
        "MinValue": 10000000,
        "Description": "Athena cancels a query that would scan more than this many bytes (default 10 GiB).",
    },
}


def _etl_resources() -> Json:
    lake_prefixes = [CLEAN_PREFIX, QUARANTINE_PREFIX, SCHEMA_PREFIX, ETL_STATE]
    # Read and compare-and-swap written on every object: a stream's remembered header (lake/stream_headers.py)
    # and an hour's compaction record (lake/compaction.py settle_outputs, under the partition's lease).
    shared_state = [HEADERS_STATE, COMPACTION_STATE]
    statements = [
        _statement(["s3:GetObject"], _object_arns(RAW_BUCKET, [RAW_PREFIX])),
        _list_under(RAW_BUCKET, [RAW_PREFIX]),
        _statement(["s3:GetObject", "s3:PutObject"], _object_arns(LAKE_BUCKET, lake_prefixes + shared_state)),
        # replaced outputs go, with their skip index (lake/skip_index.py); a lease is freed by its holder
        _statement(["s3:DeleteObject"], _object_arns(LAKE_BUCKET, [CLEAN_PREFIX, QUARANTINE_PREFIX, SKIP_INDEX_STATE])),
        _statement(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], _object_arns(LAKE_BUCKET, [LEASE_PREFIX])),
        # whether a table is an Iceberg table (lake/iceberg.py's marker), looked up on every commit
        _statement(["s3:GetObject"], _object_arns(LAKE_BUCKET, [ICEBERG_STATE])),
        _list_under(LAKE_BUCKET, lake_prefixes),
        _statement(["s3:PutObject"], _object_arns(LAKE_BUCKET, [SKIP_INDEX_STATE, f"{STATE_PREFIX}runs/etl.json"])),
        _statement(["glue:GetDatabase", "glue:GetTable", "glue:CreateTable", "glue:UpdateTable"], glue_arns()),
    ]
    return {
        "EtlLogGroup": _log_group("${NamePrefix}-etl"),
        "EtlRole": _role("loglake-etl", statements, "EtlLogGroup"),
        "EtlFunction": _function(
            "${NamePrefix}-etl",
            ETL_HANDLER,
            "EtlRole",
            "EtlLogGroup",
            _ref("EtlMemorySize"),
            _ref("EtlTimeout"),
            _ref("EtlReservedConcurrency"),
            {
                "LOGLAKE_GLUE_DATABASE": _ref("GlueDatabase"),
                "LOGLAKE_ETL_FORMAT": DEFAULT_FORMAT,
                "LOGLAKE_ETL_ROUTES": _ref("EtlRoutes"),
                "LOGLAKE_ETL_MAX_COLUMNS": _ref("EtlMaxColumns"),
                "LOGLAKE_ETL_REDACT": _ref("EtlRedact"),
                "LOGLAKE_REDACT_KEY_SECRET": {
                    "Fn::If": ["UseRedactKeySecret", _ref("RedactKeySecretArn"), _ref("AWS::NoValue")]
                },
                "LOGLAKE_REDACT_KEY_PARAMETER": {
                    "Fn::If": ["UseRedactKeyParameter", _ref("RedactKeyParameterName"), _ref("AWS::NoValue")]
                },
                # unset on a hive stack, so its function's configuration stays what it was before TableFormat
                "LOGLAKE_ETL_TABLE_FORMAT": {"Fn::If": ["UseIceberg", "iceberg", _ref("AWS::NoValue")]},
                # only with TableFormat=iceberg and a TableBucketArn (lake/iceberg_s3tables.py)
                "LOGLAKE_ICEBERG_CATALOG": {"Fn::If": ["UseS3Tables", "s3tables", _ref("AWS::NoValue")]},
                "LOGLAKE_TABLE_BUCKET_ARN": {"Fn::If": ["UseS3Tables", _ref("TableBucketArn"), _ref("AWS::NoValue")]},
            },
        ),
        "EtlInvokePermission": {
            "Type": "AWS::Lambda::Permission",
            "Condition": "DirectEtl",  # S3 invokes the function only without the queue (deploy/etl_queue.py)
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Fn::GetAtt": ["EtlFunction", "Arn"]},
                "Principal": "s3.amazonaws.com",
                "SourceArn": _bucket_arn(RAW_BUCKET),
                "SourceAccount": _ref("AWS::AccountId"),
            },
        },
    }


def _etl_iceberg_policy() -> Json:
    """What an Iceberg commit adds to the ETL role, only with TableFormat=iceberg: a new table's marker (the
    role may read markers already), and the metadata and manifest files it writes under clean/ are covered by
    the role's clean/ grants. Glue: the same table calls as a hive stack's; no CreateDatabase (the stack
    creates the database, lake/iceberg_glue.py only creates one that does not exist)."""
    return {
        "Type": "AWS::IAM::Policy",
        "Condition": "UseIceberg",
        "Properties": {
            "PolicyName": "loglake-etl-iceberg",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [_statement(["s3:PutObject"], _object_arns(LAKE_BUCKET, [ICEBERG_STATE]))],
            },
            "Roles": [_ref("EtlRole")],
        },
    }


def _etl_s3tables_policy() -> Json:
    """What the ETL needs of S3 Tables, only with a TableBucketArn, on that table bucket alone: the namespace
    and table of a new table (created by its first object), then each commit's pointer read and
    compare-and-swap; reads and writes of a table's files (its warehouse) are authorized by AWS as
    s3tables:GetTableData / PutTableData on the table, not as s3:GetObject / PutObject."""
    bucket = _ref("TableBucketArn")
    tables = {"Fn::Sub": "${TableBucketArn}/table/*"}
    return {
        "Type": "AWS::IAM::Policy",
        "Condition": "UseS3Tables",
        "Properties": {
            "PolicyName": "loglake-etl-s3tables",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    _statement(["s3tables:GetNamespace", "s3tables:CreateNamespace", "s3tables:CreateTable"], [bucket]),
                    _statement(
                        [
                            "s3tables:GetTableMetadataLocation",
                            "s3tables:UpdateTableMetadataLocation",
                            "s3tables:GetTableData",
                            "s3tables:PutTableData",
                        ],
                        [tables],
                    ),
                ],
            },
            "Roles": [_ref("EtlRole")],
        },
    }


REDACT_KEY_PARAMETER_ARN = (
    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${RedactKeyParameterName}"
)


def _redact_key_policy(condition: str, action: str, resource: Json, service: str, context: Json) -> Json:
    """The ETL may read exactly the one secret or parameter named, and decrypt it only through that
    service and for that secret or parameter (kms:ViaService and the encryption context the service sets)."""
    return {
        "Type": "AWS::IAM::Policy",
        "Condition": condition,
        "Properties": {
            "PolicyName": f"loglake-redact-key-{service}",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    _statement([action], resource),
                    _statement(
                        ["kms:Decrypt"],
                        _sub("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"),
                        {
                            "StringEquals": {
                                "kms:ViaService": _sub(f"{service}.${{AWS::Region}}.amazonaws.com"),
                                **context,
                            }
                        },
                    ),
                ],
            },
            "Roles": [_ref("EtlRole")],
        },
    }


def _redact_key_resources() -> Json:
    secret = _ref("RedactKeySecretArn")
    parameter = _sub(REDACT_KEY_PARAMETER_ARN)
    return {
        "RedactKeySecretPolicy": _redact_key_policy(
            "UseRedactKeySecret",
            "secretsmanager:GetSecretValue",
            secret,
            "secretsmanager",
            {"kms:EncryptionContext:SecretARN": secret},
        ),
        "RedactKeyParameterPolicy": _redact_key_policy(
            "UseRedactKeyParameter",
            "ssm:GetParameter",
            parameter,
            "ssm",
            {"kms:EncryptionContext:PARAMETER_ARN": parameter},
        ),
    }


def _collector_resources() -> Json:
    statements = [
        _statement(
            ["logs:DescribeLogGroups"],
            _sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"),
        ),
        _statement(
            ["logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents"],
            _log_group_arns(_ref("LogGroups")),
        ),
        _statement(["s3:GetObject", "s3:PutObject"], _object_arns(RAW_BUCKET, [RAW_PREFIX])),
        _list_under(RAW_BUCKET, [RAW_PREFIX]),
        _statement(["s3:GetObject", "s3:PutObject"], _object_arns(LAKE_BUCKET, [COLLECTOR_STATE])),
        _list_under(LAKE_BUCKET, [COLLECTOR_STATE]),
        _statement(["s3:PutObject"], _object_arns(LAKE_BUCKET, [f"{STATE_PREFIX}runs/collect.json"])),
        # the lease per log group `loglake collect` also takes (lake/s3_store.py), and nothing else to delete
        _statement(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], _object_arns(LAKE_BUCKET, [LEASE_PREFIX])),
    ]
    return {
        "CollectorLogGroup": _log_group("${NamePrefix}-collector"),
        "CollectorRole": _role("loglake-collector", statements, "CollectorLogGroup"),
        "CollectorFunction": _function(
            "${NamePrefix}-collector",
            COLLECTOR_HANDLER,
            "CollectorRole",
            "CollectorLogGroup",
            512,
            _ref("CollectorTimeout"),
            1,  # one run at a time: the checkpoint is per log group
            {"LOGLAKE_LOG_GROUPS": {"Fn::Join": [",", _ref("LogGroups")]}},
        ),
        "CollectorSchedule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": "Pull the configured log groups into the raw zone",
                "ScheduleExpression": _ref("CollectorRate"),
                "State": "ENABLED",
                "Targets": [{"Id": "collector", "Arn": {"Fn::GetAtt": ["CollectorFunction", "Arn"]}}],
            },
        },
        "CollectorInvokePermission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Fn::GetAtt": ["CollectorFunction", "Arn"]},
                "Principal": "events.amazonaws.com",
                "SourceArn": {"Fn::GetAtt": ["CollectorSchedule", "Arn"]},
            },
        },
    }


def _subscription_resources(groups: list[str]) -> Json:
    """Real-time delivery: one subscription filter per named log group, into one function."""
    if not groups:
        return {}
    group_arns = [
        _sub(f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{g}:*") for g in groups
    ]
    # It only writes raw batches (sources/cloudwatch_subscription.py write_payload): no read, no listing.
    statements = [_statement(["s3:PutObject"], _object_arns(RAW_BUCKET, [RAW_PREFIX]))]
    resources: Json = {
        "SubscriptionLogGroup": _log_group("${NamePrefix}-subscription"),
        "SubscriptionRole": _role("loglake-subscription", statements, "SubscriptionLogGroup"),
        "SubscriptionFunction": _function(
            "${NamePrefix}-subscription",
            SUBSCRIPTION_HANDLER,
            "SubscriptionRole",
            "SubscriptionLogGroup",
            512,
            60,
            _ref("EtlReservedConcurrency"),
            {},
        ),
    }
    for index, (group, arn) in enumerate(zip(groups, group_arns, strict=True)):
        resources[f"SubscriptionPermission{index}"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Fn::GetAtt": ["SubscriptionFunction", "Arn"]},
                "Principal": "logs.amazonaws.com",
                "SourceArn": arn,
                "SourceAccount": _ref("AWS::AccountId"),
            },
        }
        resources[f"SubscriptionFilter{index}"] = {
            "Type": "AWS::Logs::SubscriptionFilter",
            "DependsOn": [f"SubscriptionPermission{index}"],
            "Properties": {
                "LogGroupName": group,
                "FilterPattern": "",
                "DestinationArn": {"Fn::GetAtt": ["SubscriptionFunction", "Arn"]},
            },
        }
    return resources


def _catalog_resources() -> Json:
    return {
        "GlueDatabaseResource": {
            "Type": "AWS::Glue::Database",
            "Properties": {
                "CatalogId": _ref("AWS::AccountId"),
                "DatabaseInput": {"Name": _ref("GlueDatabase"), "Description": "loglake clean tables"},
            },
        },
        "AthenaWorkGroup": {
            "Type": "AWS::Athena::WorkGroup",
            "Properties": {
                "Name": _ref("NamePrefix"),
                "Description": "loglake queries, with a bytes-scanned cutoff",
                "State": "ENABLED",
                "WorkGroupConfiguration": {
                    "EnforceWorkGroupConfiguration": True,
                    "PublishCloudWatchMetricsEnabled": True,
                    "BytesScannedCutoffPerQuery": _ref("BytesScannedCutoffPerQuery"),
                    "ResultConfiguration": {
                        "OutputLocation": _sub(f"s3://{RESULTS_BUCKET}/results/"),
                        "EncryptionConfiguration": _if_kms(
                            {"EncryptionOption": "SSE_KMS", "KmsKey": _ref("KmsKeyArn")},
                            {"EncryptionOption": "SSE_S3"},
                        ),
                    },
                },
            },
        },
        "QueryPolicy": _query_policy(
            "Analysts: query the clean tables and quarantine through the loglake workgroup; no raw zone",
            raw=False,
        ),
        "RawQueryPolicy": _query_policy(
            "Pipeline operators, instead of QueryPolicy: everything it allows, plus the raw zone and raw_events",
            raw=True,
        ),
    }


GLUE_READS = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"]
GLUE_TABLE_READS = [
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetTableVersion",
    "glue:GetTableVersions",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
]


def glue_arns() -> list[Json]:
    """The Glue catalog, the stack's database and its tables: a table call is authorized on all three."""
    return [
        _sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog"),
        _sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:database/${GlueDatabase}"),
        _sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/${GlueDatabase}/*"),
    ]


def athena_query_statements() -> list[Json]:
    """What running Athena queries needs, for people's policies and the conservation and maintenance functions
    alike: the stack's workgroup, reads of the Glue database's catalog, and the query results under results/."""
    workgroup_arn = _sub("arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/${NamePrefix}")
    glue = glue_arns()
    return [
        _statement(
            [
                "athena:StartQueryExecution",
                "athena:GetQueryExecution",
                "athena:GetQueryResults",
                "athena:StopQueryExecution",
                "athena:GetWorkGroup",
            ],
            workgroup_arn,
        ),
        _statement(GLUE_READS, glue),
        _statement(
            ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"], _object_arns(RESULTS_BUCKET, ["results/"])
        ),
    ]


def _query_policy(description: str, *, raw: bool) -> Json:
    """A managed policy for people who query. Without `raw`, the raw zone (the original, unredacted
    messages) is neither readable in S3 nor visible as the raw_events table: an explicit Deny, so Glue's
    GetTables leaves it out too. Give a person one of the two policies, not both: the Deny would win."""
    raw_table = _sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/${GlueDatabase}/raw_events")
    readable = _object_arns(LAKE_BUCKET, [CLEAN_PREFIX, QUARANTINE_PREFIX])
    buckets = [_bucket_arn(LAKE_BUCKET)]
    if raw:
        readable += _object_arns(RAW_BUCKET, [RAW_PREFIX])
        buckets.append(_bucket_arn(RAW_BUCKET))
    statements = [
        *athena_query_statements(),
        _statement(["s3:GetObject"], readable),
        _statement(["s3:ListBucket", "s3:GetBucketLocation"], buckets),
        _statement(["s3:ListBucket", "s3:GetBucketLocation"], _bucket_arn(RESULTS_BUCKET)),
    ]
    if not raw:
        statements.append(
            {"Sid": "NoRawEventsTable", "Effect": "Deny", "Action": GLUE_TABLE_READS, "Resource": raw_table}
        )
    return {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "Description": description,
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
        },
    }


def _storage_resources() -> Json:
    raw_rules = [
        {
            "Id": "raw-zone-ageing",
            "Status": "Enabled",
            "Prefix": RAW_PREFIX,
            "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": _ref("RawTransitionDays")}],
            "ExpirationInDays": _ref("RawExpirationDays"),
        }
    ]
    from loglake.deploy import etl_queue

    rules = [{"Name": "prefix", "Value": RAW_PREFIX}, {"Name": "suffix", "Value": RAW_SUFFIX}]
    raw_filter = {"S3Key": {"Rules": rules}}
    direct = {
        "LambdaConfigurations": [
            {"Event": "s3:ObjectCreated:*", "Function": {"Fn::GetAtt": ["EtlFunction", "Arn"]}, "Filter": raw_filter}
        ]
    }
    notification = {"NotificationConfiguration": etl_queue.notification(raw_filter, direct)}
    results_rules = [
        {"Id": "expire-results", "Status": "Enabled", "ExpirationInDays": _ref("QueryResultExpirationDays")}
    ]
    # An overwrite (any role that may put raw/*) keeps the old version for the raw retention: no role can
    # shorten the raw zone's life by rewriting it. An expired object also stays that long as a noncurrent version.
    raw_bucket = _bucket(RAW_BUCKET, raw_rules, notification, noncurrent_days=_ref("RawExpirationDays"))
    raw_bucket["DependsOn"] = ["EtlNotificationTarget"]  # the Lambda permission or the queue policy
    return {
        "RawBucket": raw_bucket,
        "RawBucketPolicy": _tls_only_policy("RawBucket", RAW_BUCKET),
        "LakeBucket": _bucket(LAKE_BUCKET, []),
        "LakeBucketPolicy": _tls_only_policy("LakeBucket", LAKE_BUCKET),
        "ResultsBucket": _bucket(RESULTS_BUCKET, results_rules),
        "ResultsBucketPolicy": _tls_only_policy("ResultsBucket", RESULTS_BUCKET),
        "FailedInvocations": {
            "Type": "AWS::SQS::Queue",
            "Metadata": _skip(
                ("CKV_AWS_27", "KmsKeyArn's key when given, else SSE-SQS (Fn::If, which checkov cannot resolve).")
            ),
            "Properties": {
                "MessageRetentionPeriod": _ref("FailedInvocationRetentionSeconds"),
                # Failed subscription events are log messages: the stack's key encrypts them when there is one.
                "KmsMasterKeyId": _if_kms(_ref("KmsKeyArn"), _ref("AWS::NoValue")),
                "SqsManagedSseEnabled": _if_kms(_ref("AWS::NoValue"), True),
            },
        },
    }


OUTPUTS: Json = {
    "RawBucketName": {"Value": _ref("RawBucket")},
    "LakeBucketName": {"Value": _ref("LakeBucket")},
    "ResultsBucketName": {"Value": _ref("ResultsBucket")},
    "LakeLocation": {"Value": _sub(f"s3://{LAKE_BUCKET}")},
    "RawLocation": {"Value": _sub(f"s3://{RAW_BUCKET}")},
    "EtlFunctionName": {"Value": _ref("EtlFunction")},
    "CollectorFunctionName": {"Value": _ref("CollectorFunction")},
    "GlueDatabaseName": {"Value": _ref("GlueDatabase")},
    "AthenaWorkGroupName": {"Value": _ref("AthenaWorkGroup")},
    "QueryPolicyArn": {"Value": _ref("QueryPolicy")},
    "RawQueryPolicyArn": {"Value": _ref("RawQueryPolicy")},
    "FailedInvocationsQueueUrl": {"Value": _ref("FailedInvocations")},
}


def build_template(subscribe: Iterable[str] = ()) -> Json:
    """The stack's template; `subscribe` names the log groups that also get a real-time subscription filter."""
    from loglake.deploy import etl_queue, operations  # they use this module's parts

    groups = list(dict.fromkeys(subscribe))
    for group in groups:
        if not _LOG_GROUP_NAME.match(group):
            raise ConfigError(f"{group!r} is not a CloudWatch log group name (letters, digits, _-/.# only)")
    return copy.deepcopy(
        {  # the parts are module constants: a caller editing its template must not change them
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": "loglake: CloudWatch Logs -> S3 raw zone -> ETL Lambda -> clean zone -> Athena",
            "Parameters": {**PARAMETERS, **operations.PARAMETERS, **etl_queue.PARAMETERS},
            "Conditions": {
                "UseKms": {"Fn::Not": [{"Fn::Equals": [_ref("KmsKeyArn"), ""]}]},
                "UseRedactKeySecret": {"Fn::Not": [{"Fn::Equals": [_ref("RedactKeySecretArn"), ""]}]},
                "UseRedactKeyParameter": {"Fn::Not": [{"Fn::Equals": [_ref("RedactKeyParameterName"), ""]}]},
                "UseIceberg": {"Fn::Equals": [_ref("TableFormat"), "iceberg"]},
                "UseS3Tables": {
                    "Fn::And": [
                        {"Condition": "UseIceberg"},
                        {"Fn::Not": [{"Fn::Equals": [_ref("TableBucketArn"), ""]}]},
                    ]
                },
                **operations.CONDITIONS,
                **etl_queue.CONDITIONS,
            },
            "Rules": etl_queue.RULES,
            "Resources": {
                **_storage_resources(),
                **_etl_resources(),
                **etl_queue.resources(),
                **_collector_resources(),
                **_subscription_resources(groups),
                **_catalog_resources(),
                **_redact_key_resources(),
                "EtlIcebergPolicy": _etl_iceberg_policy(),
                "EtlS3TablesPolicy": _etl_s3tables_policy(),
                **operations.resources(),
                "KmsPolicy": _kms_policy(
                    [
                        "EtlRole",
                        "CollectorRole",
                        "ConservationRole",
                        "MaintenanceRole",
                        *(["SubscriptionRole"] if groups else []),
                    ]
                ),
                "QueryKmsPolicy": {
                    "Type": "AWS::IAM::ManagedPolicy",
                    "Condition": "UseKms",
                    "Properties": {
                        "Description": "With KmsKeyArn: attach beside QueryPolicy or RawQueryPolicy (reads, results)",
                        "PolicyDocument": {"Version": "2012-10-17", "Statement": [KMS_USE]},
                    },
                },
            },
            "Outputs": {**OUTPUTS, **operations.OUTPUTS, **etl_queue.OUTPUTS},
        }
    )
