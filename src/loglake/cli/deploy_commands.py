"""`loglake package`, `template`, `deploy` and `destroy`: from a clone to a running stack on AWS."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from loglake.deploy import etl_queue
from loglake.deploy.package import Artifact, build_artifact
from loglake.deploy.stack import Change, StackDeployer
from loglake.deploy.template import PARAMETERS, build_template
from loglake.errors import ConfigError
from loglake.query.saved_queries import parse_params

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

RuntimeOption = Annotated[str, typer.Option(help="Lambda runtime: python3.12 or python3.13.")]
ArchitectureOption = Annotated[str, typer.Option(help="x86_64 or arm64 (Graviton, about 20% cheaper).")]
TABLE_FORMATS = ("hive", "iceberg")
SubscribeOption = Annotated[
    list[str] | None, typer.Option("--subscribe", help="Also deliver this log group in real time (repeatable).")
]


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def _describe(artifact: Artifact) -> str:
    parts = ", ".join(f"{escape(name)} {_mib(size)}" for name, size in artifact.largest[:3])
    return (
        f"{artifact.path}: {_mib(artifact.zipped_bytes)} zipped, {_mib(artifact.unzipped_bytes)} unzipped "
        f"of Lambda's 250 MiB, {artifact.files} files (largest: {parts})"
    )


def _build(out_path: Path, runtime: str, architecture: str, iceberg: bool = False) -> Artifact:
    with err.status(f"fetching {runtime}/{architecture} wheels and zipping the artifact..."):
        return build_artifact(out_path, runtime, architecture, iceberg=iceberg)


def package(
    output: Annotated[Path, typer.Option("--out", help="Where to write the zip.")] = Path("dist/loglake-lambda.zip"),
    runtime: RuntimeOption = "python3.12",
    architecture: ArchitectureOption = "x86_64",
    iceberg: Annotated[
        bool,
        typer.Option(
            "--iceberg", help="Add pyiceberg without pyarrow, so the ETL commits to Iceberg tables (Glue catalog)."
        ),
    ] = False,
) -> None:
    """Build the Lambda artifact (no docker): manylinux wheels for the runtime, plus loglake."""
    out.print(_describe(_build(output, runtime, architecture, iceberg)))


def template(subscribe: SubscribeOption = None) -> None:
    """Print the CloudFormation template (JSON) that `loglake deploy` deploys."""
    out.print(json.dumps(build_template(subscribe or []), indent=2), markup=False, emoji=False)


def _show_changes(changes: list[Change]) -> None:
    table = Table("action", "resource", "type", "replacement", title=f"{len(changes)} changes")
    for change in changes:
        table.add_row(change.action, change.logical_id, change.resource_type, change.replacement or "-")
    err.print(table)


def deploy(
    stack: Annotated[str, typer.Option("--stack", help="CloudFormation stack name.")],
    log_group: Annotated[
        list[str] | None, typer.Option("--log-group", help="Log group (or prefix*) to collect (repeatable).")
    ] = None,
    subscribe: SubscribeOption = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Template parameter NAME=VALUE (repeatable).")
    ] = None,
    artifact_path: Annotated[
        Path | None, typer.Option("--artifact", help="A zip from `loglake package` (default: build one now).")
    ] = None,
    runtime: RuntimeOption = "python3.12",
    architecture: ArchitectureOption = "x86_64",
    table_format: Annotated[
        str | None,
        typer.Option(
            "--table-format",
            help="hive or iceberg (Iceberg tables in the Glue database; builds `package --iceberg`). "
            "Default: the stack's current one, hive for a new stack.",
        ),
    ] = None,
    etl_batch_size: Annotated[
        int | None,
        typer.Option(
            "--etl-batch-size",
            help="Raw objects per ETL invocation: 1 (S3 invokes the ETL per object) or more (through an SQS "
            "queue, sharing one DuckDB pass; docs/deploy.md). Default: the stack's current one, 1 for a new stack.",
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Execute the change set without asking.")] = False,
) -> None:
    """Deploy or update the stack through a CloudFormation change set, showing the changes and progress."""
    parameters = {"Runtime": runtime, "Architecture": architecture, **parse_params(param or [])}
    if log_group:
        parameters["LogGroups"] = ",".join(log_group)
    deployer = StackDeployer(stack)
    current = deployer.parameter("TableFormat")
    chosen = _table_format(table_format, parameters.get("TableFormat"), current)
    parameters["TableFormat"] = chosen
    _etl_batching(parameters, etl_batch_size, deployer.parameter)
    # A table that is Iceberg stays Iceberg under TableFormat=hive (lake/iceberg.py uses_iceberg), so a stack
    # that was iceberg keeps needing pyiceberg: only new tables become hive.
    iceberg = "iceberg" in (chosen, current)
    if artifact_path is None:
        name = "loglake-lambda-iceberg.zip" if iceberg else "loglake-lambda.zip"
        artifact = _build(Path("dist") / name, runtime, architecture, iceberg)
    else:
        import hashlib

        data = artifact_path.read_bytes()
        if iceberg:
            _require_pyiceberg(artifact_path, chosen != "iceberg")
        artifact = Artifact(artifact_path, hashlib.sha256(data).hexdigest(), len(data), 0, 0, [])
    err.print(_describe(artifact) if artifact.files else f"artifact {artifact_path}")

    def confirm(changes: list[Change]) -> bool:
        _show_changes(changes)
        return yes or typer.confirm(f"Execute these {len(changes)} changes on stack {stack}?", err=True)

    result = deployer.deploy(
        artifact, parameters, subscribe=subscribe or [], confirm=confirm, on_event=lambda line: err.print(escape(line))
    )
    if not result.changes and not result.executed:
        out.print(f"stack {escape(stack)} is up to date")
    elif not result.executed:
        out.print("change set discarded; nothing was changed")
        return
    for name, value in sorted(result.outputs.items()):
        out.print(f"{name}: {escape(value)}")


def _table_format(option: str | None, param: str | None, current: str | None) -> str:
    """--table-format, else --param TableFormat=, else the stack's current value (an update without the
    flag must not turn an Iceberg stack's ETL back to hive), else hive."""
    if option is not None and param is not None and option != param:
        raise ConfigError(f"--table-format {option} and --param TableFormat={param} disagree: give one of them")
    chosen = option or param or current or "hive"
    if chosen not in TABLE_FORMATS:
        raise ConfigError(f"--table-format takes hive or iceberg, not {chosen!r}")
    return chosen


