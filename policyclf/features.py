"""Features: policy text -> sparse TF-IDF rows of words, character bigrams and cue counts.

Three blocks of features, side by side:

* **words** from :func:`policyclf.tokenize.tokenize` (jieba + the policy-term dictionary);
* **character bigrams** inside runs of Chinese characters, which still match words the
  training data never contained (``引才`` in ``柔性引才``) — optional;
* **cue counts**, one column per category: how many of the codebook's cue terms the text
  contains. Their weight is learned from the labelled data, but every cue term fires it, so a
  sentence made of words the corpus never had still gets a signal from the codebook.

Words and bigrams are TF-IDF weighted (sublinear tf, smoothed idf) and L2-normalised together;
cue columns are ``cue_scale * log1p(count)``. The transform uses only the standard library and
numpy, so tagging needs neither scikit-learn nor scipy. Texts are normalised
(:func:`policyclf.text.normalize`) before anything else.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain, pairwise, repeat
from typing import Any

import numpy as np

from ._scan import (
    _FIRST_OOV_ID,
    _SEP_ID,
    SEP,
    CueMatcher,
    IntLookup,
    _Scan,
    _TokenIds,
    code_points,
    distinct,
    first_counts,
)
from .analyzed import AnalyzedTexts
from .text import normalize
from .tokenize import segment, tokenize

__all__ = ["AnalysedText", "Analysis", "Featurizer", "SparseRows", "char_bigrams"]

_CJK_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_HAS_WORD_CHAR = re.compile(r"\w")
#: Batches of at least this many characters are counted and explained with whole-batch numpy
#: code; smaller ones text by text, which has less fixed cost (the results are the same).
WHOLE_BATCH_CHARS = 400


def _whole_batch(norms: Sequence[str]) -> bool:
    """Whether a batch is large enough for the whole-batch code (see WHOLE_BATCH_CHARS)."""
    return sum(map(len, norms)) >= WHOLE_BATCH_CHARS


# The same blocks as _CJK_RUN, as code-point ranges for the vectorised bigram lookup.
_CJK_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


_code_points = code_points


def _pair_keys(codes: np.ndarray) -> np.ndarray:
    """One int64 per pair of neighbouring code points: ``first << 21 | second`` (unique)."""
    return (codes[:-1] << 21) | codes[1:]


def _ranges(start: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``concatenate([arange(a, a + k) for a, k in zip(start, n)])`` without a Python loop."""
    offset = np.cumsum(n) - n  # where each range starts in the output
    return np.repeat(start - offset, n) + np.arange(int(n.sum()))


