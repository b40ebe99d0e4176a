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

import functools
import math
import os
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .evidence import EVIDENCE_TERMS, Evidence, Explainer, FlatEvidence
from .features import Analysis, Featurizer, SparseRows, TransformedBatch, _whole_batch
from .tags import DocumentTags, ParagraphTags, Tag
from .taxonomy import Taxonomy
from .text import is_chinese_text, normalize_many

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult

    import pandas as pd

    from .analysis.profiling import Profile
    from .readers import Document

# Tag, ParagraphTags and DocumentTags live in policyclf.tags; they are re-exported here.
__all__ = ["EVIDENCE_TERMS", "DocumentTags", "Model", "ParagraphTags", "Tag"]


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
        gate_coef: np.ndarray | None = None,
        gate_params: np.ndarray | None = None,
    ) -> None:
        k = len(taxonomy.ids)
        if coef.shape != (featurizer.n_features, k):
            raise ValueError(
                f"coef has shape {coef.shape}, expected ({featurizer.n_features}, {k})"
            )
        if intercept.shape != (k,) or thresholds.shape != (k,) or calibration.shape != (k, 2):
            raise ValueError("intercept, thresholds and calibration must have one entry per label")
        if (gate_coef is None) != (gate_params is None):
            raise ValueError("gate_coef and gate_params come together")
        if (
            gate_coef is not None
            and gate_params is not None
            and (gate_coef.shape != (featurizer.n_features,) or gate_params.shape != (3,))
        ):
            raise ValueError(
                f"gate_coef has shape {gate_coef.shape} and gate_params {gate_params.shape}, "
                f"expected ({featurizer.n_features},) and (3,)"
            )
        #: The measure/no-measure scorer, when the model has one: its coefficients, and
        #: (intercept, Platt slope, Platt offset). Each label's score is then its own
        #: calibrated probability times the probability that the text carries any measure.
        self.gate_coef = None if gate_coef is None else np.asarray(gate_coef, dtype=np.float64)
        self.gate_params = (
            None if gate_params is None else np.asarray(gate_params, dtype=np.float64)
        )
        self.featurizer = featurizer
        self.coef = np.ascontiguousarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.calibration = np.asarray(calibration, dtype=np.float64)
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.taxonomy = taxonomy
        self.metadata: dict[str, Any] = dict(metadata or {})
        # a Report (policyclf.evaluation) when the model comes from training or a saved folder;
        # the model only carries it, so that tagging never depends on reports or storage
        self.report: Mapping[str, Any] = report if report is not None else {}

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
        evidence: bool = True,
    ) -> list[Tag]:
        """Tag many texts; the same results as ``[tag(t) for t in texts]``, much faster.

        Args:
            texts: strings (a non-string raises TypeError naming its position and type).
            batch_size: texts scored together; affects speed and memory, never results.
                With ``n_jobs`` > 1, batches are made smaller where needed so that each
                worker gets at least four (a worker left with one batch more than the
                others would make the rest wait).
            n_jobs: worker processes (1 = this process, -1 = one per CPU core).
            progress: show a progress bar (tqdm) on stderr.
            evidence: compute each Tag's evidence. ``False`` leaves ``evidence`` empty and
                tags about 1.8x as fast; labels and scores are the same either way.

        Raises:
            TypeError: ``texts`` is a single str/bytes, or one item is not a str.
            ValueError: ``batch_size`` is less than 1, or ``n_jobs`` is 0 or less than -1.
        """
        _check_many(texts, "tag_many")
        batch_size = _check_batch_size(batch_size, "tag_many")
        n_jobs = _check_n_jobs(n_jobs, "tag_many")
        items = list(texts)
        for i, t in enumerate(items):
            _check_str(t, f"tag_many (item {i})")
        workers = _n_workers(n_jobs)
        if workers > 1:
            balanced = -(-len(items) // (_BATCHES_PER_WORKER * workers))
            batch_size = min(batch_size, max(_MIN_SPLIT_BATCH, balanced))
        batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
        out: list[Tag] = []
        for tags in self._map(
            batches, n_jobs=n_jobs, progress=progress, total=len(items), evidence=evidence
        ):
            out += tags
        return out

    def iter_tags(
        self,
        texts: Iterable[str],
        *,
        batch_size: int = 2048,
        n_jobs: int = 1,
        evidence: bool = True,
    ) -> Iterator[Tag]:
        """Stream tags for a (possibly endless) iterable of strings, in order, in bounded memory.

        Texts are read a batch at a time; with ``n_jobs`` > 1 one pool of worker processes is
        started at the second batch and kept for the whole stream (closed when the stream ends
        or the iterator is closed), with at most ``2 * workers`` batches read ahead.

        Raises the same errors as :meth:`tag_many`: ``batch_size``/``n_jobs`` at once, a
        non-str item when it is reached.
        """
        _check_many(texts, "iter_tags")
        batch_size = _check_batch_size(batch_size, "iter_tags")
        n_jobs = _check_n_jobs(n_jobs, "iter_tags")
        return self._iter_tags(texts, batch_size, n_jobs, evidence)

    def _iter_tags(
        self, texts: Iterable[str], batch_size: int, n_jobs: int, evidence: bool
    ) -> Iterator[Tag]:
        stream = self._tag_stream(_batches(texts, batch_size), n_jobs=n_jobs, evidence=evidence)
        try:
            for tags in stream:
                yield from tags
        finally:
            stream.close()  # stops the worker pool at once when the caller stops early

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

        batch_size = _check_batch_size(batch_size, "tag_frame")
        n_jobs = _check_n_jobs(n_jobs, "tag_frame")
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
        tags = self.tag_many(  # the frame has no evidence column: skip computing it
            [values[i] for i in ok],
            batch_size=batch_size,
            n_jobs=n_jobs,
            progress=progress,
            evidence=False,
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

    def tag_document(self, source: str | os.PathLike[str] | Document) -> DocumentTags:
        """Tag a document sentence by sentence; a paragraph gets the union of its sentences' labels.

        ``source`` is a path, the text itself, or an already read
        :class:`~policyclf.readers.Document` (from :func:`policyclf.readers.iter_documents`).

        Files are read with :func:`policyclf.read_document` (plain text, HTML, Word .docx, PDF
        with a text layer). A paragraph's tag follows the codebook rule — its labels are
        exactly the union of its sentences' labels; its score per label is the highest sentence
        score (:func:`policyclf.tags.union_tag`). The profile gives, per label, the share of
        paragraphs carrying it.

        Raises:
            IsADirectoryError: ``source`` names a folder (read folders with
                :func:`policyclf.read_corpus`).
            FileNotFoundError, DocumentReadError: the file is missing or cannot be read.
        """
        from .readers import Document, read_document
        from .tags import union_tag

        doc = source if isinstance(source, Document) else read_document(source)
        paras = doc.paragraphs
        units = [s.text for p in paras for s in p.sentences]
        lone = [p.text for p in paras if not p.sentences]  # none in practice; tagged whole
        tags = self.tag_many(units + lone)
        stags, ltags = iter(tags[: len(units)]), iter(tags[len(units) :])
        built: list[ParagraphTags] = []
        for p in paras:
            pairs = tuple((s, next(stags)) for s in p.sentences)
            tag = union_tag([t for _, t in pairs], self.labels) if pairs else next(ltags)
            built.append(ParagraphTags(p, tag, pairs))
        out = tuple(built)
        n = len(out)
        profile = {
            k: (sum(k in pt.tag.labels for pt in out) / n if n else 0.0) for k in self.labels
        }
        return DocumentTags(doc, out, profile)

    def tag_corpus(self, source: Any, unit: str = "sentence", **kwargs: Any) -> pd.DataFrame:
        """Tag every sentence (or paragraph) of every document of a corpus: one row per unit.

        ``source`` is what :func:`policyclf.read_corpus` reads (a folder, glob, list of paths,
        or a table of documents). See :func:`policyclf.analysis.tag_corpus`.
        """
        from .analysis.corpus import tag_corpus

        return tag_corpus(self, source, unit, **kwargs)

    def profile(
        self,
        source: Any,
        by: str | None = None,
        unit: str = "sentence",
        adjust: bool = False,
        **kwargs: Any,
    ) -> Profile:
        """The policy mix of a corpus (or of a :meth:`tag_corpus` result) per group of ``by``:
        label shares with bootstrap intervals, and with ``adjust=True`` shares corrected for the
        model's errors. See :func:`policyclf.analysis.profile`."""
        from .analysis.profiling import profile

        return profile(self, source, by=by, unit=unit, adjust=adjust, **kwargs)

    def suggest(
        self,
        source: Any,
        n: int = 200,
        strategy: str = "default",
        exclude: Any = None,
        seed: int = 0,
        **options: Any,
    ) -> pd.DataFrame:
        """The ``n`` texts of ``source`` most worth labelling next, with the reason for each and
        this model's labels and scores: :func:`policyclf.active.suggest`."""
        from .active import suggest

        return suggest(self, source, n, strategy, exclude, seed, **options)

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Save to a folder, atomically; refuses to replace an existing one unless ``overwrite``.

        A shortcut for :func:`policyclf.persistence.save_model`, which owns the file format
        (the one place where this module calls upward, at call time only).
        """
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
        evidence: bool = True,
    ) -> Iterator[list[Tag]]:
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="text", disable=None)
        stream = self._tag_stream(iter(batches), n_jobs=n_jobs, evidence=evidence)
        try:
            for tags in stream:
                if bar is not None:
                    bar.update(len(tags))
                yield tags
        finally:
            stream.close()
            if bar is not None:
                bar.close()

    def _tag_stream(
        self, batches: Iterator[list[str]], *, n_jobs: int = 1, evidence: bool = True
    ) -> Generator[list[Tag], None, None]:
        """Tag batches in order. With more than one worker, one process pool serves the whole
        stream: started lazily at the second batch (a single batch is tagged here), fed at
        most ``2 * workers`` batches ahead, and stopped when the stream ends or is closed."""
        workers = _n_workers(n_jobs)
        if workers <= 1:
            for b in batches:
                yield self._tag_batch(b, evidence=evidence)
            return
        first = next(batches, None)
        if first is None:
            return
        second = next(batches, None)
        if second is None:
            yield self._tag_batch(first, evidence=evidence)
            return
        import multiprocessing as mp

        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else None)
        pool = ctx.Pool(workers, initializer=_init_worker, initargs=(self,))
        try:
            work = functools.partial(_worker_tag, evidence=evidence)
            pending: deque[AsyncResult[_Tagged]] = deque()
            for b in chain((first, second), batches):
                pending.append(pool.apply_async(work, (b,)))
                if len(pending) >= 2 * workers:
                    yield self._tags_of(pending.popleft().get())
            while pending:
                yield self._tags_of(pending.popleft().get())
        finally:
            pool.terminate()
            pool.join()

    def _scores(self, rows: SparseRows) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated probabilities of feature rows (n_rows, n_labels), and each entry's
        contribution to each label's linear score (n_entries, n_labels)."""
        k = len(self.intercept)
        z, contrib = rows._dot_terms(self._all_coef)
        a, b = self.calibration[:, 0], self.calibration[:, 1]
        with np.errstate(over="ignore"):
            p: np.ndarray = 1.0 / (1.0 + np.exp(-(a * (z[:, :k] + self.intercept) + b)))
            if self.gate_params is not None:
                g0, ga, gb = self.gate_params
                p *= 1.0 / (1.0 + np.exp(-(ga * (z[:, k] + g0) + gb)))[:, None]
        return p, contrib[:, :k]

    @cached_property
    def _all_coef(self) -> np.ndarray:
        """The labels' coefficients, and the measure scorer's as a last column if there is one."""
        if self.gate_coef is None:
            return self.coef
        return np.ascontiguousarray(np.column_stack([self.coef, self.gate_coef]))

    @cached_property
    def _label_sets(self) -> list[tuple[str, ...]] | None:
        """Every label tuple, indexed by its bit pattern (None for more than 12 labels)."""
        ids = self.labels
        if len(ids) > 12:
            return None
        return [tuple(k for j, k in enumerate(ids) if b >> j & 1) for b in range(1 << len(ids))]

    @cached_property
    def _explainer(self) -> Explainer:
        return Explainer(self.featurizer, self.coef, self.labels)

    def _evidence(
        self, seen: Analysis, rows: SparseRows, r: int, j: int
    ) -> list[tuple[str, float]]:
        """Terms that pushed text ``r`` toward label ``j`` (:meth:`Explainer.one`)."""
        return self._explainer.one(seen, rows, r, j)

    def _evidence_each(self, batch: TransformedBatch, on: np.ndarray) -> list[Evidence]:
        return self._explainer.each(batch, on)

    def _evidence_batch(
        self, batch: TransformedBatch, on: np.ndarray, contrib: np.ndarray
    ) -> list[Evidence]:
        return self._explainer.batch(batch, on, contrib)

    def _tag_batch(self, texts: Sequence[str], *, evidence: bool = True) -> list[Tag]:
        return self._tags_of(self._tag_arrays(texts, evidence=evidence))

    def _tag_arrays(self, texts: Sequence[str], *, evidence: bool = True) -> _Tagged:
        """Scores, labels and evidence of a batch as arrays (what a worker sends back)."""
        norms = normalize_many(texts)
        live = [i for i, s in enumerate(norms) if is_chinese_text(s, normalized=True)]
        k = len(self.labels)
        if not live:
            return _Tagged(len(texts), live, np.zeros((0, k)), np.zeros((0, k), dtype=bool), None)
        live_norms = [norms[i] for i in live] if len(live) < len(norms) else norms
        batch = self.featurizer._transform(live_norms)
        probs, contrib = self._scores(batch.rows)
        on = probs >= self.thresholds
        explained: list[Evidence] | FlatEvidence | None
        if not evidence:
            explained = None
        elif _whole_batch(live_norms):
            explained = self._explainer.flat(batch, on, contrib)
        else:  # text by text: less fixed cost for a few texts, the same lists
            explained = self._evidence_each(batch, on)
        return _Tagged(len(texts), live, probs, on, explained)

    def _tags_of(self, tagged: _Tagged) -> list[Tag]:
        """The Tag objects of :meth:`_tag_arrays`'s result."""
        ids = self.labels
        live, on = tagged.live, tagged.on
        # a fresh dict per result: a caller editing one Tag's scores must not change another's
        blank = [Tag((), dict.fromkeys(ids, 0.0), {}) for _ in range(tagged.n - len(live))]
        if not live:
            return blank
        explained = tagged.evidence
        if explained is None:
            explained = [{} for _ in live]
        elif isinstance(explained, FlatEvidence):
            explained = explained.expand(on, ids)
        label_sets = self._label_sets
        if label_sets is not None:  # each text's labels, looked up by their bit pattern
            bits = (on.astype(np.int64) << np.arange(len(ids))).sum(axis=1)
            labels = [label_sets[b] for b in bits.tolist()]
        else:
            labels = [tuple(k for k, f in zip(ids, fl, strict=True) if f) for fl in on.tolist()]
        tagged_tags = [
            Tag(lab, dict(zip(ids, p, strict=True)), ev)
            for lab, p, ev in zip(labels, tagged.probs.tolist(), explained, strict=True)
        ]
        if not blank:
            return tagged_tags
        # the tags of the texts with Chinese and the blank ones, back in input order
        blanks, tags = iter(blank), iter(tagged_tags)
        is_live = set(live)
        return [next(tags) if i in is_live else next(blanks) for i in range(tagged.n)]


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


def _check_n_jobs(n_jobs: int, where: str) -> int:
    # 0 used to run in this process and -2 to start one worker per core, both silently
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)):
        raise TypeError(f"{where}: n_jobs must be an int, got {type(n_jobs).__name__}")
    if n_jobs < 1 and n_jobs != -1:
        raise ValueError(
            f"{where}: n_jobs must be at least 1, or -1 for one worker per CPU core; got {n_jobs}"
        )
    return int(n_jobs)