def _etl_batching(parameters: dict[str, str], option: int | None, current: Callable[[str], str | None]) -> None:
    """--etl-batch-size into EtlBatchSize, checked as Lambda will check it. A parameter not given keeps the
    stack's value (CloudFormation would reset it to the default: a batched stack would lose its queue)."""
    given = parameters.get("EtlBatchSize")
    if option is not None and given is not None and str(option) != given:
        raise ConfigError(f"--etl-batch-size {option} and --param EtlBatchSize={given} disagree: give one of them")
    for name in ("EtlBatchSize", "EtlBatchWindowSeconds", "EtlQueueVisibilitySeconds"):
        value = str(option) if name == "EtlBatchSize" and option is not None else parameters.get(name) or current(name)
        if value is not None:
            parameters[name] = value
    defaults = {name: str(p["Default"]) for name, p in {**etl_queue.PARAMETERS, **PARAMETERS}.items() if "Default" in p}
    values = {**defaults, **parameters}
    if "EtlReservedConcurrency" not in parameters and current("EtlReservedConcurrency") is not None:
        values["EtlReservedConcurrency"] = str(current("EtlReservedConcurrency"))
    try:
        size, window = int(values["EtlBatchSize"]), int(values["EtlBatchWindowSeconds"])
        visibility, timeout = int(values["EtlQueueVisibilitySeconds"]), int(values["EtlTimeout"])
        concurrency = int(values["EtlReservedConcurrency"])
    except ValueError as exc:
        raise ConfigError(f"the ETL batch parameters take whole numbers: {exc}") from None
    if "EtlBatchSize" in parameters:  # CloudFormation compares strings: 01 would be a change, and not "1"
        parameters["EtlBatchSize"] = str(size)
    if not 1 <= size <= etl_queue.MAX_BATCH_SIZE:
        raise ConfigError(f"--etl-batch-size takes 1 to {etl_queue.MAX_BATCH_SIZE}, not {size}")
    if size == 1:
        return
    if window < 1 and size > 10:
        raise ConfigError(
            f"Lambda batches over 10 messages only with a batching window: --param EtlBatchWindowSeconds=5 "
            f"(not {window}), or --etl-batch-size 10"
        )
    if not 2 <= concurrency <= etl_queue.MAX_CONCURRENCY:
        raise ConfigError(
            f"--etl-batch-size {size} needs EtlReservedConcurrency of 2 to {etl_queue.MAX_CONCURRENCY} (not "
            f"{concurrency}): Lambda caps the queue's concurrent batches there, and without the cap batches it "
            "throttles go to the dead-letter queue: --param EtlReservedConcurrency=2"
        )
    if visibility < timeout + window:
        raise ConfigError(
            f"the ETL queue's visibility timeout ({visibility} s) is shorter than EtlTimeout ({timeout} s) plus "
            f"the batching window ({window} s): messages would come back while their batch runs: "
            f"--param EtlQueueVisibilitySeconds={6 * timeout + window} (AWS advises six times the timeout)"
        )


def _require_pyiceberg(path: Path, was_iceberg: bool) -> None:
    """An Iceberg stack's ETL imports pyiceberg: refuse an artifact without it before anything is deployed."""
    import zipfile

    try:
        names = zipfile.ZipFile(path).namelist()
    except zipfile.BadZipFile:
        raise ConfigError(f"{path} is not a zip file: build one with `loglake package --iceberg`") from None
    if was_iceberg and not any(n.startswith("pyiceberg/") for n in names):
        raise ConfigError(
            f"{path} has no pyiceberg: this stack's Iceberg tables stay Iceberg with --table-format hive (only new "
            f"tables are hive), so its ETL still needs it: build it with `loglake package --iceberg --out {path}`"
        )
    if not any(n.startswith("pyiceberg/") for n in names):
        raise ConfigError(
            f"{path} has no pyiceberg, which the Iceberg ETL needs: build it with "
            f"`loglake package --iceberg --out {path}`, or deploy with --table-format hive"
        )


def destroy(
    stack: Annotated[str, typer.Option("--stack", help="CloudFormation stack name.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete the stack's functions, roles, schedule and workgroup. The buckets (the lake) are kept."""
    if not yes and not typer.confirm(
        f"Delete stack {stack}? Its functions stop; its raw, lake and results buckets are retained.", err=True
    ):
        raise typer.Exit(1)
    StackDeployer(stack).destroy(on_event=lambda line: err.print(escape(line)))
    out.print(f"stack {escape(stack)} deleted; the buckets and their data remain")
