"""Loading and verifying a bundle folder (:func:`load_bundle`, :class:`Bundle`).

Every listed file is checked against the manifest's size and sha256 before use; ``arrays.npz``
is read with ``allow_pickle=False`` and only numeric and unicode arrays are accepted.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from policyclf.exceptions import ModelFileError

from .manifest import (
    _ALLOWED_KINDS,
    ARRAYS_NAME,
    MANIFEST_NAME,
    _load_manifest,
    _looks_like_pickle,
    _read_plain_file,
)

__all__ = ["Bundle", "load_bundle"]


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