def _trie_pattern(terms: Iterable[str]) -> str:
    """A regex matching the longest of ``terms`` at each position, written as a prefix trie.

    ``a|ab|abc`` sorted longest first finds the same matches as ``a(?:b(?:c)?)?``: at a given
    position only one branch of each trie node can match (branches start with different
    characters) and the greedy ``?`` tries the longer continuation before stopping, so the
    first match is the longest term there. The trie form is about 2x faster with Python's
    ``re`` because it does not retry every term at every position.
    """
    trie: dict[str, Any] = {}
    for term in terms:
        node = trie
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a term

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def char_bigrams(text: str) -> list[str]:
    """Character bigrams inside each run of two or more Chinese characters."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        out += [run[i : i + 2] for i in range(len(run) - 1)]
    return out


class AnalysedText(str):
    """A training text known by its analysis only: its terms and cue matches, not its characters.

    Training data that may not be shipped as text (the coded sentences of the real documents in
    ``../shared/pool``) is shipped as these: the ``str`` value is an id (``pool:<doc>:<start>-<end>
    :<hash>``), never read as text; ``terms`` are the word and ``#`` bigram terms with their counts
    in first-occurrence order (words first), and ``cues`` the cue and frame terms matched, in order.
    :class:`Featurizer` fits and transforms them exactly as it would the text they came from.
    """

    terms: tuple[tuple[str, int], ...]
    cues: tuple[str, ...]

    def __new__(
        cls, key: str, terms: Iterable[tuple[str, int]], cues: Iterable[str]
    ) -> AnalysedText:
        obj = super().__new__(cls, key)
        obj.terms = tuple((str(t), int(c)) for t, c in terms)
        obj.cues = tuple(cues)
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (AnalysedText, (str(self), self.terms, self.cues))


@dataclass(frozen=True)
class Analysis:
    """What the featurizer saw in one text (kept for evidence)."""

    words: tuple[str, ...]
    cues: tuple[tuple[str, tuple[int, ...]], ...]  # (cue term, category indices) per match


@dataclass(frozen=True)
class SparseRows:
    """A CSR matrix as three numpy arrays (``scipy.sparse.csr_matrix((data, indices, indptr))``)."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    n_features: int

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.indptr) - 1, self.n_features)

    def to_scipy(self) -> Any:
        """The same rows as a ``scipy.sparse.csr_matrix`` (imports scipy)."""
        from scipy.sparse import csr_matrix

        return csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)

    def dot(self, dense: np.ndarray) -> np.ndarray:
        """``rows @ dense`` for a dense ``(n_features, k)`` array, with numpy only."""
        return self._dot_terms(dense)[0]

    def _dot_terms(self, dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``rows @ dense``, and its terms: ``data[e] * dense[indices[e]]`` for each entry e."""
        n = len(self.indptr) - 1
        out = np.zeros((n, dense.shape[1]), dtype=np.float64)
        prod = np.take(dense, self.indices, axis=0)  # (take: ~4x faster than dense[indices])
        prod *= self.data[:, None]
        if len(self.indices):
            starts = self.indptr[:-1]
            nonempty = starts < self.indptr[1:]
            out[nonempty] = np.add.reduceat(prod, starts[nonempty], axis=0)
        return out, prod


class Featurizer:
    """Learns a vocabulary and idf weights; turns texts into :class:`SparseRows`.

    Parameters:
        cues: category index -> cue terms (from the taxonomy); None or empty for no cue block.
        char_bigrams: add character-bigram features.
        cue_scale: multiplier of the cue columns.
        min_df: drop words/bigrams seen in fewer training texts than this.
        shown_cues: how many of the leading cue groups lend their terms to evidence (None: all).
            The categories' cue terms are evidence; sentence-frame groups (给予, 建设, 到2025年)
            count in the score but are not words that name a measure.
    """

    def __init__(
        self,
        cues: Sequence[Sequence[str]] | None = None,
        *,
        char_bigrams: bool = True,
        cue_scale: float = 1.0,
        min_df: int = 1,
        shown_cues: int | None = None,
    ) -> None:
        self.cues = [tuple(c) for c in (cues or [])]
        self.shown_cues = len(self.cues) if shown_cues is None else int(shown_cues)
        self.char_bigrams = char_bigrams
        self.cue_scale = float(cue_scale)
        self.min_df = int(min_df)
        self.vocabulary: dict[str, int] = {}
        self.idf = np.zeros(0)
        self._bigram_cache: tuple[dict[str, int], IntLookup | None] | None = None
        self._token_ids: _TokenIds | None = None
        self._analyzed_map: tuple[object, dict[str, int], np.ndarray] | None = None
        self._setup_cues()

    # ------------------------------------------------------------------ state
    def _setup_cues(self) -> None:
        by_term: dict[str, list[int]] = {}
        for k, terms in enumerate(self.cues):
            for t in terms:
                t = normalize(t)
                if t and k not in by_term.setdefault(t, []):
                    by_term[t].append(k)
        self._cue_cats = {t: tuple(ks) for t, ks in by_term.items()}
        # leftmost-longest, non-overlapping matches (see _trie_pattern): the regex is the
        # definition (cue_matches), the CueMatcher finds the same matches for a whole batch
        self._cue_terms = list(by_term)
        self._cue_index = {t: i for i, t in enumerate(self._cue_terms)}
        self._cue_matcher = CueMatcher(self._cue_terms)
        n_cats = [len(ks) for ks in by_term.values()]
        self._cue_cat_ptr = np.concatenate([[0], np.cumsum(n_cats, dtype=np.int64)])
        self._cue_cat_ids = np.fromiter(
            chain.from_iterable(by_term.values()), dtype=np.int64, count=sum(n_cats)
        )

    @property
    def n_text_features(self) -> int:
        return len(self.vocabulary)

    @property
    def n_features(self) -> int:
        return len(self.vocabulary) + len(self.cues)

    def feature_names(self) -> list[str]:
        """Names of all columns: words, ``"#xy"`` for a bigram, ``"cue:<k>"`` for cue columns."""
        names = [""] * len(self.vocabulary)
        for term, i in self.vocabulary.items():
            names[i] = term
        return names + [f"cue:{k}" for k in range(len(self.cues))]

    def state(self) -> dict[str, object]:
        """Everything needed to rebuild this featurizer (plain lists and numbers)."""
        return {
            "terms": self.feature_names()[: len(self.vocabulary)],
            "idf": self.idf,
            "cues": [list(c) for c in self.cues],
            "char_bigrams": self.char_bigrams,
            "cue_scale": self.cue_scale,
            "min_df": self.min_df,
            "shown_cues": self.shown_cues,
        }

    @classmethod
    def from_state(
        cls,
        terms: Sequence[str],
        idf: np.ndarray,
        cues: Sequence[Sequence[str]],
        char_bigrams: bool,
        cue_scale: float,
        min_df: int = 1,
        shown_cues: int | None = None,
    ) -> Featurizer:
        f = cls(
            cues,
            char_bigrams=char_bigrams,
            cue_scale=cue_scale,
            min_df=min_df,
            shown_cues=shown_cues,
        )
        f.vocabulary = dict(zip(terms, range(len(terms)), strict=True))
        f.idf = np.asarray(idf, dtype=np.float64)
        if len(f.vocabulary) != len(f.idf):
            raise ValueError(f"{len(terms)} terms but {len(f.idf)} idf weights")
        return f

    # ------------------------------------------------------------------ analysis
    def terms(self, norm: str) -> list[str]:
        """The word and bigram terms of a normalised text (bigrams prefixed with ``#``)."""
        words = tokenize(norm)
        if self.char_bigrams:
            words += ["#" + b for b in char_bigrams(norm)]
        return words

    def cue_matches(self, norm: str) -> list[str]:
        """Cue terms found in a normalised text (leftmost-longest, non-overlapping)."""
        return self._cue_re.findall(norm) if self._cue_re is not None else []

    @cached_property
    def _cue_re(self) -> re.Pattern[str] | None:
        """The cue terms as one regex (the definition of the matches; compiled on first use)."""
        return re.compile(_trie_pattern(self._cue_cats)) if self._cue_cats else None

    # ------------------------------------------------------------------ fit / transform
    def fit(self, texts: Iterable[str]) -> Featurizer:
        """Learn the vocabulary and idf weights from training texts.

        ``texts`` may be an :class:`~policyclf.analyzed.AnalyzedTexts` (texts analysed once,
        for training on many subsets of the same texts): the result is the same.
        """
        if isinstance(texts, AnalyzedTexts):
            return self._fit_analyzed(texts)
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            if isinstance(text, AnalysedText):
                df.update(t for t, _ in text.terms)
            else:
                df.update(set(self.terms(normalize(text))))
            n += 1
        kept = sorted(t for t, c in df.items() if c >= self.min_df)
        self.vocabulary = {t: i for i, t in enumerate(kept)}
        self.idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in kept])
        return self

    def _fit_analyzed(self, texts: AnalyzedTexts) -> Featurizer:
        """:meth:`fit` from term ids: document frequencies by counting distinct (text, term)."""
        term, row = texts.terms(bigrams=self.char_bigrams)
        n, n_terms = len(texts), len(texts.strings)
        df = np.bincount(distinct(row * n_terms + term) % n_terms, minlength=n_terms)
        keep = np.flatnonzero(df >= self.min_df)
        keep = keep[np.argsort(texts.string_rank[keep])]  # the terms in code-point order
        strings = texts.strings
        self.vocabulary = {strings[g]: i for i, g in enumerate(keep.tolist())}
        self.idf = np.array([math.log((1 + n) / (1 + d)) + 1.0 for d in df[keep].tolist()])
        local = np.full(n_terms, -1, dtype=np.int64)
        local[keep] = np.arange(len(keep))
        self._analyzed_map = (texts._data, self.vocabulary, local)
        return self

    def transform(self, texts: Iterable[str], *, normalized: bool = False) -> SparseRows:
        """Feature rows for texts (normalised first unless ``normalized=True``).

        ``texts`` may be an :class:`~policyclf.analyzed.AnalyzedTexts` (texts analysed once for
        training), and may hold :class:`AnalysedText` items: the same rows either way.
        """
        if isinstance(texts, AnalyzedTexts):
            return self._transform_analyzed(texts)
        texts = list(texts)
        if any(isinstance(t, AnalysedText) for t in texts):
            return self._transform_analysed(texts)
        norms = [t if normalized else normalize(t) for t in texts]
        return self._transform(norms).rows

    def analyse(self, text: str, key: str) -> AnalysedText:
        """``text`` as an :class:`AnalysedText` called ``key`` (its terms and cue matches)."""
        norm = normalize(text)
        return AnalysedText(key, Counter(self.terms(norm)).items(), self.cue_matches(norm))

    def _transform_analysed(self, texts: Sequence[str]) -> SparseRows:
        """Feature rows from term counts: the same floats as :meth:`_transform` on the texts."""
        vocab = self.vocabulary
        # analyse() normalises; normalising twice changes nothing
        items = [t if isinstance(t, AnalysedText) else self.analyse(t, "") for t in texts]
        entry_text: list[int] = []
        entry_term: list[int] = []
        tfs: list[int] = []
        for r, a in enumerate(items):
            for term, count in a.terms:
                i = vocab.get(term)
                if i is not None:
                    entry_text.append(r)
                    entry_term.append(i)
                    tfs.append(count)
        cues = [[c for c in a.cues if c in self._cue_cats] for a in items]
        return self._rows(
            len(items),
            np.array(entry_text, dtype=np.int64),
            np.array(entry_term, dtype=np.int64),
            np.array(tfs, dtype=np.int64),
            cues,
        )

    def _transform_analyzed(self, texts: AnalyzedTexts) -> SparseRows:
        """:meth:`transform` from term ids (see :meth:`_fit_analyzed`)."""
        cached = self._analyzed_map
        if cached is None or cached[0] is not texts._data or cached[1] is not self.vocabulary:
            vocab = self.vocabulary
            local = np.array([vocab.get(t, -1) for t in texts.strings], dtype=np.int64)
            cached = self._analyzed_map = (texts._data, vocab, local)
        term, row = texts.terms(bigrams=self.char_bigrams)
        term = cached[2][term] if len(term) else term
        ok = term >= 0
        n = len(texts)
        counted = first_counts(row[ok], term[ok], n, max(len(self.vocabulary), 1))
        if counted is None:  # pragma: no cover - too many rows for one packed key
            return self.transform(list(texts))
        entry_text, entry_term, tf, _ = counted
        if texts.cue_terms != tuple(self._cue_terms):  # analysed for other cue terms
            return self.transform(list(texts))
        cue_text, cue_term = texts.cue_matches()
        return self._rows_of(n, entry_text, entry_term, tf, cue_text, cue_term)

    def _transform(self, norms: Sequence[str]) -> TransformedBatch:
        """Feature rows of normalised texts, with the words and cue matches seen in each.

        The batch is scanned once (:meth:`_scan`). Term counts come from :meth:`_count_each`
        (a Counter per text: the definition) for small batches, from :meth:`_count_scanned`
        (the same counts, with numpy) for larger ones; the rest is shared, so both give the
        same floats.
        """
        n = len(norms)
        scan = self._scan(norms)
        if _whole_batch(norms):
            entry_text, entry_term, tf, n_tokens, has_oov = self._count_scanned(norms, scan)
        else:
            entry_text, entry_term, tf, n_tokens, has_oov = self._count_each(norms, scan.words)
        rows = self._rows_of(n, entry_text, entry_term, tf, scan.cue_text, scan.cue_term)
        return TransformedBatch(rows, scan, n_tokens, has_oov.tolist())

    def _rows(
        self,
        n: int,
        entry_text: np.ndarray,
        entry_term: np.ndarray,
        tf: np.ndarray,
        all_cues: Sequence[list[str]],
    ) -> SparseRows:
        """Rows from each text's (term, count) entries, in first-occurrence order, and the cue
        terms matched in each text (strings)."""
        index = self._cue_index
        match_text = np.repeat(np.arange(len(all_cues)), [len(c) for c in all_cues])
        match_term = np.array([index[c] for c in chain.from_iterable(all_cues)], dtype=np.int64)
        return self._rows_of(n, entry_text, entry_term, tf, match_text, match_term)

    def _rows_of(
        self,
        n: int,
        entry_text: np.ndarray,
        entry_term: np.ndarray,
        tf: np.ndarray,
        match_text: np.ndarray,
        match_term: np.ndarray,
    ) -> SparseRows:
        """Feature rows from term counts (text, term, count, by text in first-occurrence
        order) and cue matches (text, cue term index, in order)."""
        # sublinear tf * idf, L2-normalised per text. The squared norm is ``w @ w`` text by
        # text, as the per-text code always computed it: BLAS adds in its own order, and any
        # other order could change the last bit of a weight (and of a retrained model).
        w = (1.0 + np.log(tf.astype(np.float64))) * self.idf[entry_term]
        bounds = np.searchsorted(entry_text, np.arange(n + 1)).tolist()
        norm2 = np.array([w[a:b] @ w[a:b] for a, b in pairwise(bounds)])
        w /= np.sqrt(norm2)[entry_text]
        # the cue columns (text, category, value), by text then category
        cue_text, cue_cat, cue_value = self._cue_columns_of(match_text, match_term, n)
        # each text's row: its text terms, then its cue columns
        n_entries = np.bincount(entry_text, minlength=n)
        n_cue = np.bincount(cue_text, minlength=n)
        indptr = np.concatenate([[0], np.cumsum(n_entries + n_cue)])
        if len(cue_text):
            indices = np.empty(int(indptr[-1]), dtype=np.int64)
            data = np.empty(int(indptr[-1]), dtype=np.float64)
            at = _ranges(indptr[:-1], n_entries)
            indices[at], data[at] = entry_term, w
            at = _ranges(indptr[:-1] + n_entries, n_cue)
            indices[at], data[at] = len(self.vocabulary) + cue_cat, cue_value
        else:
            indices, data = entry_term, w
        return SparseRows(data, indices, indptr, self.n_features)

    def _scan(self, norms: Sequence[str]) -> _Scan:
        """Segment a batch in one call and find its cue terms (see :mod:`policyclf._scan`)."""
        n = len(norms)
        joined = SEP.join(norms)
        raw = segment(joined)
        ids = self._token_id_table()
        token_id = np.fromiter(map(ids.__getitem__, raw), dtype=np.int64, count=len(raw))
        is_sep = token_id == _SEP_ID
        if int(is_sep.sum()) != n - 1 or joined.count(SEP) != n - 1:
            # a text with a line break (not normalised): segment text by text
            raw, token_id, is_sep = [], np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
            for i, t in enumerate(norms):
                part = [SEP] if i else []
                part += [tok for tok in segment(t) if tok != SEP]
                raw += part
            token_id = np.fromiter(map(ids.__getitem__, raw), dtype=np.int64, count=len(raw))
            is_sep = token_id == _SEP_ID
        token_text = np.cumsum(is_sep)
        codes = code_points(joined)
        text_start = np.cumsum([0] + [len(t) + 1 for t in norms])
        cue_start, cue_term = self._cue_matcher.find(joined, codes)
        cue_text = np.searchsorted(text_start, cue_start, side="right") - 1
        return _Scan(
            norms,
            raw,
            token_id,
            token_text,
            codes,
            text_start,
            cue_text,
            cue_term,
            self._cue_terms,
            ids,
        )

    def _token_id_table(self) -> _TokenIds:
        table = self._token_ids
        if table is None or table.vocabulary is not self.vocabulary or len(table) > 500_000:
            table = self._token_ids = _TokenIds(self.vocabulary)
        return table

    def _count_scanned(
        self, norms: Sequence[str], scan: _Scan
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """What :meth:`_count_each` returns, from a batch scan, with numpy."""
        n = len(norms)
        token_id, token_text = scan.token_id, scan.token_text
        at = np.flatnonzero(token_id >= 0)
        word_text, word_id = token_text[at], token_id[at]
        has_oov = np.bincount(token_text[token_id <= _FIRST_OOV_ID], minlength=n) > 0
        bigram_id, bigram_text = self._bigram_features_scanned(scan)
        # each text's terms: its words, then its bigrams, in order
        n_words = np.bincount(word_text, minlength=n)
        n_bigrams = np.bincount(bigram_text, minlength=n)
        n_terms = n_words + n_bigrams
        start = np.cumsum(n_terms) - n_terms
        total = int(n_terms.sum())
        term = np.empty(total, dtype=np.int64)
        term[_ranges(start, n_words)] = word_id
        term[_ranges(start + n_words, n_bigrams)] = bigram_id
        term_text = np.repeat(np.arange(n), n_terms)
        width = max(len(self.vocabulary), 1)
        counted = first_counts(term_text, term, n, width)
        if counted is None:  # a batch too large for one packed sort key
            all_words = scan.words
            return self._count_batch(norms, all_words)
        entry_text, entry_term, tf, first = counted
        seen_in_words = first < start[entry_text] + n_words[entry_text]
        n_tokens = np.bincount(entry_text[seen_in_words], minlength=n)
        return entry_text, entry_term, tf, n_tokens, has_oov

    def _bigram_features_scanned(self, scan: _Scan) -> tuple[np.ndarray, np.ndarray]:
        """The in-vocabulary character bigrams of a scanned batch: feature ids and texts."""
        table = self._bigram_lookup()
        codes = scan.codes
        if not self.char_bigrams or table is None or len(codes) < 2:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        cjk = np.zeros(len(codes), dtype=bool)
        for lo, hi in _CJK_BLOCKS:
            cjk |= (codes >= lo) & (codes <= hi)
        starts = np.flatnonzero(cjk[:-1] & cjk[1:])  # a bigram of Chinese characters starts here
        ids = table.get(_pair_keys(codes)[starts])
        found = ids >= 0
        text = np.searchsorted(scan.text_start, starts[found], side="right") - 1
        return ids[found], text

    def _count_each(
        self, norms: Sequence[str], all_words: Sequence[list[str]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each text's term counts, in first-occurrence order (words, then bigrams).

        Returns, per entry, its text, term index and count; per text, how many entries come
        from its words (they come first) and whether it has words outside the vocabulary.
        """
        vocab = self.vocabulary
        texts: list[int] = []
        terms: list[int] = []
        tfs: list[int] = []
        n_tokens: list[int] = []
        has_oov: list[bool] = []
        for r, (norm, words) in enumerate(zip(norms, all_words, strict=True)):
            counts: Counter[Any] = Counter(map(vocab.get, words))
            has_oov.append(counts.pop(None, 0) > 0)
            n_tokens.append(len(counts))
            if self.char_bigrams:
                counts.update(vocab.get("#" + b) for b in char_bigrams(norm))
                counts.pop(None, None)
            texts += [r] * len(counts)
            terms += counts
            tfs += counts.values()
        return (
            np.array(texts, dtype=np.int64),
            np.array(terms, dtype=np.int64),
            np.array(tfs, dtype=np.int64),
            np.array(n_tokens, dtype=np.int64),
            np.array(has_oov, dtype=bool),
        )

    def _count_batch(
        self, norms: Sequence[str], all_words: Sequence[list[str]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """What :meth:`_count_each` returns, computed for the whole batch with numpy."""
        n = len(norms)
        # each text's terms as vocabulary indices (-1: not in it), words then bigrams
        n_words = np.fromiter(map(len, all_words), dtype=np.int64, count=n)
        word_ids = np.fromiter(
            map(self.vocabulary.get, chain.from_iterable(all_words), repeat(-1)),
            dtype=np.int64,
            count=int(n_words.sum()),
        )
        bigram_ids, n_bigrams = self._bigram_features(norms)
        n_terms = n_words + n_bigrams
        start = np.cumsum(n_terms) - n_terms
        term = np.empty(int(n_terms.sum()), dtype=np.int64)
        term[_ranges(start, n_words)] = word_ids
        term[_ranges(start + n_words, n_bigrams)] = bigram_ids
        term_text = np.repeat(np.arange(n), n_terms)
        has_oov = np.bincount(term_text[term < 0], minlength=n) > 0
        # the count of each (text, term), in order of first occurrence (a Counter's order)
        at = np.flatnonzero(term >= 0)
        width = max(len(self.vocabulary), 1)
        keys, first, tf = np.unique(
            term_text[at] * width + term[at], return_index=True, return_counts=True
        )
        order = np.argsort(first)  # first occurrences are distinct: any sort will do
        keys, first, tf = keys[order], at[first[order]], tf[order]
        entry_text = keys // width
        seen_in_words = first < start[entry_text] + n_words[entry_text]
        n_tokens = np.bincount(entry_text[seen_in_words], minlength=n)
        return entry_text, keys % width, tf, n_tokens, has_oov

    def _cue_columns_of(
        self, match_text: np.ndarray, match_term: np.ndarray, n_texts: int
    ) -> tuple[np.ndarray, ...]:
        """Non-zero cue columns: text, category and ``cue_scale * log1p(number of matches)``.

        ``match_text`` and ``match_term`` give each cue match's text and term (an index into
        the cue terms); a term of several categories counts for each.
        """
        n_cues = len(self.cues)
        if not n_cues or not len(match_term):
            none = np.zeros(0, dtype=np.int64)
            return none, none, np.zeros(0, dtype=np.float64)
        ptr = self._cue_cat_ptr
        n_cats = ptr[match_term + 1] - ptr[match_term]
        pair_text = np.repeat(match_text, n_cats)
        pair_cat = self._cue_cat_ids[_ranges(ptr[match_term], n_cats)]
        hits = np.bincount(pair_text * n_cues + pair_cat, minlength=n_texts * n_cues)
        column = np.flatnonzero(hits)
        # the same floats as scale * math.log1p(count) in Python
        value = np.array([self.cue_scale * math.log1p(c) for c in range(int(hits.max()) + 1)])
        return column // n_cues, column % n_cues, value[hits[column]]

    # ------------------------------------------------------------------ bigram lookup
    def _bigram_lookup(self) -> IntLookup | None:
        """Pair key (see :func:`_pair_keys`) -> feature index of the ``"#xy"`` terms.

        Every two-character ``#`` term is listed (not only Chinese ones), so the table also
        finds the bigram terms inside any word; built once per vocabulary (``fit`` and
        ``from_state`` set a new dict, which the cache notices). None without bigram terms.
        """
        cached = self._bigram_cache
        if cached is not None and cached[0] is self.vocabulary:
            return cached[1]
        pairs = [
            ((ord(t[1]) << 21) | ord(t[2]), i)
            for t, i in self.vocabulary.items()
            if len(t) == 3 and t[0] == "#"
        ]
        keys = np.array([k for k, _ in pairs], dtype=np.int64)
        ids = np.array([i for _, i in pairs], dtype=np.int64)
        table = IntLookup(keys, ids) if pairs else None
        self._bigram_cache = (self.vocabulary, table)
        return table

    def _bigrams_in(self, strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The ``#`` terms inside each string: string ``i`` has ``ids[ptr[i]:ptr[i + 1]]``.

        A term ``"#xy"`` is inside a string containing ``"xy"``; each listed once per string.
        """
        table = self._bigram_lookup()
        n = len(strings)
        lengths = np.fromiter(map(len, strings), dtype=np.int64, count=n)
        codes = _code_points("\n".join(strings))
        if len(codes) < 2 or table is None:
            return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)
        # the string each two-character window starts in, and where in it
        owner = np.repeat(np.arange(n), lengths + 1)[: len(codes) - 1]
        offset = np.arange(len(codes) - 1) - (np.cumsum(lengths + 1) - (lengths + 1))[owner]
        at = np.flatnonzero(offset < lengths[owner] - 1)  # both characters in the string
        ids = table.get(_pair_keys(codes)[at])
        hit = ids >= 0
        width = self.n_features
        pairs = distinct(owner[at[hit]] * width + ids[hit])  # by string, distinct
        return np.searchsorted(pairs // width, np.arange(n + 1)), pairs % width

    def _bigram_features(self, norms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the in-vocabulary character bigrams of all texts, text by text, in order,
        and how many belong to each text (used by :meth:`_count_batch`)."""
        joined = SEP.join(norms)
        codes = code_points(joined)
        text_start = np.cumsum([0] + [len(t) + 1 for t in norms])
        scan = _Scan(
            norms,
            [],
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            codes,
            text_start,
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            [],
        )
        ids, text = self._bigram_features_scanned(scan)
        return ids, np.bincount(text, minlength=len(norms))


class TransformedBatch:
    """Feature rows of a batch of normalised texts, and what was seen in each text."""

    def __init__(
        self, rows: SparseRows, scan: _Scan, n_tokens: np.ndarray, has_oov: list[bool]
    ) -> None:
        self.rows = rows
        self.scan = scan
        # per text: its first n_tokens entries are its distinct in-vocabulary words
        self.n_tokens = n_tokens
        self.has_oov = has_oov  # per text: some word is outside the vocabulary

    @property
    def words(self) -> list[list[str]]:
        """``tokenize()`` of each text (built on first use)."""
        return self.scan.words

    @property
    def cues(self) -> list[list[str]]:
        """``cue_matches()`` of each text (built on first use)."""
        return self.scan.cues
