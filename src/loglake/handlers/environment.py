"""The lake a Lambda function works on, from its environment (LOGLAKE_LAKE, and LOGLAKE_RAW when the raw
zone has its own bucket), built once per container; the ETL's settings; and the key of hash-mode
redaction, from Secrets Manager (LOGLAKE_REDACT_KEY_SECRET) or an SSM SecureString
(LOGLAKE_REDACT_KEY_PARAMETER), fetched once per container and only when a hash rule needs it, so the
key is never in the function's configuration."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from loglake.aws_calls import call_aws
from loglake.errors import ConfigError, EventError
from loglake.lake.open import Lake, open_lake
from loglake.transform import redaction
from loglake.transform.settings import EtlSettings

KEY_SECRET_ENV = "LOGLAKE_REDACT_KEY_SECRET"
KEY_PARAMETER_ENV = "LOGLAKE_REDACT_KEY_PARAMETER"


@lru_cache(maxsize=1)
def lake_from_environment() -> Lake:
    location = os.environ.get("LOGLAKE_LAKE")
    if not location:
        raise EventError("LOGLAKE_LAKE is not set: the function does not know where the lake is")
    from loglake.config import table_bucket_arn

    arn = table_bucket_arn({}, "the function's environment")  # LOGLAKE_ICEBERG_CATALOG, LOGLAKE_TABLE_BUCKET_ARN
    return open_lake(location, os.environ.get("LOGLAKE_RAW") or None, arn)


def etl_settings_from_environment() -> EtlSettings:
    """LOGLAKE_ETL_FORMAT, LOGLAKE_ETL_TABLE_FORMAT, LOGLAKE_ETL_MAX_COLUMNS, LOGLAKE_ETL_SKIP_INDEX (true or
    false), and LOGLAKE_ETL_ROUTES / LOGLAKE_ETL_REDACT as JSON lists (as in loglake.toml)."""
    try:
        routes = json.loads(os.environ.get("LOGLAKE_ETL_ROUTES") or "[]")
        redact = json.loads(os.environ.get("LOGLAKE_ETL_REDACT") or "[]")
    except json.JSONDecodeError as exc:
        raise ConfigError(f"LOGLAKE_ETL_ROUTES / LOGLAKE_ETL_REDACT must be JSON lists: {exc}") from None
    redaction.set_key_source(redact_key_from_environment)
    max_columns = os.environ.get("LOGLAKE_ETL_MAX_COLUMNS") or str(EtlSettings.max_columns)
    if not max_columns.isdecimal():
        raise ConfigError(f"LOGLAKE_ETL_MAX_COLUMNS must be a whole number, not {max_columns!r}")
    skip_index = os.environ.get("LOGLAKE_ETL_SKIP_INDEX") or "true"
    if skip_index not in ("true", "false"):
        raise ConfigError(f"LOGLAKE_ETL_SKIP_INDEX must be true or false, not {skip_index!r}")
    return EtlSettings(
        output_format=os.environ.get("LOGLAKE_ETL_FORMAT", EtlSettings.output_format),
        routes=tuple(routes),
        redact=tuple(redact),
        max_columns=int(max_columns),
        table_format=os.environ.get("LOGLAKE_ETL_TABLE_FORMAT") or EtlSettings.table_format,
        skip_index=skip_index == "true",
    )


def redact_key_from_environment() -> str | None:
    """The hash-mode key: from the secret or the parameter named in the environment, else LOGLAKE_REDACT_KEY.
    Naming more than one source is refused, so a stale key is never used by mistake."""
    secret = os.environ.get(KEY_SECRET_ENV) or None
    parameter = os.environ.get(KEY_PARAMETER_ENV) or None
    named = [name for name in (KEY_SECRET_ENV, KEY_PARAMETER_ENV, redaction.KEY_ENV) if os.environ.get(name)]
    if len(named) > 1:
        raise ConfigError(f"the redaction key comes from one place: set only one of {', '.join(named)}")
    if secret is None and parameter is None:
        return os.environ.get(redaction.KEY_ENV) or None
    return _fetch_key(secret, parameter)


@lru_cache(maxsize=4)
def _fetch_key(secret: str | None, parameter: str | None) -> str:
    """One Secrets Manager or SSM call per container (a rotated key reaches new containers only)."""
    import boto3

    with _no_debug_logs():
        if secret is not None:
            grant = f"the ETL role needs secretsmanager:GetSecretValue on {secret} and kms:Decrypt on its key"
            try:
                answer = call_aws(
                    boto3.client("secretsmanager"), "Secrets Manager", ConfigError, "get_secret_value", SecretId=secret
                )
            except ConfigError as exc:
                raise ConfigError(f"cannot read the redaction key: {exc}; {grant}") from None
            key = answer.get("SecretString")
            if not isinstance(key, str):
                raise ConfigError(f"secret {secret} has no SecretString: store the redaction key as its text")
            return key
        grant = f"the ETL role needs ssm:GetParameter on {parameter} and kms:Decrypt on its key"
        try:
            answer = call_aws(
                boto3.client("ssm"), "SSM", ConfigError, "get_parameter", Name=parameter, WithDecryption=True
            )
        except ConfigError as exc:
            raise ConfigError(f"cannot read the redaction key: {exc}; {grant}") from None
        found = answer["Parameter"]
        if found.get("Type") != "SecureString":
            raise ConfigError(
                f"SSM parameter {parameter} is a {found.get('Type')}, not a SecureString: store the redaction key "
                f"encrypted (aws ssm put-parameter --type SecureString --name {parameter} --value ...)"
            )
        return str(found["Value"])


@contextmanager
def _no_debug_logs() -> Iterator[None]:
    """botocore logs response bodies at DEBUG: none are emitted while the key is in one."""
    previous = logging.root.manager.disable
    logging.disable(max(previous, logging.DEBUG))
    try:
        yield
    finally:
        logging.disable(previous)
