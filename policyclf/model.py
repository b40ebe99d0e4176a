"""The tagging model: scores, labels and evidence for policy text, with numpy only.

A :class:`Model` holds what training learned — the vocabulary and idf weights, one linear
scorer per label, a Platt calibration per label and a decision threshold per label — and the
taxonomy it was trained with. Tagging needs neither scikit-learn nor scipy, which keeps
``import policyclf; policyclf.load()`` fast.

Scoring a text:

1. normalise it (HTML stripped, full-width → half-width, traditional → simplified);
2. text with no Chinese character gets no labels and every score 0.0 (a documented neutral
   result, also for empty and whitespace-only text);
3. otherwise ``z = x · coef + intercept`` and ``p = 1 / (1 + exp(-(a·z + b)))`` per label;
   the label is given when ``p >= threshold``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .evaluation import Report
from .features import Analysis, Featurizer, SparseRows
from .taxonomy import Taxonomy
from .text import is_chinese_text, normalize

if TYPE_CHECKING:
    import pandas as pd

    from .reader import Document, Paragraph, Sentence

__all__ = ["DocumentTags", "Model", "ParagraphTags", "Tag"]

#: How many evidence terms a Tag keeps per label.
EVIDENCE_TERMS = 8


@dataclass(frozen=True)
class Tag:
    """The model's reading of one text.

    Attributes:
        labels: predicted label ids in taxonomy order; ``()`` when the text carries no measure.
        scores: every label id -> calibrated probability in [0, 1].
        evidence: each predicted label -> ``[(term, weight), ...]``, strongest first, where
            weight = the term's feature value × the label's coefficient (cue terms from the
            codebook included). Only terms that pushed toward the label are listed.
    """

    labels: tuple[str, ...]
    scores: dict[str, float]
    evidence: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.labels)


@dataclass(frozen=True)
class ParagraphTags:
    """One paragraph of a document with its tag and its sentences' tags."""

    paragraph: Paragraph
    tag: Tag
    sentences: tuple[tuple[Sentence, Tag], ...]

    @property
    def text(self) -> str:
        return self.paragraph.text


@dataclass(frozen=True)
class DocumentTags:
    """A tagged document: every paragraph, and the profile of the whole document."""

    document: Document
    paragraphs: tuple[ParagraphTags, ...]
    profile: dict[str, float]  # label id -> share of paragraphs carrying it

    def to_frame(self, level: str = "paragraph") -> pd.DataFrame:
        """One row per paragraph (or per sentence with ``level="sentence"``)."""
        import pandas as pd

        if level not in ("paragraph", "sentence"):
            raise ValueError(f"level must be 'paragraph' or 'sentence', got {level!r}")
        rows: list[dict[str, Any]] = []
        for i, pt in enumerate(self.paragraphs, start=1):
            base: dict[str, Any] = {"paragraph": i, "headings": " > ".join(pt.paragraph.headings)}
            units: list[tuple[Paragraph | Sentence, Tag]] = (
                [(pt.paragraph, pt.tag)] if level == "paragraph" else list(pt.sentences)
            )
            for j, (unit, tag) in enumerate(units, start=1):
                row = dict(base)
                if level != "paragraph":
                    row["sentence"] = j
                row.update(text=unit.text, start=unit.start, end=unit.end)
                row["labels"] = ";".join(tag.labels)
                row.update({f"score_{k}": v for k, v in tag.scores.items()})
                rows.append(row)
        return pd.DataFrame(rows)


