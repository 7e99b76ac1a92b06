"""A flag overrides one setting and keeps every other (item 7: `etl --output-format` switched redaction off)."""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path
from typing import Any

import pytest

from conftest import CliRun
from loglake.config import load_config
from loglake.transform.redaction import RedactRule
from loglake.transform.settings import EtlSettings, Route

CONFIGURED = """
[etl]
output_format = "parquet"
max_depth = 3
separator = "__"
routes = [{ log_group = "/pay*", table = "payments" }]
redact = [{ tables = ["*"], fields = ["message"], kinds = ["email"] }]
"""
DIFFERENT: dict[str, Any] = {
    "output_format": "jsonl",
    "max_depth": 7,
    "separator": "x",
    "table": "other",
    "routes": (Route("/x*", table="x"),),
    "redact": (RedactRule(kinds=("ip",)),),
}


def test_with_etl_changes_the_named_setting_and_keeps_every_other(tmp_path: Path) -> None:
    (tmp_path / "loglake.toml").write_text(CONFIGURED)
    config = load_config("lake", cwd=tmp_path)
    fields = [f.name for f in dataclasses.fields(EtlSettings)]
    assert set(DIFFERENT) <= set(fields)
    for name in fields:
        if name not in DIFFERENT:
            continue
        changed = config.with_etl(**{name: DIFFERENT[name]}).etl
        for other in fields:
            expected = DIFFERENT[name] if other == name else getattr(config.etl, other)
            assert getattr(changed, other) == expected, (name, other)
    assert config.with_etl(output_format=None) is config  # an absent flag changes nothing


def test_etl_output_format_flag_keeps_redaction_and_routes(
    run_cli: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOGLAKE_LAKE", raising=False)
    (tmp_path / "loglake.toml").write_text('lake = "lake"\n' + CONFIGURED)
    (tmp_path / "pay.log").write_bytes(b'{"level":"info","msg":"card for jane.doe@example.com","amount":12}\n')
    assert run_cli("ingest", "pay.log", "--log-group", "/payments", "--no-etl", cwd=tmp_path)[0] == 0
    code, out, _err = run_cli("etl", "--output-format", "jsonl", cwd=tmp_path)
    assert code == 0, out
    written = list((tmp_path / "lake" / "clean").rglob("*.json.gz"))
    assert [p.relative_to(tmp_path / "lake" / "clean").parts[0] for p in written] == ["payments"]  # the route held
    text = gzip.decompress(written[0].read_bytes()).decode()
    assert "jane.doe@example.com" not in text  # redaction held
    assert "[REDACTED:email]" in text
