"""``tag_corpus``: every sentence (or paragraph) of every document of a corpus, tagged.

The corpus is read with :func:`policyclf.read_corpus`'s reader (a folder, a glob, a list of
paths, or a table of documents); each document is split into paragraphs and sentences by the
policy-document reader, and every unit is tagged. The result has one row per unit, and one row
per document that could not be read or has no text (with the reason in ``error``), so nothing
is lost.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from ..model import Model

__all__ = ["UNITS", "is_tagged_corpus", "iter_units", "tag_corpus"]

#: The units ``tag_corpus`` can tag.
UNITS = ("sentence", "paragraph")

#: ``DataFrame.attrs`` key that records the unit of a tag_corpus result.
UNIT_ATTR = "policyclf_unit"

_OWN_COLUMNS = ("paragraph", "sentence", "unit", "headings", "text", "start", "end", "labels")


def _items(source: Any, text_col: str, id_col: str | None) -> Iterator[Any]:
    """The documents of ``source``, one at a time, as reader items."""
    from ..readers import iter_documents

    return iter_documents(source, text_col=text_col, id_col=id_col)


def is_tagged_corpus(obj: object) -> bool:
    """Whether ``obj`` looks like a :func:`tag_corpus` result (a DataFrame with its columns)."""
    cols = getattr(obj, "columns", None)
    if cols is None:
        return False
    have = set(cols)
    return {"doc", "labels", "error", "text"} <= have and any(
        str(c).startswith("score_") for c in have
    )


def iter_units(document: Any, unit: str) -> Iterator[tuple[int, int, Any, tuple[str, ...]]]:
    """``(paragraph number, sentence number or 0, unit, headings)`` of a parsed document."""
    for i, p in enumerate(document.paragraphs, start=1):
        headings = tuple(p.headings)
        if unit == "paragraph":
            yield i, 0, p, headings
        else:
            for j, s in enumerate(p.sentences, start=1):
                yield i, j, s, headings


def tag_corpus(
    model: Model,
    source: Any,
    unit: str = "sentence",
    *,
    text_col: str = "text",
    id_col: str | None = None,
    batch_size: int = 2048,
    n_jobs: int = 1,
    progress: bool = False,
) -> pd.DataFrame:
    """Tag every sentence (or paragraph) of every document of ``source``.

    Args:
        model: the tagging model.
        source: whatever :func:`policyclf.read_corpus` reads — a folder, a glob, a list of
            paths, or a table of documents (a DataFrame or a CSV/TSV/JSONL/Excel file path,
            one document per row, text in ``text_col``, other columns metadata).
        unit: ``"sentence"`` or ``"paragraph"``.
        text_col, id_col: for a table of documents, the text column and the column of
            document ids (default: the 1-based row number).

    Returns:
        A DataFrame, one row per unit, with the columns ``doc``, the corpus's metadata
        columns (``path``, ``format``, ``title``, ``date``, … and a table's own columns),
        ``paragraph`` (1-based within the document), ``sentence`` (1-based within the
        paragraph; sentence units only), ``unit`` (1-based within the document), ``headings``
        (the headings in force, joined by " > "), ``text``, ``start``/``end`` (character
        offsets into the document's text), ``labels`` (ids joined by ";"), ``score_<id>`` per
        label, and ``error``. A document that cannot be read or has no text gives one row with
        ``unit`` 0, no labels, NaN scores and the reason in ``error``.
    """
    import pandas as pd

    if unit not in UNITS:
        raise ValueError(f"unit must be 'sentence' or 'paragraph', got {unit!r}")
    labels = model.labels
    rows: list[dict[str, Any]] = []
    texts: list[str] = []
    where: list[int] = []  # row index of each text to tag
    meta_cols: dict[str, None] = {}
    for item in _items(source, text_col, id_col):
        meta = _metadata(item)
        for k in meta:
            meta_cols.setdefault(k, None)
        base = {"doc": item.doc, **meta}
        if item.error:
            rows.append(_error_row(base, item.error))
            continue
        n = 0
        for n, (i, j, u, headings) in enumerate(iter_units(item.to_document(), unit), start=1):
            row = dict(base)
            row.update(paragraph=i, unit=n, headings=" > ".join(headings))
            if unit == "sentence":
                row["sentence"] = j
            row.update(text=u.text, start=u.start, end=u.end)
            where.append(len(rows))
            texts.append(u.text)
            rows.append(row)
        if n == 0:
            rows.append(_error_row(base, f"{item.doc}: no text (the document has no {unit}s)"))
    tags = model.tag_many(
        texts, batch_size=batch_size, n_jobs=n_jobs, progress=progress, evidence=False
    )
    scores = np.full((len(rows), len(labels)), np.nan)
    label_col = [""] * len(rows)
    for r, t in zip(where, tags, strict=True):
        label_col[r] = ";".join(t.labels)
        scores[r] = [t.scores[k] for k in labels]
    clash = sorted(set(meta_cols) & {*_OWN_COLUMNS, "doc", "error"})
    if clash:
        raise ValueError(
            f"tag_corpus: the corpus has metadata columns named {clash}, which tag_corpus "
            "writes; rename them"
        )
    own = ["paragraph", *(["sentence"] if unit == "sentence" else []), "unit", "headings"]
    columns = ["doc", *meta_cols, *own, "text", "start", "end"]
    frame = pd.DataFrame(rows, columns=columns)
    for c in (*own[:-1], "start", "end"):
        frame[c] = frame[c].astype("Int64")
    frame["headings"] = frame["headings"].fillna("")
    frame["text"] = frame["text"].fillna("")
    frame["labels"] = pd.Series(label_col, dtype=object)
    for j, k in enumerate(labels):
        frame[f"score_{k}"] = scores[:, j]
    frame["error"] = pd.Series([r.get("error", "") for r in rows], dtype=object)
    frame.attrs[UNIT_ATTR] = unit
    return frame


def _metadata(item: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in ("path", "format"):
        out[k] = getattr(item, k, "")
    meta: Mapping[str, Any] = getattr(item, "metadata", {}) or {}
    for k, v in meta.items():
        if k not in out:
            out[k] = v
    return out


def _error_row(base: Mapping[str, Any], error: str) -> dict[str, Any]:
    row = dict(base)
    row.update(unit=0, text="", error=error or "unreadable")
    return row