class Model:
    """A trained tagger. Get one with :func:`policyclf.load` or :func:`policyclf.train`.

    Use :meth:`tag` for one text, :meth:`tag_many` for a batch (the fast path; same results),
    :meth:`tag_frame` for a DataFrame column and :meth:`tag_document` for a whole document.
    """

    def __init__(
        self,
        featurizer: Featurizer,
        coef: np.ndarray,
        intercept: np.ndarray,
        calibration: np.ndarray,
        thresholds: np.ndarray,
        taxonomy: Taxonomy,
        metadata: Mapping[str, Any] | None = None,
        report: Mapping[str, Any] | None = None,
    ) -> None:
        k = len(taxonomy.ids)
        if coef.shape != (featurizer.n_features, k):
            raise ValueError(
                f"coef has shape {coef.shape}, expected ({featurizer.n_features}, {k})"
            )
        if intercept.shape != (k,) or thresholds.shape != (k,) or calibration.shape != (k, 2):
            raise ValueError("intercept, thresholds and calibration must have one entry per label")
        self.featurizer = featurizer
        self.coef = np.ascontiguousarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.calibration = np.asarray(calibration, dtype=np.float64)
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.taxonomy = taxonomy
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.report = Report(report or {})
        self._names: list[str] | None = None

    # ------------------------------------------------------------------ public API
    @property
    def labels(self) -> tuple[str, ...]:
        """The label ids this model predicts, in taxonomy order."""
        return self.taxonomy.ids

    def __repr__(self) -> str:
        v = self.metadata.get("taxonomy_version", self.taxonomy.version)
        return (
            f"<policyclf.Model labels={list(self.labels)} features={self.featurizer.n_features}"
            f" taxonomy={v}>"
        )

    def tag(self, text: str) -> Tag:
        """Tag one text (a sentence or a paragraph).

        Raises:
            TypeError: ``text`` is not a ``str`` (the message names its type).
        """
        _check_str(text, "tag")
        return self._tag_batch([text])[0]

    def tag_many(
        self,
        texts: Iterable[str],
        *,
        batch_size: int = 2048,
        n_jobs: int = 1,
        progress: bool = False,
    ) -> list[Tag]:
        """Tag many texts; the same results as ``[tag(t) for t in texts]``, much faster.

        Args:
            texts: strings (a non-string raises TypeError naming its position and type).
            batch_size: texts scored together; affects speed and memory, never results.
            n_jobs: worker processes (1 = this process).
            progress: show a progress bar (tqdm) on stderr.

        Raises:
            TypeError: ``texts`` is a single str/bytes, or one item is not a str.
            ValueError: ``batch_size`` is less than 1.
        """
        _check_many(texts, "tag_many")
        batch_size = _check_batch_size(batch_size, "tag_many")
        items = list(texts)
        for i, t in enumerate(items):
            _check_str(t, f"tag_many (item {i})")
        batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
        out: list[Tag] = []
        for tags in self._map(batches, n_jobs=n_jobs, progress=progress, total=len(items)):
            out += tags
        return out

    def iter_tags(
        self, texts: Iterable[str], *, batch_size: int = 2048, n_jobs: int = 1
    ) -> Iterator[Tag]:
        """Stream tags for a (possibly endless) iterable of strings, in order, in bounded memory.

        Raises the same errors as :meth:`tag_many` (a non-str item when it is reached).
        """
        _check_many(texts, "iter_tags")
        batch_size = _check_batch_size(batch_size, "iter_tags")
        batch: list[str] = []
        chunk: list[list[str]] = []
        for i, t in enumerate(texts):
            _check_str(t, f"iter_tags (item {i})")
            batch.append(t)
            if len(batch) == batch_size:
                chunk.append(batch)
                batch = []
                if len(chunk) >= max(1, n_jobs) * 2:
                    for tags in self._map(chunk, n_jobs=n_jobs):
                        yield from tags
                    chunk = []
        if batch:
            chunk.append(batch)
        for tags in self._map(chunk, n_jobs=n_jobs):
            yield from tags

    def tag_frame(
        self,
        df: pd.DataFrame,
        text_col: str = "text",
        *,
        batch_size: int = 2048,
        n_jobs: int = 1,
        progress: bool = False,
    ) -> pd.DataFrame:
        """Tag a DataFrame column; returns a copy with new columns, one row per input row.

        Added columns: ``labels`` (ids joined by ``;``, empty for none), ``score_<id>`` for
        every label, and ``error``: empty for tagged rows, else why the row could not be
        tagged (None, NaN, a number, bytes…); such rows get no labels and NaN scores.
        """
        import pandas as pd

        if text_col not in df.columns:
            raise KeyError(
                f"tag_frame: no column {text_col!r}; the DataFrame has {list(df.columns)}"
            )
        for col in ["labels", *(f"score_{k}" for k in self.labels), "error"]:
            if col in df.columns:
                what = "the text column is" if col == text_col else "the DataFrame has a column"
                raise ValueError(
                    f"tag_frame: {what} named {col!r}, which is an output column; rename it"
                )
        column = df[text_col]
        if not isinstance(column, pd.Series):
            raise ValueError(
                f"tag_frame: {column.shape[1]} columns are named {text_col!r}; keep one"
            )
        values = column.tolist()
        ok = [i for i, v in enumerate(values) if isinstance(v, str)]
        tags = self.tag_many(
            [values[i] for i in ok], batch_size=batch_size, n_jobs=n_jobs, progress=progress
        )
        n = len(values)
        labels = [""] * n
        scores = np.full((n, len(self.labels)), np.nan)
        errors = [_why_not_text(v) for v in values]
        for i, t in zip(ok, tags, strict=True):
            labels[i] = ";".join(t.labels)
            scores[i] = [t.scores[k] for k in self.labels]
        out = df.copy()
        out["labels"] = pd.Series(labels, index=df.index, dtype=object)
        for j, k in enumerate(self.labels):
            out[f"score_{k}"] = pd.Series(scores[:, j], index=df.index)
        out["error"] = pd.Series(errors, index=df.index, dtype=object)
        return out

    def tag_document(self, source: str | os.PathLike[str]) -> DocumentTags:
        """Read a document (path or text), tag each paragraph and each of its sentences.

        The profile gives, per label, the share of paragraphs carrying it.
        """
        from .reader import read_document

        doc = read_document(source)
        paras = doc.paragraphs
        units = [p.text for p in paras] + [s.text for p in paras for s in p.sentences]
        tags = self.tag_many(units)
        ptags, stags = tags[: len(paras)], iter(tags[len(paras) :])
        out = tuple(
            ParagraphTags(p, t, tuple((s, next(stags)) for s in p.sentences))
            for p, t in zip(paras, ptags, strict=True)
        )
        n = len(out)
        profile = {
            k: (sum(k in pt.tag.labels for pt in out) / n if n else 0.0) for k in self.labels
        }
        return DocumentTags(doc, out, profile)

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Save to a folder, atomically; refuses to replace an existing one unless ``overwrite``."""
        from .persistence import save_model

        return save_model(self, path, overwrite=overwrite)

    # ------------------------------------------------------------------ scoring
    def _map(
        self,
        batches: Sequence[list[str]],
        *,
        n_jobs: int = 1,
        progress: bool = False,
        total: int | None = None,
    ) -> Iterator[list[Tag]]:
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="text", disable=None)
        try:
            if n_jobs == 1 or len(batches) <= 1:
                for b in batches:
                    tags = self._tag_batch(b)
                    if bar is not None:
                        bar.update(len(b))
                    yield tags
            else:
                import multiprocessing as mp

                workers = (os.cpu_count() or 1) if n_jobs < 0 else n_jobs
                ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else None)
                with ctx.Pool(workers, initializer=_init_worker, initargs=(self,)) as pool:
                    for tags in pool.imap(_worker_tag, batches):
                        if bar is not None:
                            bar.update(len(tags))
                        yield tags
        finally:
            if bar is not None:
                bar.close()

    def _scores(self, norms: list[str]) -> tuple[np.ndarray, SparseRows]:
        rows = self.featurizer.transform(norms, normalized=True)
        z = rows.dot(self.coef) + self.intercept
        a, b = self.calibration[:, 0], self.calibration[:, 1]
        with np.errstate(over="ignore"):
            p = 1.0 / (1.0 + np.exp(-(a * z + b)))
        return p, rows

    def _tag_batch(self, texts: Sequence[str]) -> list[Tag]:
        norms = [normalize(t) for t in texts]
        live = [i for i, s in enumerate(norms) if is_chinese_text(s)]
        ids = self.labels
        # a fresh dict per result: a caller editing one Tag's scores must not change another's
        out = [Tag((), dict.fromkeys(ids, 0.0), {}) for _ in texts]
        if not live:
            return out
        probs, rows = self._scores([norms[i] for i in live])
        for r, i in enumerate(live):
            p = probs[r]
            on = [j for j in range(len(ids)) if p[j] >= self.thresholds[j]]
            scores = {k: float(p[j]) for j, k in enumerate(ids)}
            evidence: dict[str, list[tuple[str, float]]] = {}
            if on:
                seen = self.featurizer.analyze(norms[i], normalized=True)  # once per text
                evidence = {ids[j]: self._evidence(seen, rows, r, j) for j in on}
            out[i] = Tag(tuple(ids[j] for j in on), scores, evidence)
        return out

    def _evidence(
        self, seen: Analysis, rows: SparseRows, r: int, j: int
    ) -> list[tuple[str, float]]:
        """Terms that pushed text ``r`` toward label ``j``, as readable words."""
        lo, hi = rows.indptr[r], rows.indptr[r + 1]
        idx = rows.indices[lo:hi]
        contrib = rows.data[lo:hi] * self.coef[idx, j]
        if self._names is None:
            self._names = self.featurizer.feature_names()
        names = self._names
        n_text = self.featurizer.n_text_features
        words: dict[str, float] = {}
        bigrams: dict[str, float] = {}
        cue_total: dict[int, float] = {}
        for i, c in zip(idx.tolist(), contrib.tolist(), strict=True):
            if c <= 0:
                continue
            if i >= n_text:
                cue_total[i - n_text] = c
            elif names[i].startswith("#"):
                bigrams[names[i][1:]] = c
            else:
                words[names[i]] = words.get(names[i], 0.0) + c
        if cue_total:
            # a cue column's weight is shared by the cue terms of that category in the text
            for k, total in cue_total.items():
                terms = [t for t, ks in seen.cues if k in ks]
                for t in terms:
                    words[t] = words.get(t, 0.0) + total / len(terms)
        if bigrams:
            # a character bigram's weight goes to the words it is part of
            # (linear in the text: index each word by the bigrams inside it)
            hosts: dict[str, list[str]] = {}
            for w in sorted(set(words) | set(seen.words)):
                for bg in {w[i : i + 2] for i in range(len(w) - 1)}:
                    if bg in bigrams:
                        hosts.setdefault(bg, []).append(w)
            for bg, c in bigrams.items():
                for w in hosts.get(bg, ()):
                    words[w] = words.get(w, 0.0) + c / len(hosts[bg])
        # evidence is for people: real words (two or more characters, or a cue term)
        cue_terms = self.featurizer._cue_cats
        ranked = sorted(
            ((t, w) for t, w in words.items() if w > 0 and (len(t) >= 2 or t in cue_terms)),
            key=lambda kv: (-kv[1], kv[0]),
        )
        return [(t, round(w, 6)) for t, w in ranked[:EVIDENCE_TERMS]]


# ---------------------------------------------------------------------- helpers


def _check_str(text: object, where: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"{where}: expected a str, got {type(text).__name__}: {text!r:.60}")


def _check_many(texts: object, where: str) -> None:
    # A bare string is iterable too: tag_many("文本") would tag it one character at a time.
    if isinstance(texts, (str, bytes, bytearray)):
        raise TypeError(
            f"{where}: expected an iterable of str, got a single {type(texts).__name__}; "
            "use tag() for one text, or wrap it in a list"
        )


def _check_batch_size(batch_size: int, where: str) -> int:
    # batch_size < 1 used to drop every text silently (range(0, n, -1) is empty)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"{where}: batch_size must be an int, got {type(batch_size).__name__}")
    if batch_size < 1:
        raise ValueError(f"{where}: batch_size must be at least 1, got {batch_size}")
    return int(batch_size)


def _why_not_text(value: object) -> str:
    if isinstance(value, str):
        return ""
    if value is None:
        return "missing (None)"
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return "missing (NaN)"
    if value.__class__.__name__ in {"NAType", "NaTType"}:
        return "missing (NA)"
    return f"not text ({type(value).__name__})"


_WORKER_MODEL: Model | None = None


def _init_worker(model: Model) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model


def _worker_tag(batch: list[str]) -> list[Tag]:
    assert _WORKER_MODEL is not None
    return _WORKER_MODEL._tag_batch(batch)
