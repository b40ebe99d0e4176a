"""Checking one raw row: its text, its labels against the taxonomy, its id and group."""

from __future__ import annotations

import difflib
import math
import re

from ..taxonomy import Taxonomy
from .rows import _REPR, LabelledRow, _json_type, _Problems, _Raw

__all__ = []


_LABEL_SPLIT = re.compile(r"[;；|]")
_LIST_HINT_SPLIT = re.compile(r"[,，、/]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Resolver:
    """Label spellings to taxonomy ids, with suggestions; cached (files repeat labels a lot)."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.ids = taxonomy.ids
        self._cache: dict[str, str | None] = {}
        self._folded: dict[str, str] = {}
        for name in taxonomy.names():
            self._folded.setdefault(name.casefold(), name)

    def resolve(self, label: str) -> str | None:
        try:
            return self._cache[label]
        except KeyError:
            found = self._cache[label] = self.taxonomy.resolve(label)
            return found

    def unknown(self, label: str) -> str:
        parts = [p for p in _LIST_HINT_SPLIT.split(label) if p.strip()]
        if len(parts) > 1 and all(self.resolve(p) for p in parts):
            joined = ";".join(p.strip() for p in parts)
            return f"unknown label {label!r} (separate several labels with ';', e.g. {joined!r})"
        close = difflib.get_close_matches(label.casefold(), list(self._folded), n=1, cutoff=0.5)
        if close:
            return f"unknown label {label!r} (did you mean {self._folded[close[0]]!r}?)"
        return (
            f"unknown label {label!r} (valid ids: {', '.join(self.ids)}; "
            "their Chinese and English names are accepted too)"
        )


def _optional(value: object) -> str | bool | None:
    """An id/group cell as text; None if blank; False if it is not a scalar."""
    if value is None:
        return None
    if isinstance(value, (bool, dict, list)):
        return False
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    text = str(value).strip()
    return text or None


def _finish(raw: _Raw, resolver: _Resolver, probs: _Problems) -> LabelledRow | None:
    ok = True

    def bad(message: str) -> None:
        nonlocal ok
        ok = False
        probs.add(raw.file, raw.source, raw.row, message + raw.note)

    text = raw.text
    if not isinstance(text, str):
        bad(f"text must be a string, got {_json_type(text)}: {_REPR.repr(text)}")
        text = ""
    else:
        text = text.strip()
        if not text:
            bad("empty text")
        elif _SURROGATE.search(text):
            bad("text contains an invalid character (a lone surrogate, e.g. from a \\ud800 escape)")

    items: list[str] = []
    labels = raw.labels
    if labels is None or (isinstance(labels, float) and math.isnan(labels)):
        pass
    elif isinstance(labels, str):
        items = _LABEL_SPLIT.split(labels)
    elif isinstance(labels, list) and all(isinstance(x, str) for x in labels):
        items = [part for x in labels for part in _LABEL_SPLIT.split(x)]
    else:
        got = f"{_json_type(labels)}: {_REPR.repr(labels)}"
        bad(f"labels must be a string or a list of strings, got {got}")
    found: set[str] = set()
    for item in items:
        item = item.strip()
        if not item:
            continue
        cid = resolver.resolve(item)
        if cid is None:
            bad(resolver.unknown(item))
        else:
            found.add(cid)

    ident = _optional(raw.id)
    if ident is False:
        bad(f"id must be a string or a number, got {_REPR.repr(raw.id)}")
    group = _optional(raw.group)
    if group is False:
        bad(f"group must be a string or a number, got {_REPR.repr(raw.group)}")
    if not ok:
        return None
    return LabelledRow(
        text=text,
        labels=tuple(i for i in resolver.ids if i in found),
        id=ident if isinstance(ident, str) else None,
        group=group if isinstance(group, str) else None,
        source=raw.source,
        row=raw.row,
    )
