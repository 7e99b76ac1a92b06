"""The Lambda artifact is built from its own list (duckdb, orjson), not from the package's dependencies,
which also hold the CLI's (typer, rich, sqlglot) since `pip install loglake` gives a working CLI."""

from __future__ import annotations

from importlib import metadata

import pytest

from loglake.deploy import package
from loglake.errors import PackageError


def test_the_installed_package_depends_on_the_cli_but_the_lambda_takes_duckdb_and_orjson_only() -> None:
    core = [r for r in metadata.requires("loglake") or [] if "extra ==" not in r]
    assert sorted(r.split("<")[0].split(">")[0] for r in core) == ["duckdb", "orjson", "rich", "sqlglot", "typer"]
    assert package.lambda_requirements() == ["duckdb<2.1,>=2.0.1", "orjson<4,>=3.10"]


def test_extras_and_other_dependencies_stay_out(monkeypatch: pytest.MonkeyPatch) -> None:
    requires = [
        "duckdb<2.1,>=2.0.1",
        "orjson<4,>=3.10",
        "typer<0.30,>=0.29",
        "rich<16,>=13",
        "sqlglot<31,>=30",
        'pyarrow>=14; extra == "arrow"',
        'duckdb-extension-httpfs; extra == "aws"',
    ]
    monkeypatch.setattr(package.metadata, "requires", lambda name: requires)
    assert package.lambda_requirements() == ["duckdb<2.1,>=2.0.1", "orjson<4,>=3.10"]


def test_a_metadata_without_the_engine_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package.metadata, "requires", lambda name: ["orjson<4,>=3.10", "typer<0.30,>=0.29"])
    with pytest.raises(PackageError, match="not one requirement each of duckdb, orjson"):
        package.lambda_requirements()
