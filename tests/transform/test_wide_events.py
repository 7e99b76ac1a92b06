"""Wide events: thousands of JSON keys in one event, the column cap (`max_columns`) and its `extra` column."""

from __future__ import annotations

from pathlib import Path

import pytest

from loglake.config import load_config
from loglake.errors import ConfigError
from loglake.handlers.environment import etl_settings_from_environment
from loglake.transform.settings import EtlSettings


def test_max_columns_comes_from_loglake_toml_and_from_the_lambda_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOGLAKE_LAKE", raising=False)
    monkeypatch.delenv("LOGLAKE_ETL_MAX_COLUMNS", raising=False)
    assert load_config(cwd=tmp_path).etl.max_columns == 500
    (tmp_path / "loglake.toml").write_text("[etl]\nmax_columns = 7\n")
    assert load_config(cwd=tmp_path).etl.max_columns == 7
    (tmp_path / "loglake.toml").write_text("[etl]\nmax_columns = 0\n")
    with pytest.raises(ConfigError, match="max_columns must be between 1 and 20,000, not 0"):
        load_config(cwd=tmp_path)
    assert etl_settings_from_environment().max_columns == 500
    monkeypatch.setenv("LOGLAKE_ETL_MAX_COLUMNS", "1200")
    assert etl_settings_from_environment().max_columns == 1200
    monkeypatch.setenv("LOGLAKE_ETL_MAX_COLUMNS", "lots")
    with pytest.raises(ConfigError, match="LOGLAKE_ETL_MAX_COLUMNS must be a whole number, not 'lots'"):
        etl_settings_from_environment()
    with pytest.raises(ConfigError, match="max_columns must be between 1 and 20,000, not 20001"):
        EtlSettings(max_columns=20_001)
