"""Atomic saving of a bundle folder (:func:`save_bundle`).

Everything is written into a hidden sibling folder (``.<name>.tmp-<pid>-<random>``), flushed to
disk, then renamed onto the target; leftovers of dead processes are removed on the next save.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import secrets
import shutil
import time
import zipfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from policyclf.exceptions import ModelExistsError

from .manifest import (
    _ALLOWED_KINDS,
    ARRAYS_NAME,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_NAME,
    _file_name_problem,
    _is_model_folder,
    _leftovers,
    _policyclf_version,
)

__all__ = ["save_bundle"]


# Leftover temp/old folders of a dead process (or older than this) are removed on the next save.
_STALE_AFTER_SECONDS = 24 * 3600
_MAX_SWAP_ATTEMPTS = 20


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
