"""Active learning: which texts to label next so that a model learns most from few rows.

:func:`suggest` (also :meth:`Model.suggest <policyclf.model.Model.suggest>`) ranks candidate
texts — a list, a DataFrame, or documents read from files and folders — and returns the ``n``
most useful to label next, each with the reason it was chosen and the model's own labels and
scores (to pre-fill an annotation tool). The ``"default"`` strategy combines:

* **uncertainty** per label, in calibrated terms: how close the probability is to the label's
  decision threshold, relative to the room on that side (``1`` at the threshold, ``0`` at
  probability 0 or 1);
* **priority for weak and rare labels**, from the model's own report (grouped cross-validation
  F1 and support per label): a label's uncertainty counts more the weaker it is, and a text
  that probably carries a rare label is worth labelling even when the model is sure;
* **diversity**: maximal marginal relevance on the model's own TF-IDF rows (cosine similarity),
  so near-duplicates are never both chosen, and a penalty for taking more than a fair share
  from one document;
* **exclusion** of texts already in the bundled training data or in ``exclude`` (files or
  texts), compared by :func:`policyclf.labelfiles.text_key`, so texts that differ only in
  punctuation, spacing or character forms count as the same.

``"uncertainty"`` uses the plain uncertainty (no label weights, no diversity) and ``"random"`` a
uniform sample; both exist as baselines (``benchmarks/suggest.py``). Results depend only on the
inputs and ``seed``.
"""

from __future__ import annotations

import functools
import math
import os
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .labelfiles import text_key
from .text import is_chinese_text, normalize

if TYPE_CHECKING:
    import pandas as pd

    from .model import Model

__all__ = [
    "STRATEGIES",
    "Candidates",
    "candidates",
    "exclusion_keys",
    "label_priorities",
    "suggest",
    "training_keys",
]

#: The selection strategies :func:`suggest` knows.
STRATEGIES: tuple[str, ...] = ("default", "uncertainty", "random")

#: Two candidates whose TF-IDF rows have at least this cosine similarity are near-duplicates:
#: at most one of them is suggested.
NEAR_DUPLICATE = 0.8

_TEXT_COLS = ("text", "文本", "内容", "content", "sentence", "paragraph")
_ID_COLS = ("id", "编号")
_DOC_COLS = ("doc", "document", "group", "分组", "region", "地区")
_LINE_BREAK = re.compile(r"[ \t\u3000]*[\r\n]+[ \t\u3000]*")
_TABLE_EXT = {".csv", ".tsv", ".jsonl", ".ndjson", ".xlsx", ".xlsm"}

# weights of the default strategy (see the module docstring)
_SIMILARITY_WEIGHT = 0.5  # MMR: priority - weight * max cosine similarity to chosen texts
_DOC_WEIGHT = 0.2  # minus weight * (texts already taken from the doc / its fair share)
_POOL_FACTOR = 20  # MMR looks at the n * factor (at least 2000) highest-priority candidates


@dataclass
class Candidates:
    """Texts to choose from, with an id and (when known) the document each comes from."""

    ids: list[str]
    texts: list[str]
    docs: list[str | None]
    extra: dict[str, list[Any]] = field(default_factory=dict)  # e.g. start/end offsets

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, keep: Sequence[int]) -> Candidates:
        return Candidates(
            [self.ids[i] for i in keep],
            [self.texts[i] for i in keep],
            [self.docs[i] for i in keep],
            {k: [v[i] for i in keep] for k, v in self.extra.items()},
        )


# --------------------------------------------------------------------------- public API


