"""Safe, atomic storage of a trained model as a folder of JSON and numeric arrays.

A saved model is a folder::

    <path>/manifest.json   format, versions, creation time, sha256 + size of every file, ``meta``
    <path>/arrays.npz      numeric and fixed-width unicode arrays (numpy ``.npy`` members)
    <path>/<extra files>   e.g. ``report.json``, ``report.md``, written verbatim

Loading reads JSON and plain arrays only: it never unpickles, imports or executes anything from
the folder, and it checks every listed file against the manifest's size and sha256 first.
Files in the folder that the manifest does not list are ignored (never read).

Saving is atomic: everything is written into a hidden sibling folder
(``.<name>.tmp-<pid>-<random>``), flushed to disk, then renamed onto the target. An interrupted
save leaves either the previous model or the new one at the target, never a half-written one.
The generic bundle layer (:func:`save_bundle`, :func:`load_bundle`) knows nothing about models;
:func:`save_model` and :func:`load_model` decide which arrays and metadata make up a
:class:`policyclf.Model` and attach its report. Storage sits above tagging: :mod:`policyclf.model`
never imports this module except in the ``Model.save`` shortcut, at call time.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import math
import os
import re
import secrets
import shutil
import stat
import sys
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import numpy as np

from policyclf.exceptions import ModelExistsError, ModelFileError

__all__ = [
    "ARRAYS_NAME",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST_NAME",
    "MIN_FORMAT_VERSION",
    "MODEL_KIND",
    "Bundle",
    "fingerprint",
    "load_bundle",
    "load_model",
    "read_manifest",
    "save_bundle",
    "save_model",
]

FORMAT = "policyclf-model"
"""Value of ``format`` in every manifest this module writes."""

FORMAT_VERSION = 1
"""Layout version written by this policyclf; bump on incompatible layout changes."""

MIN_FORMAT_VERSION = 1
"""Oldest layout version this policyclf can still read."""

MANIFEST_NAME = "manifest.json"
ARRAYS_NAME = "arrays.npz"

# First policyclf release that wrote each format version (for "re-save with policyclf >= X").
_FIRST_RELEASE_WITH_FORMAT = {1: "0.1.0"}

# numpy dtype kinds that load without pickle: bool, ints, uints, floats, complex, unicode.
_ALLOWED_KINDS = "biufcU"

# Leftover temp/old folders of a dead process (or older than this) are removed on the next save.
_STALE_AFTER_SECONDS = 24 * 3600
_MAX_SWAP_ATTEMPTS = 20
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_RESERVED = {MANIFEST_NAME.lower(), ARRAYS_NAME.lower()}
_PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib", ".sav", ".pck", ".pt", ".pth"}
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x04\x22\x4d\x18", b"ZF")
_ZLIB_MAGIC = (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda")


@dataclass(frozen=True)
class Bundle:
    """A loaded, verified model folder.

    ``arrays`` maps names to numpy arrays, ``meta`` is the JSON object given to
    :func:`save_bundle`, ``files`` holds the verified bytes of every extra file (e.g.
    ``report.md``), ``manifest`` is the whole manifest and ``fingerprint`` the sha256 of
    ``manifest.json`` (it covers every file through their listed checksums).
    """

    path: Path
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""

    def text(self, name: str, encoding: str = "utf-8") -> str:
        """The extra file ``name`` decoded as text (raises ModelFileError if absent or not text)."""
        if name not in self.files:
            listed = ", ".join(sorted(self.files)) or "none"
            raise ModelFileError(
                f"{self.path}: the model has no file {name!r} (extra files: {listed})"
            )
        try:
            return self.files[name].decode(encoding)
        except UnicodeDecodeError as exc:
            raise ModelFileError(
                f"{self.path}: {name} is not valid {encoding} text ({exc}); re-save the model"
            ) from exc


# ----------------------------------------------------------------------------------- saving


def save_bundle(
    path: str | os.PathLike[str],
    arrays: Mapping[str, np.ndarray],
    meta: Mapping[str, Any],
    files: Mapping[str, str | bytes] | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write a model folder at ``path`` atomically and return ``Path(path)``.

    ``arrays`` must have numeric or fixed-width unicode (``'U'``) dtypes (TypeError otherwise,
    naming the array); ``meta`` must be JSON-serialisable (str keys, finite floats); ``files``
    are extra files written verbatim (str is encoded as UTF-8). Parent folders are created.

    If ``path`` exists, ModelExistsError is raised unless ``overwrite=True`` and ``path`` is a
    policyclf model folder (the old folder, including anything a user put in it, is replaced).
    Something that is not a model folder is never overwritten. An existing empty folder is
    treated as free. Concurrent saves to one new path: exactly one wins, the others get
    ModelExistsError.
    """
    target = Path(path)
    display = os.fspath(path)
    checked_arrays = _check_arrays(arrays)
    extra = _check_files(files)
    manifest_meta = _to_json(meta, "meta")
    if not isinstance(manifest_meta, dict):
        raise TypeError(f"meta must be a mapping (a JSON object), not {type(meta).__name__}")

    absolute = Path(os.path.abspath(target))
    if not absolute.name:
        raise ValueError(f"cannot save a model at {display!r}: choose a folder path with a name")
    _check_target(absolute, display, overwrite)
    parent = absolute.parent
    parent.mkdir(parents=True, exist_ok=True)

    temp = _make_temp_folder(parent, absolute.name)
    try:
        entries: dict[str, dict[str, Any]] = {}
        entries[ARRAYS_NAME] = _write_arrays(temp / ARRAYS_NAME, checked_arrays)
        for name, data in extra.items():
            entries[name] = _write_file(temp / name, data)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "policyclf_version": _policyclf_version(),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "files": entries,
            "meta": manifest_meta,
        }
        text = json.dumps(manifest, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
        _write_file(temp / MANIFEST_NAME, text.encode("utf-8"))
        _fsync_dir(temp)
        _install(temp, absolute, display, overwrite)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    _fsync_dir(parent)
    _remove_stale_leftovers(parent, absolute.name)
    return target


def _check_arrays(arrays: Mapping[str, Any]) -> dict[str, np.ndarray]:
    if not isinstance(arrays, Mapping):
        raise TypeError(f"arrays must be a mapping of name -> array, not {type(arrays).__name__}")
    checked: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name or any(c in name for c in "/\\\x00"):
            raise ValueError(
                f"invalid array name {name!r}: use a non-empty str without '/', '\\' or NUL"
            )
        array = np.asarray(value)
        kind = array.dtype.kind
        if kind not in _ALLOWED_KINDS:
            what = "Python objects" if kind == "O" else f"dtype kind {kind!r}"
            raise TypeError(
                f"array {name!r} has dtype {array.dtype} ({what}); a policyclf model stores only "
                "numeric and fixed-width unicode ('U') arrays so that loading never unpickles. "
                "Convert it first, e.g. with .astype(str) or .astype(float)."
            )
        checked[name] = array
    return checked


def _check_files(files: Mapping[str, str | bytes] | None) -> dict[str, bytes]:
    if files is None:
        return {}
    if not isinstance(files, Mapping):
        raise TypeError(f"files must be a mapping of name -> str/bytes, not {type(files).__name__}")
    checked: dict[str, bytes] = {}
    for name, content in files.items():
        problem = _file_name_problem(name)
        if problem:
            raise ValueError(f"invalid extra file name {name!r}: {problem}")
        if isinstance(content, str):
            checked[name] = content.encode("utf-8")
        elif isinstance(content, (bytes, bytearray, memoryview)):
            checked[name] = bytes(content)
        else:
            raise TypeError(
                f"extra file {name!r} must be str or bytes, not {type(content).__name__}"
            )
    return checked


def _file_name_problem(name: object) -> str:
    """Why ``name`` is not a plain file name allowed in a model folder ('' if it is)."""
    if not isinstance(name, str) or not name:
        return "use a non-empty str"
    if name in {".", ".."} or any(c in name for c in "/\\\x00"):
        return "use a plain file name (no folders, '..', '/', '\\' or NUL)"
    if name.lower() in _RESERVED:
        return f"{MANIFEST_NAME} and {ARRAYS_NAME} are written by policyclf itself"
    return ""


def _to_json(value: Any, where: str) -> Any:
    """A plain JSON structure equal to ``value``; TypeError/ValueError naming the bad spot."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} is {value!r}; JSON cannot store NaN or infinity")
        return value
    if isinstance(value, (list, tuple)):
        return [_to_json(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{where} has key {key!r} of type {type(key).__name__}; JSON keys must be str"
                )
            result[key] = _to_json(item, f"{where}[{key!r}]")
        return result
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise TypeError(
        f"{where} is a {type(value).__name__} ({shown}), which JSON cannot store; convert it "
        "(e.g. with int(), float() or .tolist()) or pass it as an array instead"
    )


def _target_state(target: Path) -> str:
    """'missing', 'empty', 'model', 'symlink', 'file' or 'folder' (a non-model folder)."""
    if not os.path.lexists(target):
        return "missing"
    if os.path.islink(target):
        return "symlink"
    if not target.is_dir():
        return "file"
    try:
        with os.scandir(target) as entries:
            if next(entries, None) is None:
                return "empty"
    except OSError:
        return "folder"
    return "model" if _is_model_folder(target) else "folder"


def _is_model_folder(folder: Path) -> bool:
    try:
        data = json.loads(_read_plain_file(folder / MANIFEST_NAME).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("format") == FORMAT


_STATE_WORDS = {
    "symlink": "a symbolic link",
    "file": "a file",
    "folder": "a folder without a policyclf manifest.json",
}


def _check_target(target: Path, display: str, overwrite: bool) -> None:
    state = _target_state(target)
    if state in {"missing", "empty"}:
        return
    if state == "model":
        if overwrite:
            return
        raise ModelExistsError(
            f"a policyclf model already exists at {display}; pass overwrite=True to replace it, "
            "or save to another path"
        )
    raise ModelExistsError(_not_a_model_message(display, state, overwrite))


def _not_a_model_message(display: str, state: str, overwrite: bool) -> str:
    words = _STATE_WORDS.get(state, "something else")
    if overwrite:
        return (
            f"{display} is {words}, not a policyclf model folder; refusing to overwrite it even "
            "with overwrite=True. Move or delete it yourself, or save to another path."
        )
    return (
        f"{display} already exists and is {words}, not a policyclf model folder; "
        "save to another path"
    )


def _make_temp_folder(parent: Path, name: str) -> Path:
    while True:
        temp = parent / f".{name}.tmp-{os.getpid()}-{secrets.token_hex(6)}"
        try:
            os.mkdir(temp)
        except FileExistsError:
            continue
        return temp


def _write_file(path: Path, data: bytes) -> dict[str, Any]:
    """Write ``data`` to a new file, flush it to disk, return its manifest entry."""
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _write_arrays(path: Path, arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Write ``arrays`` as an uncompressed .npz (no pickles), flush it, return its entry."""
    with open(path, "xb") as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, array in arrays.items():
                with archive.open(name + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)
        handle.flush()
        os.fsync(handle.fileno())
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "bytes": size}


