"""`loglake package`: the Lambda artifact, built without docker.

pip downloads the manylinux wheels of loglake's core dependencies (duckdb, orjson) for the chosen
runtime and architecture, and the loglake package itself is copied from where it is installed. boto3
is left out: every Lambda Python runtime ships it. `--iceberg` adds pyiceberg and its mandatory
dependencies without pyarrow (the commit path builds its entries from DuckDB's footers, lake/iceberg_files.py)
and without its CLI's (click, rich), so the ETL can commit to Iceberg tables in the Glue catalog from the
zip. The zip is byte-for-byte reproducible (sorted entries, fixed timestamps), so its hash names it and
an unchanged build never redeploys code.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from loglake.errors import PackageError

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
RUNTIMES = {"python3.12": "3.12", "python3.13": "3.13"}
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}
# duckdb 2.x wheels are manylinux_2_27/2_28; the python3.12+ runtimes run Amazon Linux 2023 (glibc 2.34).
MANYLINUX = ("manylinux_2_28", "manylinux_2_27", "manylinux2014")
LEFT_OUT = ("__pycache__", ".pyc")
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Artifact:
    path: Path
    sha256: str
    zipped_bytes: int
    unzipped_bytes: int
    files: int
    largest: list[tuple[str, int]]
    """Top-level folders of the artifact with their unzipped sizes, largest first."""

    @property
    def key(self) -> str:
        return f"loglake/lambda-{self.sha256[:16]}.zip"


LAMBDA_PACKAGES = ("duckdb", "orjson")
"""What the handlers import: the artifact's own list. The package's dependencies also hold the CLI's (typer,
rich, sqlglot), which the Lambda never imports; only the versions are taken from the package's metadata."""


def lambda_requirements() -> list[str]:
    """The requirements of LAMBDA_PACKAGES as the installed package pins them."""
    requires = [r for r in metadata.requires("loglake") or [] if "extra ==" not in r]
    chosen = [r for r in requires if _name(r) in LAMBDA_PACKAGES]
    if len(chosen) != len(LAMBDA_PACKAGES):
        raise PackageError(
            f"loglake's metadata pins {chosen}, not one requirement each of {', '.join(LAMBDA_PACKAGES)}; "
            "reinstall loglake (pip install -e .) and run `loglake package` again"
        )
    return chosen


ICEBERG_PACKAGE = "pyiceberg"
ICEBERG_LEFT_OUT = ("pyarrow", "click", "rich")
"""pyiceberg's dependencies the Lambda does not import: pyarrow (166 MB; commits need none) and its CLI's."""


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower()


def iceberg_requirements() -> tuple[str, list[str]]:
    """(pyiceberg as loglake's `iceberg` extra pins it, without extras; its mandatory dependencies as the
    installed pyiceberg pins them, less ICEBERG_LEFT_OUT). pyiceberg itself goes in with --no-deps."""
    extra = [r for r in metadata.requires("loglake") or [] if 'extra == "iceberg"' in r and _name(r) == ICEBERG_PACKAGE]
    try:
        requires = metadata.requires(ICEBERG_PACKAGE) or []
    except metadata.PackageNotFoundError:
        requires = None
    if len(extra) != 1 or requires is None:
        raise PackageError(
            "`loglake package --iceberg` takes pyiceberg's pins from the installed packages: "
            "pip install -e '.[iceberg]' and run it again"
        )
    pin = re.sub(r"\[[^\]]*\]", "", extra[0].split(";", 1)[0]).replace(" ", "")
    deps = [r.split(";", 1)[0].strip() for r in requires if "extra ==" not in r]
    return pin, [r for r in deps if _name(r) not in ICEBERG_LEFT_OUT]


def _install_wheels(target: Path, runtime: str, architecture: str, iceberg: bool = False) -> None:
    if iceberg:
        pin, deps = iceberg_requirements()
        _pip(target, runtime, architecture, [*lambda_requirements(), *deps])
        _pip(target, runtime, architecture, ["--no-deps", pin])
    else:
        _pip(target, runtime, architecture, lambda_requirements())


def _pip(target: Path, runtime: str, architecture: str, requirements: list[str]) -> None:
    machine = ARCHITECTURES[architecture]
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(target),
        "--implementation",
        "cp",
        "--python-version",
        RUNTIMES[runtime],
        "--only-binary=:all:",
        *(arg for tag in MANYLINUX for arg in ("--platform", f"{tag}_{machine}")),
        *requirements,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PackageError(
            f"pip could not fetch the Lambda wheels for {runtime}/{architecture}:\n{done.stderr.strip()}"
        )


def _copy_loglake(target: Path) -> None:
    source = Path(__file__).resolve().parents[1]
    shutil.copytree(source, target / "loglake", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def _zip(folder: Path, out: Path) -> tuple[int, int, dict[str, int]]:
    unzipped = 0
    files = 0
    by_top: dict[str, int] = {}
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder).as_posix()
            if any(part in relative for part in LEFT_OUT):
                continue
            info = zipfile.ZipInfo(relative, ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            archive.writestr(info, data)
            unzipped += len(data)
            files += 1
            top = relative.split("/", 1)[0]
            by_top[top] = by_top.get(top, 0) + len(data)
    return unzipped, files, by_top


def build_artifact(
    out: Path, runtime: str = "python3.12", architecture: str = "x86_64", *, iceberg: bool = False
) -> Artifact:
    if runtime not in RUNTIMES:
        raise PackageError(f"unsupported runtime {runtime!r}: choose {', '.join(RUNTIMES)} (duckdb 2.x needs 3.12+)")
    if architecture not in ARCHITECTURES:
        raise PackageError(f"unsupported architecture {architecture!r}: choose {', '.join(ARCHITECTURES)}")
    with tempfile.TemporaryDirectory(prefix="loglake-package-") as work:
        folder = Path(work) / "lambda"
        _install_wheels(folder, runtime, architecture, iceberg)
        _copy_loglake(folder)
        unzipped, files, by_top = _zip(folder, out)
    if unzipped > LAMBDA_UNZIPPED_LIMIT:
        raise PackageError(f"the artifact is {unzipped / 2**20:.1f} MiB unzipped, over Lambda's 250 MiB limit")
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    largest = sorted(by_top.items(), key=lambda item: -item[1])[:5]
    return Artifact(out, digest, out.stat().st_size, unzipped, files, largest)
