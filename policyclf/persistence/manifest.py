"""The model folder's format: file names, format versions, and the manifest that lists every file.

Reading a manifest (:func:`read_manifest`, :func:`fingerprint`) checks its format and version
and explains what lies at a path that is not a model folder (a pickle, an archive, a save that
was interrupted). Files are read with :func:`_read_plain_file`, which never follows a link or
opens a FIFO or device.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
import sys
from pathlib import Path
from typing import Any

from policyclf.exceptions import ModelFileError

__all__ = [
    "ARRAYS_NAME",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST_NAME",
    "MIN_FORMAT_VERSION",
    "fingerprint",
    "read_manifest",
]


FORMAT = "policyclf-model"
"""Value of ``format`` in every manifest this module writes."""

FORMAT_VERSION = 2
"""Layout version written by this policyclf; bump on incompatible layout changes.

1. 0.1.0: the vocabulary as a unicode array ``terms``.
2. 0.2.0: the vocabulary as UTF-8 bytes ``terms_utf8``, one term per line (a fifth of the size).
"""

MIN_FORMAT_VERSION = 1
"""Oldest layout version this policyclf can still read."""

MANIFEST_NAME = "manifest.json"
ARRAYS_NAME = "arrays.npz"

# First policyclf release that wrote each format version (for "re-save with policyclf >= X").
_FIRST_RELEASE_WITH_FORMAT = {1: "0.1.0", 2: "0.2.0"}

# numpy dtype kinds that load without pickle: bool, ints, uints, floats, complex, unicode.
_ALLOWED_KINDS = "biufcU"
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_RESERVED = {MANIFEST_NAME.lower(), ARRAYS_NAME.lower()}
_PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib", ".sav", ".pck", ".pt", ".pth"}
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x04\x22\x4d\x18", b"ZF")
_ZLIB_MAGIC = (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda")


def _file_name_problem(name: object) -> str:
    """Why ``name`` is not a plain file name allowed in a model folder ('' if it is)."""
    if not isinstance(name, str) or not name:
        return "use a non-empty str"
    if name in {".", ".."} or any(c in name for c in "/\\\x00"):
        return "use a plain file name (no folders, '..', '/', '\\' or NUL)"
    if name.lower() in _RESERVED:
        return f"{MANIFEST_NAME} and {ARRAYS_NAME} are written by policyclf itself"
    return ""


def _is_model_folder(folder: Path) -> bool:
    try:
        data = json.loads(_read_plain_file(folder / MANIFEST_NAME).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("format") == FORMAT


def _leftovers(parent: Path, name: str) -> list[tuple[str, int, Path]]:
    """Temp/old folders of earlier saves to ``parent/name``: (kind, pid, path)."""
    pattern = re.compile(rf"\.{re.escape(name)}\.(tmp|old)-(\d+)-[0-9a-f]+")
    found: list[tuple[str, int, Path]] = []
    try:
        with os.scandir(parent) as entries:
            for entry in entries:
                match = pattern.fullmatch(entry.name)
                if match:
                    found.append((match.group(1), int(match.group(2)), Path(entry.path)))
    except OSError:
        return []
    return sorted(found, key=lambda item: item[2].name)


def _policyclf_version() -> str:
    package = sys.modules.get("policyclf")
    version = getattr(package, "__version__", None)
    if isinstance(version, str) and version:
        return version
    try:
        from importlib import metadata  # rarely reached: importing it costs ~40 ms

        return metadata.version("policyclf")
    except Exception:
        return "unknown"


def read_manifest(path: str | os.PathLike[str], *, check_version: bool = True) -> dict[str, Any]:
    """The manifest of the model folder at ``path``, without reading or verifying the arrays.

    Cheap (for ``policyclf info``). Raises ModelFileError like :func:`load_bundle` for a missing
    path, a missing/malformed manifest or a foreign format; with ``check_version=False`` a
    manifest of a newer or older format version is returned as-is instead of refused.
    """
    return _load_manifest(Path(path), os.fspath(path), check_version=check_version)[1]


def fingerprint(path: str | os.PathLike[str]) -> str:
    """sha256 of the model's ``manifest.json``; it covers every file via their listed checksums.

    Two model folders with the same fingerprint that both load hold identical files.
    """
    raw, _ = _load_manifest(Path(path), os.fspath(path), check_version=False)
    return hashlib.sha256(raw).hexdigest()


def _read_plain_file(path: Path) -> bytes:
    """Read a regular file without following a symlink or opening a FIFO/device."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def _load_manifest(folder: Path, display: str, *, check_version: bool) -> tuple[bytes, dict]:
    if not os.path.lexists(folder):
        raise ModelFileError(_missing_message(folder, display))
    if not folder.is_dir():
        raise ModelFileError(
            f"{display} is {_describe_file(folder)}. A policyclf model is a folder (holding "
            "manifest.json) written by model.save(path); pass that folder."
        )
    try:
        raw = _read_plain_file(folder / MANIFEST_NAME)
    except FileNotFoundError:
        raise ModelFileError(
            f"{display} has no {MANIFEST_NAME}, so it is not a policyclf model folder (or its "
            "save never finished). Pass the folder written by model.save(path), or re-save "
            "the model."
        ) from None
    except OSError as exc:
        raise ModelFileError(
            f"{display}: cannot read {MANIFEST_NAME} ({exc.strerror or exc}); it must be a "
            "plain file. Re-save the model or copy the folder again."
        ) from exc
    if not raw.strip():
        raise ModelFileError(
            f"{display}: {MANIFEST_NAME} is empty, so the model folder is damaged; re-save the "
            "model or copy the folder again"
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ModelFileError(
            f"{display}: {MANIFEST_NAME} is not UTF-8 text ({exc}); the model folder is damaged "
            "— re-save the model or copy the folder again"
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise ModelFileError(
            f"{display}: {MANIFEST_NAME} is not valid JSON ({exc}); the model folder is damaged "
            "— re-save the model or copy the folder again"
        ) from exc
    if not isinstance(data, dict):
        raise ModelFileError(
            f"{display}: {MANIFEST_NAME} holds a JSON {type(data).__name__}, not an object; "
            "this is not a policyclf model folder"
        )
    if data.get("format") != FORMAT:
        raise ModelFileError(
            f"{display}: {MANIFEST_NAME} has format {data.get('format')!r}, not {FORMAT!r}; "
            "this folder is not a policyclf model"
        )
    if check_version:
        _check_version(data, display)
        problem = _layout_problem(data)
        if problem:
            raise ModelFileError(
                f"{display}: {MANIFEST_NAME} is malformed: {problem}. The model folder is "
                "damaged; re-save the model or copy the folder again."
            )
    return raw, data


def _check_version(data: dict[str, Any], display: str) -> None:
    version = data.get("format_version")
    writer = str(data.get("policyclf_version", "unknown"))
    ours = _policyclf_version()
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(
            f"{display}: {MANIFEST_NAME} has an invalid format_version {version!r}; the model "
            "folder is damaged — re-save the model or copy the folder again"
        )
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{display} was written by policyclf {writer} with model format {version}; this "
            f"policyclf ({ours}) reads model formats <= {FORMAT_VERSION}. Upgrade policyclf "
            "(pip install -U policyclf) to load it."
        )
    if version < MIN_FORMAT_VERSION:
        since = _FIRST_RELEASE_WITH_FORMAT.get(MIN_FORMAT_VERSION, ours)
        raise ModelFileError(
            f"{display} was written by policyclf {writer} with model format {version}, which "
            f"this policyclf ({ours}) no longer reads (it reads formats {MIN_FORMAT_VERSION} to "
            f"{FORMAT_VERSION}). Re-train or re-save the model with policyclf >= {since}."
        )


def _layout_problem(data: dict[str, Any]) -> str:
    """What is wrong with the structure of a supported manifest ('' if nothing)."""
    files = data.get("files")
    if not isinstance(files, dict):
        return "'files' must be an object of file name -> {sha256, bytes}"
    if ARRAYS_NAME not in files:
        return f"'files' does not list {ARRAYS_NAME}"
    for name, entry in files.items():
        problem = "" if name == ARRAYS_NAME else _file_name_problem(name)
        if problem:
            return f"'files' lists {name!r}, which is not allowed ({problem})"
        if not isinstance(entry, dict):
            return f"the entry for {name!r} in 'files' must be an object"
        digest, size = entry.get("sha256"), entry.get("bytes")
        if not isinstance(digest, str) or not _SHA256_RE.fullmatch(digest):
            return f"the sha256 of {name!r} must be 64 lowercase hex digits, not {digest!r}"
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            return f"the byte count of {name!r} must be a non-negative integer, not {size!r}"
    if not isinstance(data.get("meta"), dict):
        return "'meta' must be an object"
    return ""


def _looks_like_pickle(head: bytes, suffix: str) -> bool:
    if suffix.lower() in _PICKLE_SUFFIXES:
        return True
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _describe_file(path: Path) -> str:
    """What a non-folder at a model path looks like, with advice (never unpickles it)."""
    try:
        head = _read_head(path)
    except OSError:
        return "not a folder (and not a readable regular file)"
    suffix = path.suffix
    if head is None:
        return "not a folder but a special file (device, pipe or socket)"
    if not head:
        return "an empty file, not a model folder"
    if _looks_like_pickle(head, suffix):
        return (
            "a pickle/joblib file, not a policyclf model folder. policyclf never unpickles "
            "(loading a pickle can run arbitrary code); re-save the model with policyclf "
            "(model.save(folder)) and load that folder"
        )
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if suffix.lower() == ".npz":
            return "a numpy .npz file; pass the model folder that holds it and manifest.json"
        return "a zip archive; unzip it and pass the extracted model folder"
    if head.startswith(_COMPRESSED_MAGIC + _ZLIB_MAGIC):
        return (
            "a compressed file (possibly a compressed pickle/joblib dump or an archive); "
            "policyclf never unpickles. If it is an archive of a model folder, extract it and "
            "pass the folder"
        )
    if path.name == MANIFEST_NAME or suffix.lower() == ".json":
        return "a JSON file; pass the model folder that holds manifest.json, not a file in it"
    return "a file, not a model folder"


def _read_head(path: Path) -> bytes | None:
    """First bytes of a regular file, or None for a FIFO/device/socket."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        return None
    with open(path, "rb") as handle:
        return handle.read(16)


def _missing_message(folder: Path, display: str) -> str:
    message = (
        f"no policyclf model at {display}: the path does not exist (relative paths start at "
        f"{Path.cwd()}). Check the path, or train and save a model first."
    )
    absolute = Path(os.path.abspath(folder))
    leftovers = _leftovers(absolute.parent, absolute.name) if absolute.name else []
    olds = [path for kind, _pid, path in leftovers if kind == "old"]
    if olds:
        message += (
            f" A save to this path was interrupted while replacing the previous model, which is "
            f"in {olds[-1]}: rename that folder to {absolute.name} to restore it."
        )
    elif leftovers:
        message += " A save to this path was interrupted before it finished; save again."
    return message