def _is_occupied_error(exc: OSError) -> bool:
    """Whether a rename onto the target failed because something is already there."""
    if isinstance(exc, (FileExistsError, IsADirectoryError, NotADirectoryError)):
        return True
    return exc.errno in {errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR}


def _rename_into(temp: Path, target: Path) -> None:
    """Rename ``temp`` onto ``target``; fails if ``target`` is anything but absent or empty."""
    if os.name == "nt":  # Windows cannot rename onto an existing folder, even an empty one
        with contextlib.suppress(OSError):
            os.rmdir(target)
    os.rename(temp, target)


def _install(temp: Path, target: Path, display: str, overwrite: bool) -> None:
    """Move the finished ``temp`` folder to ``target`` (see :func:`save_bundle`)."""
    if not overwrite:
        try:
            _rename_into(temp, target)
        except OSError as exc:
            if not _is_occupied_error(exc):
                raise
            state = _target_state(target)
            if state == "model":
                raise ModelExistsError(
                    f"a policyclf model already exists at {display} (another process saved it "
                    "while this save was running); pass overwrite=True to replace it, or save "
                    "to another path"
                ) from None
            raise ModelExistsError(_not_a_model_message(display, state, False)) from None
        return

    moved_aside: list[Path] = []
    try:
        for _ in range(_MAX_SWAP_ATTEMPTS):
            state = _target_state(target)
            if state == "model":
                old = target.parent / f".{target.name}.old-{os.getpid()}-{secrets.token_hex(6)}"
                try:
                    os.rename(target, old)
                except FileNotFoundError:  # another saver moved it away first; look again
                    continue
                moved_aside.append(old)
                with contextlib.suppress(OSError):  # "recent" for others' age-based clean-up
                    os.utime(old)
            elif state not in {"missing", "empty"}:
                raise ModelExistsError(_not_a_model_message(display, state, True))
            try:
                _rename_into(temp, target)
            except OSError as exc:
                if _is_occupied_error(exc):  # a concurrent saver got there first: replace it
                    continue
                raise
            break
        else:
            raise ModelExistsError(
                f"could not replace the model at {display}: other processes kept saving to it "
                "at the same time; try again"
            )
    except BaseException:
        if moved_aside and not os.path.lexists(target):
            with contextlib.suppress(OSError):  # put the previous model back
                os.rename(moved_aside.pop(), target)
        raise
    for old in moved_aside:
        shutil.rmtree(old, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (new files, renames) to disk where the OS supports it."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _is_stale(pid: int, path: Path) -> bool:
    if pid != os.getpid() and not _pid_alive(pid):
        return True
    try:
        age = time.time() - os.lstat(path).st_mtime
    except OSError:
        return False
    return age > _STALE_AFTER_SECONDS


def _remove_stale_leftovers(parent: Path, name: str) -> None:
    for _kind, pid, path in _leftovers(parent, name):
        if _is_stale(pid, path):
            shutil.rmtree(path, ignore_errors=True)


def _policyclf_version() -> str:
    package = sys.modules.get("policyclf")
    version = getattr(package, "__version__", None)
    if isinstance(version, str) and version:
        return version
    try:
        return metadata.version("policyclf")
    except Exception:
        return "unknown"


# ---------------------------------------------------------------------------------- loading


def load_bundle(path: str | os.PathLike[str]) -> Bundle:
    """Load and verify the model folder at ``path``.

    Raises ModelFileError (naming the path, the problem and what to do) if the path is missing
    or not a folder, the manifest is missing, malformed, of another format or of an unsupported
    format version, a listed file is missing or fails its size/sha256 check, or ``arrays.npz``
    is unreadable or holds Python objects. Nothing from the folder is ever unpickled or run.
    """
    folder = Path(path)
    display = os.fspath(path)
    raw, manifest = _load_manifest(folder, display, check_version=True)
    contents: dict[str, bytes] = {}
    for name, entry in manifest["files"].items():
        contents[name] = _read_verified(folder, display, name, entry)
    arrays = _load_arrays(contents.pop(ARRAYS_NAME), display)
    return Bundle(
        path=folder,
        arrays=arrays,
        meta=manifest["meta"],
        files=contents,
        manifest=manifest,
        fingerprint=hashlib.sha256(raw).hexdigest(),
    )


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


def _read_verified(folder: Path, display: str, name: str, entry: dict[str, Any]) -> bytes:
    again = "copy the whole model folder again or re-save the model"
    try:
        data = _read_plain_file(folder / name)
    except FileNotFoundError:
        raise ModelFileError(
            f"{display}: {name} is listed in {MANIFEST_NAME} but missing, so the model folder "
            f"is incomplete; {again}"
        ) from None
    except OSError as exc:
        raise ModelFileError(
            f"{display}: cannot read {name} ({exc.strerror or exc}); model files must be plain "
            f"files (not links); {again}"
        ) from exc
    if len(data) != entry["bytes"]:
        raise ModelFileError(
            f"{display}: {name} is {len(data)} bytes but {MANIFEST_NAME} says {entry['bytes']}: "
            f"the file is truncated or was modified after saving; {again}"
        )
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise ModelFileError(
            f"{display}: {name} does not match its sha256 checksum in {MANIFEST_NAME}: the file "
            f"is corrupted or was modified after saving; {again}"
        )
    return data


def _load_arrays(data: bytes, display: str) -> dict[str, np.ndarray]:
    where = f"{display}: {ARRAYS_NAME}"
    fix = "re-save the model with policyclf"
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if _looks_like_pickle(data[:16], ""):
            raise ModelFileError(
                f"{where} is a pickle file, not a numpy .npz archive; policyclf never unpickles "
                f"(loading a pickle can run arbitrary code) — {fix}"
            )
        raise ModelFileError(f"{where} is not a numpy .npz (zip) archive; {fix}")
    arrays: dict[str, np.ndarray] = {}
    key = ""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            for key in archive.files:
                value = archive[key]
                if not isinstance(value, np.ndarray):
                    raise ModelFileError(f"{where} holds {key!r}, which is not a .npy array; {fix}")
                if value.dtype.kind not in _ALLOWED_KINDS:
                    raise ModelFileError(
                        f"{where}: array {key!r} has dtype {value.dtype}, which policyclf models "
                        f"never contain; {fix}"
                    )
                arrays[key] = value
    except ModelFileError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise ModelFileError(
                f"{where}: array {key!r} holds Python objects, which would have to be unpickled "
                f"(and unpickling can run arbitrary code); policyclf refuses it — {fix}"
            ) from exc
        raise ModelFileError(
            f"{where} cannot be read ({exc}); the file is damaged — {fix}"
        ) from exc
    except Exception as exc:
        raise ModelFileError(
            f"{where} cannot be read ({type(exc).__name__}: {exc}); the file is damaged — {fix}"
        ) from exc
    return arrays


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


# ------------------------------------------------------------------------------- models

#: The ``meta["kind"]`` of a saved tagging model.
MODEL_KIND = "policyclf.Model"


def save_model(model: Any, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Save a :class:`policyclf.Model` as a bundle folder (atomic; see :func:`save_bundle`).

    Arrays: the vocabulary, idf weights, coefficients, intercepts, calibration and thresholds.
    Meta: the featurizer settings and cue terms, the taxonomy, the model's metadata.
    Extra files: ``report.json`` and ``report.md`` when the model has a report.
    """
    from .evaluation import report_markdown

    state = model.featurizer.state()
    terms = list(cast("Sequence[str]", state["terms"]))
    arrays = {
        "terms": np.array(terms, dtype=f"<U{max([1, *map(len, terms)])}"),
        "idf": state["idf"],
        "coef": model.coef,
        "intercept": model.intercept,
        "calibration": model.calibration,
        "thresholds": model.thresholds,
    }
    if getattr(model, "gate_coef", None) is not None:
        arrays["gate_coef"] = model.gate_coef
        arrays["gate_params"] = model.gate_params
    meta = {
        "kind": MODEL_KIND,
        "labels": list(model.labels),
        "featurizer": {
            "cues": state["cues"],
            "char_bigrams": bool(state["char_bigrams"]),
            "cue_scale": float(cast(float, state["cue_scale"])),
            "min_df": int(cast(int, state["min_df"])),
            "shown_cues": int(cast(int, state["shown_cues"])),
        },
        "taxonomy": model.taxonomy.to_dict(),
        "metadata": _plain(model.metadata),
    }
    files: dict[str, str | bytes] = {}
    if model.report:
        files["report.json"] = json.dumps(_plain(model.report), ensure_ascii=False, indent=2)
        files["report.md"] = report_markdown(model.report)
    return save_bundle(path, arrays, meta, files, overwrite=overwrite)


def load_model(path: str | os.PathLike[str]) -> Any:
    """Load a model folder written by :func:`save_model`. Never executes code from it.

    Raises:
        ModelFileError: naming the path and the problem (missing, not a model, corrupt,
            written by an incompatible version, inconsistent arrays).
    """
    from .evaluation import Report
    from .features import Featurizer
    from .model import Model
    from .taxonomy import Taxonomy

    bundle = load_bundle(path)
    meta = bundle.meta
    where = str(bundle.path)
    if meta.get("kind") != MODEL_KIND:
        raise ModelFileError(
            f"{where}: not a policyclf tagging model (kind {meta.get('kind')!r}, "
            f"expected {MODEL_KIND!r})"
        )
    missing = {"terms", "idf", "coef", "intercept", "calibration", "thresholds"} - set(
        bundle.arrays
    )
    if missing:
        raise ModelFileError(f"{where}: arrays.npz lacks {sorted(missing)}; re-train the model")
    try:
        tax = Taxonomy.from_dict(meta["taxonomy"], source=f"{where} (taxonomy)")
        fs = meta["featurizer"]
        a = bundle.arrays
        featurizer = Featurizer.from_state(
            terms=a["terms"].tolist(),
            idf=a["idf"],
            cues=fs["cues"],
            char_bigrams=bool(fs["char_bigrams"]),
            cue_scale=float(fs["cue_scale"]),
            min_df=int(fs.get("min_df", 1)),
            shown_cues=fs.get("shown_cues"),
        )
        if list(tax.ids) != list(meta["labels"]):
            raise ValueError(f"labels {meta['labels']} do not match taxonomy ids {list(tax.ids)}")
        report = json.loads(bundle.text("report.json")) if "report.json" in bundle.files else {}
        return Model(
            featurizer,
            a["coef"],
            a["intercept"],
            a["calibration"],
            a["thresholds"],
            tax,
            metadata=meta.get("metadata", {}),
            report=Report(report),
            gate_coef=a.get("gate_coef"),
            gate_params=a.get("gate_params"),
        )
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(
            f"{where}: the model's contents are inconsistent ({type(exc).__name__}: {exc}); "
            "re-train or re-save it with this version of policyclf"
        ) from exc


def _plain(value: Any) -> Any:
    """Convert numpy scalars/arrays and tuples to plain JSON types."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
