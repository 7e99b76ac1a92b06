"""`--format json`: every command that prints a result prints one JSON document on stdout and nothing else
there; shell completion survives main()."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from loglake.cli.app import app

runner = CliRunner()
LINES = (
    b'{"timestamp":"2026-11-26T10:00:00Z","level":"error","msg":"payment declined","request":{"route":"/pay"}}\n'
    b"2026-11-26 10:20:01,000 ERROR [main] c.s.Svc - failed\n"
    b'{"timestamp":"2026-11-26T11:00:02Z", "cut\n'
)


def _json(args: list[str]) -> Any:
    """Run through `python -m loglake` (the real main()) and parse stdout as one document."""
    proc = subprocess.run([sys.executable, "-m", "loglake", *args], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_every_result_command_prints_one_json_document(tmp_path: Path) -> None:
    logs = tmp_path / "app.log"
    logs.write_bytes(LINES)
    lake = str(tmp_path / "lake")

    ingested = _json(["ingest", str(logs), "--lake", lake, "--log-group", "/svc/pay", "--format", "json"])
    assert ingested["events"] == 3 and ingested["lake"].endswith("lake")
    assert [(f["path"], f["events"], f["objects"]) for f in ingested["files"]] == [(str(logs), 3, 1)]
    etl = ingested["etl"]
    assert (etl["raw_objects"], etl["clean_rows"], etl["quarantined_rows"], etl["tables"]) == (1, 2, 1, {"logs": 2})

    assert _json(["etl", "--lake", lake, "--format", "json"])["etl"]["raw_objects"] == 0
    forced = _json(["etl", "--lake", lake, "--force", "--format", "json"])["etl"]
    assert (forced["raw_objects"], forced["clean_rows"], forced["quarantined_rows"]) == (1, 2, 1)

    tables = _json(["tables", "--lake", lake, "--format", "json"])["tables"]
    assert [t["name"] for t in tables] == ["logs"]
    columns = {c["name"]: (c["type"], c["source"]) for c in tables[0]["columns"]}
    assert columns["request_route"] == ("VARCHAR", "/request/route")
    assert columns["timestamp"] == ("TIMESTAMP", "envelope:timestamp")

    saved = _json(["saved", "--format", "json"])
    by_name = {q["name"]: q for q in saved}
    assert by_name["latency_by_route"]["params"]["route"] == {
        "kind": "identifier",
        "default": "request_route",
        "help": "the route column",
    }
    assert len(saved) == 7

    plan = _json(["query", "--lake", lake, "--explain", "--format", "json", "SELECT msg FROM logs"])
    assert [(p["table"], p["columns"], len(p["files"]), p["partitions"]) for p in plan["plans"]] == [
        ("logs", ["msg"], 1, [["2026-11-26", 10]])
    ]
    ranged = _json(
        ["query", "--lake", lake, "--explain", "-f", "json", "--since", "2026-11-26T11:00Z", "SELECT msg FROM logs"]
    )
    assert ranged["plans"][0]["files"] == [] and ranged["time_range"] == {
        "since": "2026-11-26T11:00:00Z",
        "until": None,
    }

    rows = _json(["saved", "top_error_fingerprints", "--param", "text=msg", "--lake", lake, "--format", "json"])
    assert [(r["fingerprint"], r["events"]) for r in rows] == [("payment declined", 1)]

    report = _json(["verify", "--lake", lake, "--format", "json"])
    assert (report["ok"], report["raw_events"], report["clean_events"], report["quarantined_events"]) == (True, 3, 2, 1)

    found = _json(["search", "declined", "--lake", lake, "--format", "json"])
    assert (found["matches"], found["rows"][0]["log_group"], found["plan"]["files_read"]) == (1, "/svc/pay", 1)


def test_an_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    for command in (["tables"], ["verify"], ["etl"], ["search", "x"], ["ingest", "-"]):
        result = runner.invoke(app, [*command, "--lake", str(tmp_path / "lake"), "--format", "yaml"])
        assert result.exit_code == 2, (command, result.output)


def test_shell_completion_scripts_and_answers() -> None:
    # `--show-completion` takes no shell name: it prints the script of the shell that started the process (zsh's
    # under zsh, "Shell sh not supported." under `sh -c`), so the bash script is asked for by its variable.
    proc = subprocess.run(
        [sys.executable, "-m", "loglake"],
        capture_output=True, text=True, check=False, env={**os.environ, "_LOGLAKE_COMPLETE": "source_bash"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "_loglake_completion()" in proc.stdout
    assert proc.stdout.rstrip().endswith("complete -o default -F _loglake_completion loglake")
    env = {**os.environ, "_LOGLAKE_COMPLETE": "complete_bash", "COMP_WORDS": "loglake search --sin", "COMP_CWORD": "2"}
    answer = subprocess.run([sys.executable, "-m", "loglake"], capture_output=True, text=True, env=env, check=False)
    assert answer.stdout.split() == ["--since"]
    assert "--install-completion" in runner.invoke(app, ["--help"]).output
