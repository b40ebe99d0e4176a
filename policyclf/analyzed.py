"""Texts analysed once for training: each text's terms and cue matches, reused by every fold.

Training fits a featurizer and a classifier many times on subsets of the same texts (the
final fit, the inner folds that tune calibration and thresholds, the outer folds of a report).
:class:`AnalyzedTexts` normalises and segments every text once, keeps each text's terms
(tokens, then character bigrams as ``"#xy"``) as integer ids into one table of strings and its
cue matches as term indices; :meth:`subset` selects rows without copying strings. A
:class:`~policyclf.features.Featurizer` fitted or applied to an ``AnalyzedTexts`` gives exactly
what it gives for the plain strings (tested), only faster.

It is a ``Sequence[str]`` of the original texts, so it can go wherever texts go.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import numpy as np

from ._scan import _FIRST_OOV_ID, SEP, CueMatcher, _TokenIds, code_points
from .text import normalize
from .tokenize import segment

__all__ = ["AnalyzedTexts"]

_BATCH = 2048
_CJK_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


class _Analysis:
    """The shared, read-only analysis of all texts (rows are subsets of it)."""

    def __init__(self, texts: Sequence[str], cue_terms: Sequence[str]) -> None:
        self.texts = list(texts)
        self.norms = [normalize(t) for t in self.texts]
        self.cue_terms = tuple(cue_terms)
        table = _TokenIds({})  # an empty vocabulary: every form gets an id of its own
        matcher = CueMatcher(list(cue_terms))
        # texts shipped as their analysis only (features.AnalysedText) keep their terms
        self.analysed = np.array([hasattr(t, "terms") for t in self.texts], dtype=bool)
        for i in np.flatnonzero(self.analysed).tolist():
            self.norms[i] = ""
        ptr_parts, term_parts, n_word_parts, cue_parts = [], [], [], []
        for lo in range(0, len(self.norms), _BATCH):
            norms = self.norms[lo : lo + _BATCH]
            words, n_words, bigrams, n_bigrams, cue_text, cue_term = _scan(norms, table, matcher)
            shipped = np.flatnonzero(self.analysed[lo : lo + _BATCH])
            if len(shipped):
                words, n_words, bigrams, n_bigrams, cue_text, cue_term = _with_shipped(
                    self.texts[lo : lo + _BATCH],
                    shipped,
                    table,
                    self.cue_terms,
                    (words, n_words, bigrams, n_bigrams, cue_text, cue_term),
                )
            n_terms = n_words + n_bigrams
            start = np.cumsum(n_terms) - n_terms
            term = np.empty(int(n_terms.sum()), dtype=np.int64)
            term[_ranges(start, n_words)] = words
            term[_ranges(start + n_words, n_bigrams)] = bigrams
            ptr_parts.append(n_terms)
            term_parts.append(term)
            n_word_parts.append(n_words)
            cue_parts.append((cue_text + lo, cue_term))
        n_terms = np.concatenate([*ptr_parts, np.zeros(0, dtype=np.int64)])
        self.ptr = np.concatenate([[0], np.cumsum(n_terms)]).astype(np.int64)
        self.term = np.concatenate([*term_parts, np.zeros(0, dtype=np.int64)])
        self.n_words = np.concatenate([*n_word_parts, np.zeros(0, dtype=np.int64)])
        cue_text = np.concatenate([*(c[0] for c in cue_parts), np.zeros(0, dtype=np.int64)])
        self.cue_term = np.concatenate([*(c[1] for c in cue_parts), np.zeros(0, dtype=np.int64)])
        self.cue_ptr = np.searchsorted(cue_text, np.arange(len(self.norms) + 1))
        self.strings = table.forms  # term id -> the term ("#xy" for a bigram)
        order = sorted(range(len(self.strings)), key=self.strings.__getitem__)
        self.string_rank = np.empty(len(order), dtype=np.int64)
        self.string_rank[order] = np.arange(len(order))


def _scan(
    norms: list[str], table: _TokenIds, matcher: CueMatcher
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Term ids of a batch: tokens and bigrams (each with a count per text), cue matches."""
    n = len(norms)
    joined = SEP.join(norms)
    raw = segment(joined)
    code = np.fromiter(map(table.__getitem__, raw), dtype=np.int64, count=len(raw))
    is_sep = code == -2
    if int(is_sep.sum()) != n - 1 or joined.count(SEP) != n - 1:
        raw = []
        for i, t in enumerate(norms):
            raw += ([SEP] if i else []) + [tok for tok in segment(t) if tok != SEP]
        code = np.fromiter(map(table.__getitem__, raw), dtype=np.int64, count=len(raw))
        is_sep = code == -2
    token_text = np.cumsum(is_sep)
    kept = code <= _FIRST_OOV_ID
    words = _FIRST_OOV_ID - code[kept]
    n_words = np.bincount(token_text[kept], minlength=n)
    codes = code_points(joined)
    text_start = np.cumsum([0] + [len(t) + 1 for t in norms])
    cjk = np.zeros(len(codes), dtype=bool)
    for lo, hi in _CJK_BLOCKS:
        cjk |= (codes >= lo) & (codes <= hi)
    starts = np.flatnonzero(cjk[:-1] & cjk[1:]) if len(codes) > 1 else np.zeros(0, np.int64)
    pair = (codes[starts] << 21) | codes[starts + 1]
    distinct, which = np.unique(pair, return_inverse=True)
    ids = np.array(
        [table.word_id("#" + chr(p >> 21) + chr(p & 0x1FFFFF)) for p in distinct.tolist()],
        dtype=np.int64,
    )
    bigrams = _FIRST_OOV_ID - ids[which.reshape(-1)] if len(ids) else np.zeros(0, np.int64)
    bigram_text = np.searchsorted(text_start, starts, side="right") - 1
    n_bigrams = np.bincount(bigram_text, minlength=n)
    cue_start, cue_term = matcher.find(joined, codes)
    cue_text = np.searchsorted(text_start, cue_start, side="right") - 1
    return words, n_words, bigrams, n_bigrams, cue_text, cue_term