def suggest(
    model: Model,
    source: Any,
    n: int = 200,
    strategy: str = "default",
    exclude: Any = None,
    seed: int = 0,
    *,
    text_col: str | None = None,
    exclude_training: bool = True,
    min_chars: int = 6,
) -> pd.DataFrame:
    """The ``n`` texts of ``source`` most worth labelling next, most useful first.

    Args:
        model: the model to improve.
        source: candidate texts: a list of texts, a pandas Series, or a DataFrame with a text
            column (and optional ``id`` and ``doc``/``document``/``group`` columns), one text
            per row; or documents, split into sentences by the reader: what
            :func:`policyclf.read_corpus` reads — a folder, a file, a glob (as ``str`` naming an
            existing path or containing ``*``, or ``os.PathLike``), a list of ``os.PathLike``
            paths, or a CSV/TSV/JSONL/Excel table file with one document (or sentence) per row
            and a ``text`` column (a ``document`` column groups rows into documents).
        n: how many texts to return (fewer when fewer are eligible).
        strategy: ``"default"`` (uncertainty weighted by label weakness and rarity, with
            diversity), ``"uncertainty"`` (closest to a threshold, nothing else) or
            ``"random"``.
        exclude: texts not to suggest again: a labelled or suggested file (CSV/TSV/JSONL,
            Excel, Label Studio or doccano export, or a batch this function wrote), or a list
            whose ``str`` items are texts and ``os.PathLike`` items are such files, or a
            DataFrame with a text column.
        seed: breaks ties (and draws the ``"random"`` sample); equal inputs and seed give
            equal results.
        text_col: the text column of a DataFrame (default: ``text`` or a known alias).
        exclude_training: also exclude the bundled training texts when the model was trained
            on them (``model.metadata["base"]``).
        min_chars: texts with fewer Chinese characters are never suggested (headings, stubs).

    Returns:
        A DataFrame in the order chosen, with columns ``id``, ``text``, ``doc`` (``None`` when
        unknown), ``reason`` (why it was chosen, e.g. ``"talent near threshold"``,
        ``"rare: transfer"``), ``priority`` (the strategy's value of the text), ``labels``
        (the model's labels joined by ``;``), ``score_<id>`` per label, and ``start``/``end``
        character offsets into the file when the texts were read from documents (a sentence
        wrapped over lines is given without its line breaks). ``df.attrs`` holds counts
        of candidates, exclusions and near-duplicates skipped.

    Raises:
        ValueError: unknown strategy, ``n`` < 1, or a source or exclude file that cannot be read.
        TypeError: ``source`` is of no supported type.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    cands = source if isinstance(source, Candidates) else candidates(source, text_col=text_col)
    stats: dict[str, int] = {"candidates": len(cands)}
    blocked = exclusion_keys(exclude)
    if exclude_training and model.metadata.get("base", True):
        blocked |= training_keys(model)
    keep: list[int] = []
    seen: set[str] = set()
    skipped = {"excluded": 0, "repeats": 0, "too_short": 0}
    for i, t in enumerate(cands.texts):
        norm = normalize(t)
        if not is_chinese_text(norm, normalized=True) or _cjk_count(norm) < min_chars:
            skipped["too_short"] += 1
            continue
        key = text_key(t)
        if key in blocked:
            skipped["excluded"] += 1
        elif key in seen:
            skipped["repeats"] += 1
        else:
            seen.add(key)
            keep.append(i)
    stats.update(skipped)
    pool = cands.subset(keep)
    stats["eligible"] = len(pool)
    rng = np.random.default_rng(seed)
    if not len(pool):
        return _frame(model, pool, [], [], np.zeros((0, len(model.labels))), [], stats)
    order = rng.permutation(len(pool))  # the tie-break order
    tags = model.tag_many(pool.texts, evidence=False)
    P = np.array([[t.scores[k] for k in model.labels] for t in tags], dtype=np.float64)
    P = P.reshape(len(pool), len(model.labels))
    U = uncertainty(P, model.thresholds)
    labels = list(model.labels)
    if strategy == "random":
        chosen = order[: min(n, len(pool))].tolist()
        return _frame(model, pool, chosen, ["random"] * len(chosen), P, [0.0] * len(chosen), stats)
    if strategy == "uncertainty":
        value = U.max(axis=1)
        best = U.argmax(axis=1)
        chosen = _top(value, order, n)
        reasons = [f"{labels[best[i]]} near threshold" for i in chosen]
        return _frame(model, pool, chosen, reasons, P, value[chosen].tolist(), stats)
    prio = label_priorities(model)
    weight = np.array([prio[k]["weight"] for k in labels])
    rarity = np.array([prio[k]["rarity"] for k in labels])
    near = U * weight  # uncertainty, weighted by the label's weakness and rarity
    likely = rarity * np.minimum(1.0, P / np.maximum(model.thresholds, 1e-9))
    value = np.maximum(near.max(axis=1), likely.max(axis=1))
    chosen, dupes = _mmr(model, pool, value, order, n)
    stats["near_duplicates"] = dupes
    reasons = []
    for i in chosen:
        j_near, j_rare = int(near[i].argmax()), int(likely[i].argmax())
        if likely[i, j_rare] > near[i, j_near]:
            reasons.append(f"rare: {labels[j_rare]}")
        else:
            reasons.append(f"{labels[j_near]} near threshold")
    return _frame(model, pool, chosen, reasons, P, value[chosen].tolist(), stats)


def uncertainty(P: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Per-label uncertainty of calibrated probabilities ``P`` (n, k) given the thresholds.

    ``1 - |p - t| / room``, where room is ``t`` below the threshold and ``1 - t`` above it: 1 at
    the threshold, 0 at probability 0 or 1, and a label with a low threshold is as uncertain
    at ``p = t/2`` as one with a high threshold at ``p = t/2``.
    """
    t = np.clip(np.asarray(thresholds, dtype=np.float64), 1e-9, 1 - 1e-9)
    room = np.where(t > P, t, 1.0 - t)
    out: np.ndarray = np.clip(1.0 - np.abs(P - t) / room, 0.0, 1.0)
    return out