#: With worker processes, tag_many splits its input into at least this many batches per worker
#: (batches of at least _MIN_SPLIT_BATCH texts), so the workers finish together.
_BATCHES_PER_WORKER = 4
_MIN_SPLIT_BATCH = 256


def _n_workers(n_jobs: int) -> int:
    """Worker processes for a (checked) ``n_jobs``: -1 is one per CPU core."""
    return (os.cpu_count() or 1) if n_jobs == -1 else n_jobs


def _batches(texts: Iterable[str], batch_size: int) -> Iterator[list[str]]:
    """Lists of ``batch_size`` texts (the last may be shorter), each item checked to be a str."""
    batch: list[str] = []
    for i, t in enumerate(texts):
        _check_str(t, f"iter_tags (item {i})")
        batch.append(t)
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


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


@dataclass(frozen=True)
class _Tagged:
    """A tagged batch as arrays: what worker processes send back instead of Tag objects."""

    n: int  # texts in the batch
    live: list[int]  # the texts with Chinese (the others get a blank Tag)
    probs: np.ndarray  # (len(live), n_labels) calibrated probabilities
    on: np.ndarray  # (len(live), n_labels) labels given
    evidence: list[Evidence] | FlatEvidence | None


_WORKER_MODEL: Model | None = None


def _init_worker(model: Model) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model


def _worker_tag(batch: list[str], evidence: bool = True) -> _Tagged:
    assert _WORKER_MODEL is not None
    return _WORKER_MODEL._tag_arrays(batch, evidence=evidence)