def _with_shipped(
    texts: list[str],
    shipped: np.ndarray,
    table: _TokenIds,
    cue_terms: tuple[str, ...],
    scanned: tuple[np.ndarray, ...],
) -> tuple[np.ndarray, ...]:
    """A batch's scan with the terms and cues of its shipped analyses put in (their texts
    scanned as empty strings). A shipped text's terms all count as words (its bigram terms
    are in its list already, as Featurizer uses them); a term counted c times repeats c times."""
    words, n_words, bigrams, n_bigrams, cue_text, cue_term = scanned
    n = len(texts)
    per_text_words = np.split(words, np.cumsum(n_words)[:-1])
    index = {t: i for i, t in enumerate(cue_terms)}
    split_at = np.cumsum(np.bincount(cue_text, minlength=n))[:-1]
    cue_of = [list(c) for c in np.split(cue_term, split_at)]
    for r in shipped.tolist():
        item: Any = texts[r]
        ids = [_FIRST_OOV_ID - table.word_id(t) for t, c in item.terms for _ in range(c)]
        per_text_words[r] = np.array(ids, dtype=np.int64)
        n_words[r] = len(ids)
        cue_of[r] = [index[c] for c in item.cues if c in index]
    words = np.concatenate([*per_text_words, np.zeros(0, dtype=np.int64)])
    counts = [len(c) for c in cue_of]
    cue_text = np.repeat(np.arange(n), counts)
    cue_term = np.array([t for c in cue_of for t in c], dtype=np.int64)
    return words, n_words, bigrams, n_bigrams, cue_text, cue_term


def _ranges(start: np.ndarray, n: np.ndarray) -> np.ndarray:
    offset = np.cumsum(n) - n
    return np.repeat(start - offset, n) + np.arange(int(n.sum()))


class AnalyzedTexts(Sequence[str]):
    """Texts with their analysis done once (see the module docstring).

    Args:
        texts: the texts.
        cue_terms: the cue terms to find, in the featurizer's order (``Featurizer._cue_terms``).
    """

    def __init__(self, texts: Sequence[str], cue_terms: Sequence[str] = ()) -> None:
        self._data = _Analysis(texts, cue_terms)
        self._rows = np.arange(len(self._data.texts))

    @classmethod
    def _view(cls, data: _Analysis, rows: np.ndarray) -> AnalyzedTexts:
        out = cls.__new__(cls)
        out._data = data
        out._rows = rows
        return out

    def subset(self, rows: Sequence[int] | np.ndarray) -> AnalyzedTexts:
        """The texts at ``rows`` (positions in this sequence), sharing the analysis."""
        return AnalyzedTexts._view(self._data, self._rows[np.asarray(rows, dtype=np.int64)])

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._data.texts[r] for r in self._rows[i].tolist()]
        return self._data.texts[int(self._rows[i])]

    @property
    def cue_terms(self) -> tuple[str, ...]:
        return self._data.cue_terms

    @property
    def analysed(self) -> np.ndarray:
        """Per row: True for a text shipped as its analysis (``features.AnalysedText``)."""
        return self._data.analysed[self._rows]

    @property
    def norms(self) -> list[str]:
        """The normalised texts ("" for a shipped analysis)."""
        norms = self._data.norms
        return [norms[r] for r in self._rows.tolist()]

    def terms(self, *, bigrams: bool) -> tuple[np.ndarray, np.ndarray]:
        """Each row's term ids in order (tokens, then bigrams unless ``bigrams=False``): the
        ids, and the row of each."""
        d, rows = self._data, self._rows
        start = d.ptr[rows]
        n = d.n_words[rows] if not bigrams else d.ptr[rows + 1] - start
        return d.term[_ranges(start, n)], np.repeat(np.arange(len(rows)), n)

    def cue_matches(self) -> tuple[np.ndarray, np.ndarray]:
        """Each row's cue matches in order: the row and the cue term index of each."""
        d, rows = self._data, self._rows
        start = d.cue_ptr[rows]
        n = d.cue_ptr[rows + 1] - start
        return np.repeat(np.arange(len(rows)), n), d.cue_term[_ranges(start, n)]

    @property
    def strings(self) -> list[str]:
        """Term id -> term."""
        return self._data.strings

    @property
    def string_rank(self) -> np.ndarray:
        """Term id -> its place in code-point order of all terms."""
        return self._data.string_rank
