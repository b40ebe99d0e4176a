"""Sentence-frame markers: the groups of ``labels/frames.toml``, loaded and validated.

A frame group (a document talking about itself, a target, a procedure, an action of government,
a field outside innovation policy, ...) becomes one feature column of the model, counted like the
categories' cue terms (see :class:`policyclf.features.Featurizer`). The groups are data: they
live in ``labels/frames.toml`` and ship with the package.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .exceptions import TaxonomyError
from .resources import data_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Frame", "default_frames_path", "load_frames"]

YEARS = range(2000, 2051)


@dataclass(frozen=True)
class Frame:
    """One frame group: its id, what it marks, and its terms (``{YYYY}`` expanded)."""

    id: str
    name: str
    terms: tuple[str, ...]


def default_frames_path() -> Path:
    return data_path("labels", "frames.toml")


def load_frames(path: str | os.PathLike[str] | None = None) -> tuple[Frame, ...]:
    """Load and validate a frames file; the bundled one by default.

    Raises:
        TaxonomyError: naming the file, the group and the problem.
    """
    p = Path(path) if path is not None else default_frames_path()
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise TaxonomyError(f"{p}: cannot read frames file ({e.strerror or e})") from e
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise TaxonomyError(f"{p}: not valid UTF-8 TOML: {e}") from e
    groups = data.get("frame")
    if not isinstance(groups, list) or not groups:
        raise TaxonomyError(f"{p}: no [[frame]] groups")
    out: list[Frame] = []
    seen: set[str] = set()
    for i, g in enumerate(groups, start=1):
        where = f"{p}: frame {i}"
        fid, name, terms = g.get("id"), g.get("name"), g.get("terms")
        if not isinstance(fid, str) or not fid.isidentifier():
            raise TaxonomyError(f"{where}: 'id' must be an identifier, got {fid!r}")
        if fid in seen:
            raise TaxonomyError(f"{where}: duplicate id {fid!r}")
        seen.add(fid)
        if not isinstance(name, str) or not name.strip():
            raise TaxonomyError(f"{where} ({fid}): 'name' must be a non-empty string")
        if not isinstance(terms, list) or not terms:
            raise TaxonomyError(f"{where} ({fid}): 'terms' must be a non-empty list")
        bad = [t for t in terms if not isinstance(t, str) or not t.strip()]
        if bad:
            raise TaxonomyError(f"{where} ({fid}): empty or non-string terms {bad!r}")
        expanded: list[str] = []
        for t in terms:
            expanded += [t.replace("{YYYY}", str(y)) for y in YEARS] if "{YYYY}" in t else [t]
        out.append(Frame(fid, name, tuple(dict.fromkeys(expanded))))
    return tuple(out)