def label_priorities(model: Model) -> dict[str, dict[str, float]]:
    """Each label's support, F1, and the weights :func:`suggest` gives it.

    From the model's report (grouped cross-validation over all rows): ``weakness = 1 - F1``,
    ``rarity = 1 - support / largest support`` and ``weight = 1 + weakness + rarity``. A model
    without such a report uses the training label counts of its report when present, else
    equal weights.
    """
    labels = list(model.labels)
    report: Mapping[str, Any] = model.report or {}
    per = report.get("cv", {}).get("subsets", {}).get("all", {}).get("labels", {})
    counts = report.get("data", {}).get("label_counts", {})
    support = {k: float(per.get(k, {}).get("support", counts.get(k, 0)) or 0) for k in labels}
    f1: dict[str, float | None] = {
        k: float(per[k]["f1"]) if k in per and per[k].get("support") else None for k in labels
    }
    top = max(support.values(), default=0.0)
    out: dict[str, dict[str, float]] = {}
    for k in labels:
        score = f1[k]
        weak = 1.0 - score if score is not None else (1.0 if per else 0.0)
        rare = 1.0 - support[k] / top if top > 0 else 0.0
        out[k] = {
            "support": support[k],
            "f1": float("nan") if score is None else score,
            "weakness": weak,
            "rarity": rare,
            "weight": 1.0 + weak + rare,
        }
    return out


def training_keys(model: Model | None = None) -> set[str]:
    """:func:`text_key` of every bundled training row (corpus, codebook, supplement, and the
    coded pool sentences when the pool documents are on this machine); computed once."""
    return set(_bundled_keys())


@functools.lru_cache(maxsize=1)
def _bundled_keys() -> frozenset[str]:
    from .features import AnalysedText
    from .training import base_rows

    rows = base_rows()
    keys = {text_key(r.text) for r in rows if not isinstance(r.text, AnalysedText)}
    if len(keys) < len(rows):
        # rows shipped as analyses only (the coded pool sentences): their text is in the pool
        # documents when the pool is on this machine
        from .pool import find_pool, load_pool_labels, pool_texts

        if find_pool() is not None:
            texts = pool_texts()
            for span in load_pool_labels("train"):
                if span.doc in texts:
                    keys.add(text_key(texts[span.doc][span.start : span.end]))
    return frozenset(keys)


def exclusion_keys(exclude: Any) -> set[str]:
    """:func:`text_key` of the texts in ``exclude`` (see :func:`suggest`)."""
    if exclude is None:
        return set()
    if isinstance(exclude, (str, os.PathLike)):
        return {text_key(t) for t in _file_texts(exclude)}
    if _is_frame(exclude):
        return {text_key(t) for t in candidates(exclude).texts}
    keys: set[str] = set()
    for item in exclude:
        if isinstance(item, os.PathLike):
            keys |= {text_key(t) for t in _file_texts(item)}
        elif isinstance(item, str):
            keys.add(text_key(item))
        else:
            raise TypeError(
                f"exclude: items must be texts (str) or files (os.PathLike), got "
                f"{type(item).__name__}"
            )
    keys.discard("")
    return keys


def candidates(source: Any, *, text_col: str | None = None) -> Candidates:
    """The candidate texts of ``source`` (see :func:`suggest` for what it can be)."""
    if isinstance(source, Candidates):
        return source
    if _is_frame(source):
        return _from_frame(source, text_col)
    if _is_series(source):
        texts = source.tolist()
        _check_texts(texts)
        return Candidates([str(i) for i in source.index], texts, [None] * len(texts))
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and (os.path.exists(source) or "*" in source)
    ):
        return _from_paths([source])
    if isinstance(source, (str, bytes)):
        raise TypeError(
            "suggest: a single str is read as a file or folder, and "
            f"{source[:60]!r} names none; pass texts as a list"
        )
    if isinstance(source, Iterable):
        items = list(source)
        if items and all(isinstance(x, os.PathLike) for x in items):
            return _from_paths(items)
        _check_texts(items)
        return Candidates([f"t{i}" for i in range(len(items))], items, [None] * len(items))
    raise TypeError(
        "suggest: source must be a list of texts, a pandas Series or DataFrame, or paths of "
        f"documents, got {type(source).__name__}"
    )


