"""Duplicate, conflicting and near-duplicate rows, and the near-duplicate key :func:`text_key`."""

from __future__ import annotations

import re

from ..text import normalize
from .rows import LabelledRow, NearDuplicateWarning, _Problems

__all__ = ["text_key"]


_MAX_PAIRS = 20  # near-duplicate / repeat pairs named in one warning
_NOT_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")


def text_key(text: str) -> str:
    """The near-duplicate key of ``text``: normalised, case-folded, without spaces/punctuation.

    Texts with equal keys differ only in punctuation, spacing, width or character forms; the
    reader warns about them, and cross-validation keeps them in one group.
    """
    return _NOT_WORD.sub("", normalize(text).casefold())


def _shown(labels: tuple[str, ...]) -> str:
    return ";".join(labels) or "none"


def _place(row: LabelledRow) -> str:
    return f"{row.source} row {row.row}"


def _corpus_place(row: LabelledRow) -> str:
    return (
        f"bundled row {row.id} ({row.source})" if row.id else f"bundled {row.source} row {row.row}"
    )


def _check_duplicates(
    rows: list[LabelledRow],
    files_of: list[int],
    against: list[LabelledRow],
    probs: _Problems,
    warns: list[tuple[str, type[Warning]]],
) -> None:
    """Exact duplicates and conflicts are problems; near-duplicates are warnings. O(n)."""
    corpus_text: dict[str, LabelledRow] = {}
    near: dict[str, LabelledRow] = {}
    for c in against:
        corpus_text.setdefault(c.text.strip(), c)
        key = text_key(c.text)
        if key:
            near.setdefault(key, c)
    corpus_ids = {id(c) for c in near.values()}

    first_text: dict[str, LabelledRow] = {}
    first_exact: dict[tuple[str, tuple[str, ...]], LabelledRow] = {}
    pairs: list[str] = []
    repeats: list[str] = []
    for row, file in zip(rows, files_of, strict=True):
        known = corpus_text.get(row.text)
        if known is not None:
            if known.labels != row.labels:
                probs.add(
                    file,
                    row.source,
                    row.row,
                    f"conflicts with {_corpus_place(known)} (labels {_shown(known.labels)}); "
                    f"this row has labels {_shown(row.labels)}",
                )
            else:
                repeats.append(f"{_place(row)} = {_corpus_place(known)}")
        dup = first_exact.setdefault((row.text, row.labels), row)
        if dup is not row:
            probs.add(
                file, row.source, row.row, f"duplicate of {_place(dup)} (same text and labels)"
            )
        other = first_text.setdefault(row.text, row)
        if other is not row and other.labels != row.labels:
            probs.add(
                file,
                row.source,
                row.row,
                f"same text as {_place(other)} but different labels "
                f"({_shown(other.labels)} there, {_shown(row.labels)} here)",
            )
        key = text_key(row.text)
        if not key:
            continue
        first = near.setdefault(key, row)
        if first is not row and first.text != row.text:
            where = _corpus_place(first) if id(first) in corpus_ids else _place(first)
            differ = (
                f" (labels differ: {_shown(first.labels)} vs {_shown(row.labels)})"
                if first.labels != row.labels
                else ""
            )
            pairs.append(f"{_place(row)} ~ {where}{differ}")
    if pairs:
        warns.append(
            (
                f"{len(pairs)} near-duplicate pair(s) (texts equal apart from punctuation, "
                "spacing or character forms): " + _listing(pairs),
                NearDuplicateWarning,
            )
        )
    if repeats:
        warns.append(
            (
                f"{len(repeats)} row(s) repeat a bundled row with the same labels "
                "(they add no information and will count twice): " + _listing(repeats),
                UserWarning,
            )
        )


def _listing(items: list[str]) -> str:
    shown = "; ".join(items[:_MAX_PAIRS])
    more = len(items) - _MAX_PAIRS
    return shown + (f"; ... and {more} more" if more > 0 else "")
