from __future__ import annotations

from pathlib import Path

import pytest

from loglake.config import load_config
from loglake.errors import ConfigError


def test_lake_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOGLAKE_LAKE", raising=False)
    assert (load_config(cwd=tmp_path).lake, load_config(cwd=tmp_path).lake_origin) == ("./lake", "default")
    (tmp_path / "loglake.toml").write_text('lake = "data/lake"\n[etl]\noutput_format = "jsonl"\nmax_depth = 3\n')
    config = load_config(cwd=tmp_path)
    assert config.lake == str(tmp_path / "data/lake")
    assert (config.etl.output_format, config.etl.max_depth) == ("jsonl", 3)
    monkeypatch.setenv("LOGLAKE_LAKE", "/from/env")
    assert load_config(cwd=tmp_path).lake == "/from/env"
    assert load_config("/from/flag", cwd=tmp_path).lake == "/from/flag"
    assert load_config("/from/flag", cwd=tmp_path).lake_origin == "--lake"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('lake = "x"\nlak = "y"\n', r"unknown key\(s\) \['lak'\]"),
        ('[etl]\noutput_fromat = "jsonl"\n', r"unknown key\(s\) \['output_fromat'\] in \[etl\]"),
        ('[etl]\noutput_format = "csv"\n', "output format must be one of"),
        ("[etl]\nmax_depth = 0\n", "max_depth must be between"),
        ('[etl]\nseparator = "."\n', "separator must be"),
        ("lake = ", "loglake.toml"),
    ],
)
def test_bad_configuration_fails_loudly(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "loglake.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(cwd=tmp_path)


ARN = "arn:aws:s3tables:eu-west-1:123456789012:bucket/logs"


def test_s3tables_catalog_from_the_file_and_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOGLAKE_ICEBERG_CATALOG", "LOGLAKE_TABLE_BUCKET_ARN", "LOGLAKE_LAKE"):
        monkeypatch.delenv(name, raising=False)
    assert load_config(cwd=tmp_path).table_bucket_arn is None
    (tmp_path / "loglake.toml").write_text(f'[iceberg]\ncatalog = "s3tables"\ntable_bucket_arn = "{ARN}"\n')
    assert load_config(cwd=tmp_path).table_bucket_arn == ARN
    monkeypatch.setenv("LOGLAKE_ICEBERG_CATALOG", "default")  # the environment overrides the file
    assert load_config(cwd=tmp_path).table_bucket_arn is None
    monkeypatch.setenv("LOGLAKE_TABLE_BUCKET_ARN", ARN)  # an ARN beside catalog=default would be ignored
    with pytest.raises(ConfigError, match="is set but \\[iceberg\\] catalog is 'default', which ignores it"):
        load_config(cwd=tmp_path)
    monkeypatch.setenv("LOGLAKE_ICEBERG_CATALOG", "s3tables")
    monkeypatch.setenv("LOGLAKE_TABLE_BUCKET_ARN", ARN.replace("/logs", "/other"))
    assert load_config(cwd=tmp_path).table_bucket_arn == ARN.replace("/logs", "/other")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[iceberg]\ncatalog = "s3tables"\n', 's3tables" needs table_bucket_arn'),
        ('[iceberg]\ncatalog = "rest"\n', "catalog must be one of \\['default', 's3tables'\\], not 'rest'"),
        ('[iceberg]\ncatalog = "s3tables"\ntable_bucket_arn = "arn:aws:s3:::logs"\n', "is not an S3 table bucket ARN"),
        ('[iceberg]\nwarehouse = "x"\n', "unknown key\\(s\\) \\['warehouse'\\] in \\[iceberg\\]"),
        (f'[iceberg]\ntable_bucket_arn = "{ARN}"\n', "catalog is 'default', which ignores it: set catalog = "),
    ],
)
def test_bad_iceberg_catalog_settings_fail_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    for name in ("LOGLAKE_ICEBERG_CATALOG", "LOGLAKE_TABLE_BUCKET_ARN"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "loglake.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(cwd=tmp_path)
