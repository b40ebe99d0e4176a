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
from bisect import bisect_left
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .evaluation import Report
from .features import Analysis, Featurizer, SparseRows, TransformedBatch, _ranges, _whole_batch
from .taxonomy import Taxonomy
from .text import is_chinese_text, normalize

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult

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
        evidence: bool = True,
    ) -> list[Tag]:
        """Tag many texts; the same results as ``[tag(t) for t in texts]``, much faster.

        Args:
            texts: strings (a non-string raises TypeError naming its position and type).
            batch_size: texts scored together; affects speed and memory, never results.
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
        workers = (os.cpu_count() or 1) if n_jobs == -1 else n_jobs
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
            pending: deque[AsyncResult[list[Tag]]] = deque()
            for b in chain((first, second), batches):
                pending.append(pool.apply_async(work, (b,)))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
        finally:
            pool.terminate()
            pool.join()

    def _scores(self, rows: SparseRows) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated probabilities of feature rows (n_rows, n_labels), and each entry's
        contribution to each label's linear score (n_entries, n_labels)."""
        z, contrib = rows._dot_terms(self.coef)
        z += self.intercept
        a, b = self.calibration[:, 0], self.calibration[:, 1]
        with np.errstate(over="ignore"):
            p: np.ndarray = 1.0 / (1.0 + np.exp(-(a * z + b)))
        return p, contrib

    def _tag_batch(self, texts: Sequence[str], *, evidence: bool = True) -> list[Tag]:
        norms = [normalize(t) for t in texts]
        live = [i for i, s in enumerate(norms) if is_chinese_text(s, normalized=True)]
        ids = self.labels
        # a fresh dict per result: a caller editing one Tag's scores must not change another's
        blank = [Tag((), dict.fromkeys(ids, 0.0), {}) for _ in range(len(texts) - len(live))]
        if not live:
            return blank
        live_norms = [norms[i] for i in live]
        batch = self.featurizer._transform(live_norms)
        probs, contrib = self._scores(batch.rows)
        on = probs >= self.thresholds
        explained: list[dict[str, list[tuple[str, float]]]]
        if not evidence:
            explained = [{} for _ in live]
        elif _whole_batch(live_norms):
            explained = self._evidence_batch(batch, on, contrib)
        else:  # text by text: less fixed cost for a few texts, the same lists
            explained = self._evidence_each(batch, on)
        tagged = [
            Tag(
                tuple(k for k, f in zip(ids, flags, strict=True) if f),
                dict(zip(ids, p, strict=True)),
                ev,
            )
            for p, flags, ev in zip(probs.tolist(), on.tolist(), explained, strict=True)
        ]
        if not blank:
            return tagged
        # the tags of the texts with Chinese and the blank ones, back in input order
        blanks, tags = iter(blank), iter(tagged)
        is_live = set(live)
        return [next(tags) if i in is_live else next(blanks) for i in range(len(texts))]

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

    def _evidence_each(
        self, batch: TransformedBatch, on: np.ndarray
    ) -> list[dict[str, list[tuple[str, float]]]]:
        """``{label: _evidence(...)}`` for each text of a batch, text by text."""
        ids = self.labels
        cue_cats = self.featurizer._cue_cats
        out: list[dict[str, list[tuple[str, float]]]] = []
        for r, flags in enumerate(on.tolist()):
            seen = Analysis(tuple(batch.words[r]), tuple((c, cue_cats[c]) for c in batch.cues[r]))
            out.append(
                {ids[j]: self._evidence(seen, batch.rows, r, j) for j, f in enumerate(flags) if f}
            )
        return out

    # The same evidence as _evidence (which stays the readable definition), for a whole batch
    # and all labels at once: each step of _evidence becomes array operations over the
    # batch's (text, label, word) triples. Two tricks keep the results identical:
    # * np.bincount adds the weights of each (text, label, word) one after another, in array
    #   order, and the arrays list them in _evidence's order (the word's own weight, then cue
    #   shares by category and match, then bigram shares by feature), so every total is the
    #   same sum done in the same order;
    # * words are numbered in code-point order, so sorting by (text, label, word) and then,
    #   stably, by weight breaks ties by the word, as _evidence does.
    def _evidence_batch(
        self, batch: TransformedBatch, on: np.ndarray, contrib: np.ndarray
    ) -> list[dict[str, list[tuple[str, float]]]]:
        """``{label: _evidence(...)}`` for each text of a batch and each of its labels ``on``.

        ``contrib`` is each entry's contribution to each label (from :meth:`_scores`).
        """
        ids = self.labels
        n_labels = len(ids)
        out: list[dict[str, list[tuple[str, float]]]] = [
            {ids[j]: [] for j, f in enumerate(flags) if f} for flags in on.tolist()
        ]
        if not on.any():
            return out
        feat = self.featurizer
        tables = self._evidence_tables
        rows = batch.rows
        entry_row = np.repeat(np.arange(len(out)), np.diff(rows.indptr))
        kind = tables.kind[rows.indices]
        pushes = (contrib > 0) & on[entry_row]  # only weights toward predicted labels count
        words = _WordIds(feat.vocabulary)
        # A "group" is a (text, label) pair: group = text * n_labels + label.
        # 1. each word's own weight (words that cannot be shown are left out)
        e, j = np.nonzero(pushes & (kind == _WORD)[:, None])
        own = (entry_row[e] * n_labels + j, rows.indices[e], contrib[e, j])
        # 2. a cue column's weight, shared by the cue terms of its category in the text
        needed = np.asarray(on.any(axis=1))
        hosts = _BigramHosts.build(feat, tables, batch, words, needed)  # for step 3
        cue = _CueShares.build(feat, batch, words, hosts, entry_row, contrib, pushes)
        t, j = np.nonzero(cue.weight > 0)
        cue_part = (cue.row[t] * n_labels + j, cue.word[t], cue.weight[t, j] / cue.n_terms[t])
        # 3. a bigram's weight, shared by the words of the text that contain it: its tokens,
        # and its cue terms whose cue column counted in step 2 for that label
        counted = np.repeat(hosts.is_token[:, None], n_labels, axis=1)
        c = cue.host[t] >= 0
        counted[cue.host[t][c], j[c]] = True
        big = np.flatnonzero((kind == _BIGRAM) & pushes.any(axis=1))
        lo, n_found = hosts.find(entry_row[big], rows.indices[big])
        pair_big = np.repeat(np.arange(len(big)), n_found)
        pair_host = hosts.host[_ranges(lo, n_found)]
        p, j = np.nonzero(pushes[big[pair_big]] & counted[pair_host])
        e = big[pair_big[p]]
        n_hosts = np.bincount(pair_big[p] * n_labels + j, minlength=len(big) * n_labels)
        share = contrib[e, j] / n_hosts[pair_big[p] * n_labels + j]
        big_part = (entry_row[e] * n_labels + j, hosts.word[pair_host[p]], share)
        # 4. the total of each (text, label, word), adding in the order above
        parts = (own, cue_part, big_part)
        rank, word_of_rank = tables.ranks(words.extras)
        width = len(rank)
        group = np.concatenate([g for g, _, _ in parts])
        word = rank[np.concatenate([w for _, w, _ in parts])]
        slots, slot_of = np.unique(group * width + word, return_inverse=True)
        total = np.bincount(slot_of, weights=np.concatenate([x for _, _, x in parts]))
        group, word = slots // width, word_of_rank[slots % width]
        # 5. per group: real words only, heaviest first (ties by the word), EVIDENCE_TERMS each
        keep = tables.can_show_ids(word, words.extras, feat._cue_cats) & (total > 0)
        group, word, total = group[keep], word[keep], total[keep]
        # stable sort by (group, -total): equal weights stay in word order; the weights are
        # replaced by their rank among the batch's distinct weights to sort one int64 key
        distinct, weight_rank = np.unique(total, return_inverse=True)
        by_weight = group * len(distinct) + (len(distinct) - 1 - weight_rank)
        order = np.argsort(by_weight, kind="stable")
        group, word, total = group[order], word[order], total[order]
        top = np.arange(len(group)) - np.searchsorted(group, group) < EVIDENCE_TERMS
        group, word, total = group[top], word[top], total[top]
        if not len(group):
            return out
        n_text, names, extras = feat.n_text_features, tables.names, words.extras
        terms = [names[w] if w < n_text else extras[w - n_text] for w in word.tolist()]
        weights = _round(total, 6)
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        bounds = np.r_[starts, len(group)].tolist()
        for g, a, b in zip(group[starts].tolist(), bounds, bounds[1:], strict=False):
            out[g // n_labels][ids[g % n_labels]] = list(zip(terms[a:b], weights[a:b], strict=True))
        return out

    @cached_property
    def _evidence_tables(self) -> _EvidenceTables:
        return _EvidenceTables.build(self.featurizer)


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


_WORD, _BIGRAM, _CUE, _OTHER = 0, 1, 2, 3


def _round(x: np.ndarray, digits: int) -> list[float]:
    """``[round(v, digits) for v in x.tolist()]``, mostly with numpy (for 0 <= digits <= 22).

    ``round`` gives the float nearest to the decimal rounding of ``v``. ``rint(v * 10**d)``
    is that decimal times ``10**d`` unless ``v * 10**d`` is within its rounding error of a
    half-way point, and dividing back by the exact ``10**d`` gives the nearest float. The
    values near a half-way point (or too large for exact integers) go through ``round``.
    """
    scale = 10.0**digits
    y = x * scale
    out: list[float] = (np.rint(y) / scale).tolist()
    risky = (np.abs(y - np.floor(y) - 0.5) < 1e-3) | ~(np.abs(y) < 2.0**50)
    for i in np.flatnonzero(risky).tolist():
        out[i] = round(float(x[i]), digits)
    return out


class _WordIds:
    """Word -> id for a batch: the vocabulary index, or ``n_text + k`` for the k-th other word."""

    def __init__(self, vocabulary: Mapping[str, int]) -> None:
        self.vocabulary = vocabulary
        self.extras: list[str] = []
        self._extra_ids: dict[str, int] = {}

    def __call__(self, words: Sequence[str]) -> np.ndarray:
        found = np.fromiter(
            map(self.vocabulary.get, words, repeat(-1)), dtype=np.int64, count=len(words)
        )
        for i in np.flatnonzero(found < 0).tolist():
            w = words[i]
            k = self._extra_ids.get(w)
            if k is None:
                k = self._extra_ids[w] = len(self.vocabulary) + len(self.extras)
                self.extras.append(w)
            found[i] = k
        return found


@dataclass(frozen=True)
class _EvidenceTables:
    """Per-model lookups for Model._evidence_batch (built once per model)."""

    names: list[str]  # all feature names
    kind: np.ndarray  # per feature: _WORD (may be shown), _OTHER (may not), _BIGRAM or _CUE
    can_show: np.ndarray  # per vocabulary term: two or more characters, or a cue term
    sorted_names: list[str]  # the vocabulary terms in code-point order
    name_rank: np.ndarray  # per vocabulary term: its place in sorted_names
    inside: tuple[np.ndarray, np.ndarray]  # the bigram terms inside each vocabulary term

    @classmethod
    def build(cls, feat: Featurizer) -> _EvidenceTables:
        names = feat.feature_names()
        n_text = feat.n_text_features
        cue_terms = feat._cue_cats
        can_show = np.array([len(t) >= 2 or t in cue_terms for t in names[:n_text]], dtype=bool)
        is_bigram = np.array([t.startswith("#") for t in names[:n_text]], dtype=bool)
        kind = np.full(len(names), _CUE, dtype=np.int8)
        kind[:n_text] = np.where(is_bigram, _BIGRAM, np.where(can_show, _WORD, _OTHER))
        order = sorted(range(n_text), key=names.__getitem__)
        rank = np.empty(n_text, dtype=np.int64)
        rank[order] = np.arange(n_text)
        inside = feat._bigrams_in(names[:n_text])
        return cls(names, kind, can_show.reshape(-1), [names[i] for i in order], rank, inside)

    def can_show_ids(
        self, word: np.ndarray, extras: list[str], cue_terms: Mapping[str, object]
    ) -> np.ndarray:
        """Which word ids may be shown as evidence (two or more characters, or a cue term)."""
        extra_ok = np.array([len(t) >= 2 or t in cue_terms for t in extras], dtype=bool)
        return np.concatenate([self.can_show, extra_ok.reshape(-1)])[word]

    def ranks(self, extras: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each word id's place in code-point order of all words, and its inverse."""
        rank = self.name_rank
        if extras:
            # Merge the other words into the vocabulary's order: a word with p vocabulary
            # terms and i other words below it has rank p + i; a vocabulary term moves up by
            # the number of other words below it.
            srt = sorted(extras)
            below = np.array([bisect_left(self.sorted_names, t) for t in srt], dtype=np.int64)
            place = {t: i for i, t in enumerate(srt)}
            i = np.array([place[t] for t in extras], dtype=np.int64)  # extras[k] is srt[i[k]]
            rank = np.concatenate([rank + np.searchsorted(below, rank, side="right"), below[i] + i])
        inverse = np.empty_like(rank)
        inverse[rank] = np.arange(len(rank))
        return rank, inverse


@dataclass(frozen=True)
class _BigramHosts:
    """For a batch: the words of each text that contain each of its bigram terms.

    A text's candidate hosts are its distinct tokens, and its cue terms that are not tokens
    (those count for a label only when their cue column pushed toward it, as in _evidence).
    """

    word: np.ndarray  # per host: word id
    is_token: np.ndarray  # per host: a token of its text (else a cue term only)
    cue_only: dict[tuple[int, str], int]  # (text, cue term) -> host, for non-token cue terms
    key: np.ndarray  # sorted distinct text * n_features + bigram feature
    first: np.ndarray  # per key: where its hosts start in ``host``
    count: np.ndarray  # per key: how many hosts
    host: np.ndarray  # hosts, grouped by key
    n_features: int

    @classmethod
    def build(
        cls,
        feat: Featurizer,
        tables: _EvidenceTables,
        batch: TransformedBatch,
        words: _WordIds,
        needed: np.ndarray,
    ) -> _BigramHosts:
        rows = batch.rows
        need = np.flatnonzero(needed)
        # in-vocabulary tokens: the first n_tokens entries of each text
        n_tokens = batch.n_tokens[need]
        token_ids = rows.indices[_ranges(rows.indptr[need], n_tokens)]
        # other tokens and the cue terms that are not tokens (few), in Python
        vocab = feat.vocabulary
        other_rows: list[int] = []
        others: list[str] = []
        cue_only: dict[tuple[int, str], int] = {}
        for r in need.tolist():
            tokens = batch.words[r]
            if batch.has_oov[r]:
                new = [t for t in dict.fromkeys(tokens) if t not in vocab]
                other_rows += [r] * len(new)
                others += new
            if batch.cues[r]:
                token_set = set(tokens)
                for t in dict.fromkeys(batch.cues[r]):
                    if t not in token_set:
                        cue_only[(r, t)] = len(token_ids) + len(others)
                        other_rows.append(r)
                        others.append(t)
        host_row = np.concatenate([np.repeat(need, n_tokens), np.array(other_rows, np.int64)])
        word = np.concatenate([token_ids, words(others)])
        is_token = np.ones(len(word), dtype=bool)
        is_token[list(cue_only.values())] = False
        # the bigram terms inside each host (a per-model table for vocabulary words)
        ptr, fid = tables.inside
        extra_ptr, extra_fid = feat._bigrams_in(words.extras)
        ptr = np.concatenate([ptr, ptr[-1] + extra_ptr[1:]])
        fid = np.concatenate([fid, extra_fid])
        lo, n = ptr[word], ptr[word + 1] - ptr[word]
        host = np.repeat(np.arange(len(word)), n)
        n_features = feat.n_features
        key = host_row[host] * n_features + fid[_ranges(lo, n)]
        order = np.argsort(key, kind="stable")
        key, host = key[order], host[order]
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else lo[:0]
        count = np.diff(np.r_[first, len(key)])
        return cls(word, is_token, cue_only, key[first], first, count, host, n_features)

    def find(self, text: np.ndarray, bigram: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each (text, bigram feature): where its hosts start in ``host``, and how many."""
        if not len(self.key):
            return np.zeros(len(text), dtype=np.int64), np.zeros(len(text), dtype=np.int64)
        key = text * self.n_features + bigram
        pos = np.minimum(np.searchsorted(self.key, key), len(self.key) - 1)
        found = self.key[pos] == key
        return self.first[pos], np.where(found, self.count[pos], 0)


@dataclass(frozen=True)
class _CueShares:
    """For a batch: every (cue match, category) pair, in _evidence's order of cue shares.

    Sorted by text, then category, then the match's position in the text; a term found
    twice counts twice, as in _evidence.
    """

    row: np.ndarray  # the text
    word: np.ndarray  # the cue term's word id
    n_terms: np.ndarray  # how many pairs share the pair's (text, category) column
    weight: np.ndarray  # (pair, label): the column's weight when it pushes, else 0
    host: np.ndarray  # the term as a non-token bigram host (_BigramHosts.cue_only), or -1

    @classmethod
    def build(
        cls,
        feat: Featurizer,
        batch: TransformedBatch,
        words: _WordIds,
        hosts: _BigramHosts,
        entry_row: np.ndarray,
        contrib: np.ndarray,
        pushes: np.ndarray,
    ) -> _CueShares:
        n_rows, n_cues, n_labels = len(batch.cues), len(feat.cues), contrib.shape[1]
        matches = list(chain.from_iterable(batch.cues))
        cats = list(map(feat._cue_cats.__getitem__, matches))
        match_row = np.repeat(np.arange(n_rows), list(map(len, batch.cues)))
        pair_match = np.repeat(np.arange(len(matches)), list(map(len, cats)))
        pair_cat = np.fromiter(chain.from_iterable(cats), dtype=np.int64, count=len(pair_match))
        order = np.lexsort((pair_cat, match_row[pair_match]))  # stable: keeps match order
        pair_match, pair_cat = pair_match[order], pair_cat[order]
        row = match_row[pair_match]
        column = row * n_cues + pair_cat
        n_terms = np.bincount(column, minlength=n_rows * n_cues)[column]
        # each (text, category) cue column's pushing weight, per label
        value = np.zeros((n_rows * n_cues, n_labels))
        n_text = feat.n_text_features
        is_cue = np.flatnonzero(batch.rows.indices >= n_text)
        pushing = np.where(pushes[is_cue], contrib[is_cue], 0.0)
        value[entry_row[is_cue] * n_cues + batch.rows.indices[is_cue] - n_text] = pushing
        terms = [matches[i] for i in pair_match.tolist()]
        host = [hosts.cue_only.get(rt, -1) for rt in zip(row.tolist(), terms, strict=True)]
        return cls(row, words(terms), n_terms, value[column], np.asarray(host, dtype=np.int64))


_WORKER_MODEL: Model | None = None


def _init_worker(model: Model) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model


def _worker_tag(batch: list[str], evidence: bool = True) -> list[Tag]:
    assert _WORKER_MODEL is not None
    return _WORKER_MODEL._tag_batch(batch, evidence=evidence)
