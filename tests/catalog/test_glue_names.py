"""One rule for Glue database names (catalog/glue_names.py), checked before any AWS call. Before, `catalog sync
--database` and the ETL's Glue sync sent any name to Glue, and the maintenance statements accepted 65+
characters that the template refuses."""

from __future__ import annotations

import re
from typing import NoReturn

import pytest

from conftest import CliRun, write_messages
from loglake.catalog.glue_names import GLUE_DATABASE_PATTERN, checked_database
from loglake.catalog.glue_sync import GlueCatalog
from loglake.deploy.template import build_template
from loglake.errors import ConfigError
from loglake.lake.iceberg_athena import maintained_name
from loglake.lake.open import Lake

BAD = ["Logs", "log-lake", "logs;drop", "..", "", "a" * 65, "2024logs", "_logs", "l\u00f6g", "logs\n"]
GOOD = ["loglake", "logs_2024", "a", "a" * 64]


def _message(name: str) -> str:
    return (
        f"Glue database {name!r} is not a name loglake accepts: a lowercase letter, then lowercase letters, digits "
        "and '_' (64 at most), as the deploy template's GlueDatabase (Athena's VACUUM and OPTIMIZE take it unquoted)"
    )


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any boto3 client is a failure: the name must be refused before AWS is asked anything."""
    import boto3

    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("an AWS client was made")

    monkeypatch.setattr(boto3, "client", refuse)


@pytest.mark.parametrize("name", BAD)
def test_bad_names_are_refused_with_the_rule(name: str, no_aws: None) -> None:
    with pytest.raises(ConfigError) as refused:
        checked_database(name)
    assert str(refused.value) == _message(name)
    with pytest.raises(ConfigError) as refused:
        GlueCatalog(name)
    assert str(refused.value) == _message(name)
    with pytest.raises(ConfigError):
        maintained_name("logs", name)


def test_the_template_and_maintenance_accept_the_same_names() -> None:
    """The template's pattern is the rule itself; maintenance accepted 65 characters before."""
    pattern = build_template()["Parameters"]["GlueDatabase"]["AllowedPattern"]
    assert pattern == GLUE_DATABASE_PATTERN == "^[a-z][a-z0-9_]{0,63}$"
    assert [n for n in BAD + GOOD if re.fullmatch(pattern, n)] == GOOD
    assert [checked_database(n) for n in GOOD] == GOOD
    assert [maintained_name("logs", n) for n in GOOD] == [f"{n}.logs" for n in GOOD]


@pytest.mark.parametrize("name", ["Logs", "log-lake", "logs;drop", "..", "", "a" * 65])
def test_commands_refuse_a_bad_database_before_any_aws_call(
    name: str, lake: Lake, no_aws: None, run_cli: CliRun
) -> None:
    write_messages(lake.store, "/app", ["one line"])
    where = str(lake.store.uri)
    expected = (1, "", f"error: {_message(name)}\n")
    assert run_cli("catalog", "sync", "--lake", where, "--location", "s3://b/l/", "--database", name) == expected
    assert run_cli("compact", "--lake", where, "--database", name) == expected
    assert run_cli("ddl", "--lake", where, "--location", "s3://b/l/", "--database", name) == expected


def test_one_order_resolves_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """--database, then $LOGLAKE_GLUE_DATABASE (what the stack sets on its functions), then loglake.toml, then
    loglake. Before, compact and catalog sync skipped the environment that the handlers and Iceberg read."""
    from loglake.catalog.glue_names import glue_database

    monkeypatch.delenv("LOGLAKE_GLUE_DATABASE", raising=False)
    assert glue_database() == "loglake"
    assert glue_database(None, {"database": "toml_db"}) == "toml_db"
    monkeypatch.setenv("LOGLAKE_GLUE_DATABASE", "prod")
    assert glue_database(None, {"database": "toml_db"}) == "prod"
    assert glue_database("flag_db", {"database": "toml_db"}) == "flag_db"


def test_the_iceberg_namespace_on_glue_follows_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, $LOGLAKE_GLUE_DATABASE reached pyiceberg's Glue catalog unchecked."""
    from typing import cast

    from loglake.lake import iceberg
    from loglake.lake.store import Store

    s3_store = cast(Store, object())  # no local root: an S3 lake, whose namespace is the Glue database
    monkeypatch.setenv("LOGLAKE_GLUE_DATABASE", "prod_logs")
    assert iceberg.namespace(s3_store) == "prod_logs"
    monkeypatch.setenv("LOGLAKE_GLUE_DATABASE", "Prod-Logs")
    with pytest.raises(ConfigError) as refused:
        iceberg.namespace(s3_store)
    assert str(refused.value) == _message("Prod-Logs")
