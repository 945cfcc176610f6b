"""A PEP 517 build backend for the learner's distribution of nnbook (see pyproject.toml).

It packs the learner-side modules of the repository's ``nnbook/`` as they are, so the learner's
package never drifts from what the grader's sandbox shows a kernel: the list is
``LEARNER_SIDE`` in ``nnbook/grader/sandbox.py``, read from that file (not imported: the
grader's modules need nbgrader). In an unpacked sdist, which holds the modules themselves in
``nnbook/``, it packs those. Standard library only, so building needs nothing downloaded.

    pip wheel --no-deps learner/                  # nnbook-<version>-py3-none-any.whl
    pip install "./learner[torch,mnist]"
    python -m build learner/                      # an sdist and a wheel
"""

from __future__ import annotations

import ast
import base64
import gzip
import hashlib
import io
import re
import tarfile
import zipfile
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pyproject.toml's build requirements bring tomli
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
#: Where the modules are: in an unpacked sdist, beside this file; in the repository, one up.
PACKED = HERE / "nnbook"
REPOSITORY_PACKAGE = HERE.parent / "nnbook"
SANDBOX = REPOSITORY_PACKAGE / "grader" / "sandbox.py"
#: Fixed file times, so that building the same sources twice gives the same archive.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
TAR_TIME = 315532800  # 1980-01-01, as ZIP_TIME


def learner_side(sandbox: Path = SANDBOX) -> tuple[str, ...]:
    """The file names of ``LEARNER_SIDE`` in the grader's sandbox module."""
    for node in ast.parse(sandbox.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "LEARNER_SIDE"
                for target in node.targets):
            return tuple(ast.literal_eval(node.value))
    raise RuntimeError(f"{sandbox} defines no LEARNER_SIDE: the learner's modules are unknown")


def modules() -> dict[str, Path]:
    """The package's files by name: what goes into ``nnbook/`` of the distribution."""
    if PACKED.is_dir():
        return {path.name: path for path in sorted(PACKED.glob("*.py"))}
    found = {name: REPOSITORY_PACKAGE / name for name in learner_side()}
    missing = [name for name, path in found.items() if not path.is_file()]
    if missing:
        raise RuntimeError(f"LEARNER_SIDE names modules that nnbook/ lacks: {missing}")
    return found


def project() -> dict:
    return tomllib.loads((HERE / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def version() -> str:
    init = modules()["__init__.py"].read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', init, re.M)
    if match is None:
        raise RuntimeError("nnbook/__init__.py has no __version__ = \"...\" line")
    return match[1]


def metadata() -> str:
    """The core metadata (METADATA in a wheel, PKG-INFO in an sdist)."""
    info = project()
    lines = ["Metadata-Version: 2.1", f"Name: {info['name']}", f"Version: {version()}",
             f"Summary: {info['description']}", f"Requires-Python: {info['requires-python']}"]
    lines += [f"Requires-Dist: {requirement}" for requirement in info.get("dependencies", [])]
    for extra, requirements in info.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        for requirement in requirements:
            name, _, marker = requirement.partition(";")
            condition = f'({marker.strip()}) and extra == "{extra}"' if marker.strip() \
                else f'extra == "{extra}"'
            lines.append(f"Requires-Dist: {name.strip()}; {condition}")
    return "\n".join(lines) + "\n"


def _base_name() -> str:
    return f"{project()['name']}-{version()}"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


# -- the PEP 517 hooks -------------------------------------------------------------------------
def get_requires_for_build_wheel(config_settings=None) -> list[str]:
    return []


def get_requires_for_build_sdist(config_settings=None) -> list[str]:
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None) -> str:
    base = _base_name()
    dist_info = f"{base}.dist-info"
    files = {f"nnbook/{name}": path.read_bytes() for name, path in modules().items()}
    files[f"{dist_info}/METADATA"] = metadata().encode()
    files[f"{dist_info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: learner_build\n"
                                   b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    files[f"{dist_info}/top_level.txt"] = b"nnbook\n"
    record = [_record_line(name, data) for name, data in files.items()]
    files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    wheel_name = f"{base}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / wheel_name, "w",
                         zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, ZIP_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(entry, data)
    return wheel_name


def build_sdist(sdist_directory, config_settings=None) -> str:
    """An sdist that builds on its own: this backend, pyproject.toml and the modules."""
    base = _base_name()
    files = {"pyproject.toml": (HERE / "pyproject.toml").read_bytes(),
             "learner_build.py": Path(__file__).read_bytes(),
             "PKG-INFO": metadata().encode(),
             **{f"nnbook/{name}": path.read_bytes() for name, path in modules().items()}}
    sdist_name = f"{base}.tar.gz"
    # gzip's own header time fixed too (tarfile's "w:gz" writes the current time there).
    with open(Path(sdist_directory) / sdist_name, "wb") as out, \
            gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as compressed, \
            tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as sdist:
        for name, data in files.items():
            entry = tarfile.TarInfo(f"{base}/{name}")
            entry.size, entry.mtime, entry.mode = len(data), TAR_TIME, 0o644
            sdist.addfile(entry, io.BytesIO(data))
    return sdist_name
