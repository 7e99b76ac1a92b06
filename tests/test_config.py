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