# --------------------------------------------------------------------------- selection


def _top(value: np.ndarray, order: np.ndarray, n: int) -> list[int]:
    """Indices of the ``n`` largest values; ties in ``order`` (the seeded permutation)."""
    ranked = order[np.argsort(-value[order], kind="stable")]
    return ranked[:n].tolist()


def _mmr(
    model: Model, pool: Candidates, value: np.ndarray, order: np.ndarray, n: int
) -> tuple[list[int], int]:
    """Greedy maximal marginal relevance: value - similarity to chosen - doc over-share."""
    look = _top(value, order, max(n * _POOL_FACTOR, 2000))
    X = _unit_rows(model, [pool.texts[i] for i in look])
    v = value[look]
    top = float(v.max()) if len(v) else 0.0
    v = v / top if top > 0 else v
    docs = [pool.docs[i] for i in look]
    n_docs = len({d for d in docs if d is not None})
    share = math.ceil(n / n_docs) if n_docs > 1 else 0
    taken: dict[str, int] = {}
    max_sim = np.zeros(len(look))
    alive = np.ones(len(look), dtype=bool)
    chosen: list[int] = []
    dupes = 0
    while len(chosen) < n and alive.any():
        score = v - _SIMILARITY_WEIGHT * max_sim
        if share:
            score = score - _DOC_WEIGHT * np.array(
                [taken.get(d, 0) / share if d is not None else 0.0 for d in docs]
            )
        score[~alive] = -np.inf
        j = int(np.argmax(score))  # first maximum: ties follow the seeded order of `look`
        alive[j] = False
        chosen.append(look[j])
        d = docs[j]
        if d is not None:
            taken[d] = taken.get(d, 0) + 1
        sim = np.asarray(X @ X[j].T.toarray()).ravel()
        newly = alive & (sim >= NEAR_DUPLICATE)
        dupes += int(newly.sum())
        alive &= ~newly
        np.maximum(max_sim, sim, out=max_sim)
    return chosen, dupes


def _unit_rows(model: Model, texts: list[str]) -> Any:
    """The texts' word/bigram TF-IDF rows (no cue counts), scaled to unit length (scipy CSR)."""
    feat = model.featurizer
    X = feat.transform(texts).to_scipy().tocsc()[:, : feat.n_text_features].tocsr()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    from scipy.sparse import diags

    return (diags(1.0 / norms) @ X).tocsr()


def _frame(
    model: Model,
    pool: Candidates,
    chosen: Sequence[int],
    reasons: Sequence[str],
    P: np.ndarray,
    priority: Sequence[float],
    stats: Mapping[str, int],
) -> pd.DataFrame:
    import pandas as pd

    labels = list(model.labels)
    on = model.thresholds <= P if len(P) else np.zeros((0, len(labels)), dtype=bool)
    data: dict[str, Any] = {
        "id": [pool.ids[i] for i in chosen],
        "text": [pool.texts[i] for i in chosen],
        "doc": pd.Series([pool.docs[i] for i in chosen], dtype=object),
        "reason": list(reasons),
        "priority": [round(float(p), 4) for p in priority],
        "labels": [";".join(k for k, f in zip(labels, on[i], strict=True) if f) for i in chosen],
    }
    for j, k in enumerate(labels):
        data[f"score_{k}"] = [float(P[i, j]) for i in chosen]
    for name, values in pool.extra.items():
        data[name] = [values[i] for i in chosen]
    out = pd.DataFrame(data)
    out.attrs.update(stats)
    out.attrs["selected"] = len(out)
    return out


# --------------------------------------------------------------------------- inputs


