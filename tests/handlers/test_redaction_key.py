"""The ETL Lambda's hash-mode key from Secrets Manager or an SSM SecureString (moto over HTTP, real boto3):
fetched once per container, only when a hash rule needs it, and never logged."""

from __future__ import annotations

import copy
import hashlib
import hmac
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_plus

import boto3
import pytest

from conftest import load_event
from loglake.errors import ConfigError
from loglake.handlers import environment
from loglake.handlers import etl as etl_handler
from loglake.lake.open import Lake
from loglake.query.engine import DuckDBEngine
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform import redaction

KEY = "Zq3" + "k" * 61  # 64 bytes, as `secrets.token_urlsafe(48)` gives
OTHER_KEY = "Rt7" + "m" * 61


@pytest.fixture(autouse=True)
def cold_key_cache(lake: Lake, aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts in a fresh container with a hash rule, and leaves the key source as it was."""
    environment._fetch_key.cache_clear()
    for name in ("LOGLAKE_REDACT_KEY", environment.KEY_SECRET_ENV, environment.KEY_PARAMETER_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOGLAKE_LAKE", lake.store.uri)
    monkeypatch.setenv("LOGLAKE_ETL_REDACT", '[{"fields": ["message"], "kinds": ["email"], "mode": "hash"}]')
    yield
    environment._fetch_key.cache_clear()
    redaction.set_key_source(None)


def _token(key: str, value: str) -> str:
    return f"[email:{hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()[: redaction.HASH_HEX]}]"


def _etl(lake: Lake, tmp_path: Path, name: str, line: str) -> str:
    """Ingest one line as a file, run the Lambda handler on its notification; the clean message."""
    path = tmp_path / f"{name}.log"
    path.write_text(line + "\n")
    (key,) = FileSource(lake.store, FileSourceOptions(log_group="/app")).ingest(str(path)).objects
    event = copy.deepcopy(load_event("s3_object_created"))
    event["Records"][0]["s3"]["bucket"]["name"] = "local"
    event["Records"][0]["s3"]["object"]["key"] = quote_plus(key, safe="/")
    assert etl_handler.handler(event, context=None)["processed"] == [key]
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query(f"SELECT message FROM logs WHERE raw_object = '{key}'").rows
    return str(rows[0][0])


def test_the_key_comes_from_secrets_manager_once_per_container(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client = boto3.client("secretsmanager")
    arn = client.create_secret(Name="loglake/redact-key", SecretString=KEY + "\n")["ARN"]
    monkeypatch.setenv(environment.KEY_SECRET_ENV, arn)
    caplog.set_level(logging.DEBUG)
    assert _etl(lake, tmp_path, "a", "login by ana@example.com") == f"login by {_token(KEY, 'ana@example.com')}"
    assert all(KEY not in record.getMessage() for record in caplog.records)

    client.put_secret_value(SecretId=arn, SecretString=OTHER_KEY)  # a rotation reaches new containers only
    assert _etl(lake, tmp_path, "b", "login by bo@example.com") == f"login by {_token(KEY, 'bo@example.com')}"
    environment._fetch_key.cache_clear()  # a new container
    assert _etl(lake, tmp_path, "c", "login by cy@example.com") == f"login by {_token(OTHER_KEY, 'cy@example.com')}"


def test_the_key_comes_from_an_ssm_secure_string(lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    boto3.client("ssm").put_parameter(Name="/loglake/redact-key", Value=KEY, Type="SecureString")
    monkeypatch.setenv(environment.KEY_PARAMETER_ENV, "/loglake/redact-key")
    assert _etl(lake, tmp_path, "a", "login by ana@example.com") == f"login by {_token(KEY, 'ana@example.com')}"


def test_no_call_is_made_without_a_hash_rule(lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(environment.KEY_SECRET_ENV, "arn:aws:secretsmanager:us-east-1:123456789012:secret:absent")
    monkeypatch.setenv("LOGLAKE_ETL_REDACT", '[{"fields": ["message"], "kinds": ["email"]}]')
    assert _etl(lake, tmp_path, "a", "login by ana@example.com") == "login by [REDACTED:email]"
    assert environment._fetch_key.cache_info().misses == 0


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            "missing secret",
            "cannot read the redaction key: Secrets Manager refused get_secret_value: ResourceNotFoundException: "
            "Secrets Manager can't find the specified secret.; the ETL role needs secretsmanager:GetSecretValue "
            "on arn:aws:secretsmanager:us-east-1:123456789012:secret:absent and kms:Decrypt on its key",
        ),
        (
            "missing parameter",
            "cannot read the redaction key: SSM refused get_parameter: ParameterNotFound: Parameter /absent not "
            "found.; the ETL role needs ssm:GetParameter on /absent and kms:Decrypt on its key",
        ),
        (
            "plain parameter",
            "SSM parameter /plain is a String, not a SecureString: store the redaction key encrypted "
            "(aws ssm put-parameter --type SecureString --name /plain --value ...)",
        ),
        (
            "short secret",
            "the redaction key is 5 bytes; hash mode needs at least 32: generate one with "
            '`python -c "import secrets; print(secrets.token_urlsafe(48))"` or `openssl rand -base64 48`',
        ),
        (
            "two sources",
            "the redaction key comes from one place: set only one of LOGLAKE_REDACT_KEY_SECRET, "
            "LOGLAKE_REDACT_KEY_PARAMETER",
        ),
    ],
)
def test_a_key_that_cannot_be_had_is_refused_with_the_fix(
    setup: str, message: str, lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if setup == "missing secret":
        monkeypatch.setenv(environment.KEY_SECRET_ENV, "arn:aws:secretsmanager:us-east-1:123456789012:secret:absent")
    elif setup == "missing parameter":
        monkeypatch.setenv(environment.KEY_PARAMETER_ENV, "/absent")
    elif setup == "plain parameter":
        boto3.client("ssm").put_parameter(Name="/plain", Value=KEY, Type="String")
        monkeypatch.setenv(environment.KEY_PARAMETER_ENV, "/plain")
    elif setup == "short secret":
        arn = boto3.client("secretsmanager").create_secret(Name="short", SecretString="short")["ARN"]
        monkeypatch.setenv(environment.KEY_SECRET_ENV, arn)
    else:
        monkeypatch.setenv(environment.KEY_SECRET_ENV, "arn:aws:secretsmanager:us-east-1:123456789012:secret:a")
        monkeypatch.setenv(environment.KEY_PARAMETER_ENV, "/b")
    with pytest.raises(ConfigError) as refused:
        _etl(lake, tmp_path, "a", "login by ana@example.com")
    assert str(refused.value) == message
    assert list((Path(lake.store.uri) / "clean").rglob("*.parquet")) == []