def _cjk_count(norm: str) -> int:
    return sum(1 for c in norm if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf")


def _is_frame(x: object) -> bool:
    return type(x).__name__ == "DataFrame" and hasattr(x, "columns")


def _is_series(x: object) -> bool:
    return type(x).__name__ == "Series" and hasattr(x, "index")


def _check_texts(items: Sequence[object]) -> None:
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise TypeError(f"suggest: item {i} is {type(t).__name__}, not a text (str)")


def _pick(columns: Sequence[str], names: Sequence[str]) -> str | None:
    folded = {str(c).strip().casefold(): c for c in columns}
    for name in names:
        if name.casefold() in folded:
            return str(folded[name.casefold()])
    return None


def _from_frame(df: Any, text_col: str | None, where: str = "DataFrame") -> Candidates:
    col = text_col if text_col is not None else _pick(list(df.columns), _TEXT_COLS)
    if col is None or col not in df.columns:
        raise ValueError(
            f"{where}: no text column (looked for {text_col or ', '.join(_TEXT_COLS)}); "
            f"columns: {list(df.columns)}"
        )
    id_col = _pick(list(df.columns), _ID_COLS)
    doc_col = _pick(list(df.columns), _DOC_COLS)
    texts: list[str] = []
    ids: list[str] = []
    docs: list[str | None] = []
    for n, (idx, row) in enumerate(df.iterrows()):
        t = row[col]
        if not isinstance(t, str):
            continue  # empty cells, NaN, numbers: nothing to label
        texts.append(t)
        ident = row[id_col] if id_col is not None else idx
        ids.append(str(ident) if _present(ident) else str(n))
        d = row[doc_col] if doc_col is not None else None
        docs.append(str(d) if _present(d) else None)
    return Candidates(ids, texts, docs)


def _present(v: object) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and str(v) != ""


def _from_paths(paths: Sequence[str | os.PathLike[str]]) -> Candidates:
    """The sentences of the documents of ``paths`` (read by :func:`policyclf.read_corpus`'s
    :func:`~policyclf.readers.iter_documents`: files, folders, globs, tables of documents)."""
    from .readers import iter_documents

    out = Candidates([], [], [], {"start": [], "end": []})
    unreadable: list[str] = []
    for path in paths:
        for item in iter_documents(path if isinstance(path, str) else Path(path)):
            if item.error:
                unreadable.append(item.error)
                continue
            doc = _document_of(item)
            for k, s in enumerate(item.to_document().sentences):
                out.ids.append(f"{item.doc}#{k + 1}")
                out.texts.append(_LINE_BREAK.sub("", s.text))  # a sentence wrapped over lines
                out.docs.append(doc)
                out.extra["start"].append(s.start)
                out.extra["end"].append(s.end)
    if unreadable:
        warnings.warn(
            f"suggest: {len(unreadable)} document(s) could not be read and were skipped: "
            + "; ".join(unreadable[:5])
            + (" ..." if len(unreadable) > 5 else ""),
            UserWarning,
            stacklevel=3,
        )
    return out


def _document_of(item: Any) -> str:
    """A table row's document column when it has one (rows as sentences), else the item."""
    for key in ("document", "doc_", "group", "region"):
        v = item.metadata.get(key)
        if _present(v):
            return str(v)
    return str(item.doc)


def _read_table(path: str) -> Any:
    import pandas as pd

    ext = os.path.splitext(path)[1].lower()
    try:
        if ext in {".xlsx", ".xlsm"}:
            return pd.read_excel(path, dtype=str)
        if ext in {".jsonl", ".ndjson"}:
            return pd.read_json(path, lines=True, dtype=False)
        sep = "\t" if ext == ".tsv" else ","
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, OSError) as e:
        raise ValueError(f"{path}: cannot read this table of texts ({e})") from e


def _file_texts(path: str | os.PathLike[str]) -> list[str]:
    """Texts of an exclude file: a table, a Label Studio JSON array, doccano or plain lines."""
    import json

    p = os.fspath(path)
    if not os.path.exists(p):
        raise FileNotFoundError(f"exclude: no such file: {p}")
    ext = os.path.splitext(p)[1].lower()
    if ext == ".json":
        try:
            with open(p, encoding="utf-8-sig") as fh:
                items = json.load(fh)
        except (ValueError, UnicodeDecodeError) as e:
            raise ValueError(f"{p}: not a JSON array of tasks ({e})") from e
        if not isinstance(items, list):
            raise ValueError(f"{p}: not a JSON array of tasks")
        texts = []
        for item in items:
            if isinstance(item, str):
                texts.append(item)
            elif isinstance(item, dict):
                data = item.get("data") if isinstance(item.get("data"), dict) else item
                t = data.get("text") if isinstance(data, dict) else None
                if isinstance(t, str):
                    texts.append(t)
        return texts
    if ext in _TABLE_EXT:
        return _from_frame(_read_table(p), None, where=p).texts
    with open(p, encoding="utf-8-sig") as fh:
        return [line.strip() for line in fh if line.strip()]
