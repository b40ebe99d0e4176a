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
from itertools import chain, pairwise, repeat
from typing import Any

import numpy as np

from .text import normalize
from .tokenize import tokenize

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


def _code_points(text: str) -> np.ndarray:
    """The code points of ``text`` as int64 (lone surrogates included, as themselves)."""
    raw = text.encode("utf-32-le", "surrogatepass")
    return np.frombuffer(raw, dtype="<u4").astype(np.int64)


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
        prod = dense[self.indices] * self.data[:, None]
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
    """

    def __init__(
        self,
        cues: Sequence[Sequence[str]] | None = None,
        *,
        char_bigrams: bool = True,
        cue_scale: float = 1.0,
        min_df: int = 1,
    ) -> None:
        self.cues = [tuple(c) for c in (cues or [])]
        self.char_bigrams = char_bigrams
        self.cue_scale = float(cue_scale)
        self.min_df = int(min_df)
        self.vocabulary: dict[str, int] = {}
        self.idf = np.zeros(0)
        self._bigram_cache: tuple[dict[str, int], np.ndarray, np.ndarray] | None = None
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
        # leftmost-longest, non-overlapping matches (see _trie_pattern)
        self._cue_re = re.compile(_trie_pattern(by_term)) if by_term else None

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
    ) -> Featurizer:
        f = cls(cues, char_bigrams=char_bigrams, cue_scale=cue_scale, min_df=min_df)
        f.vocabulary = {t: i for i, t in enumerate(terms)}
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

    # ------------------------------------------------------------------ fit / transform
    def fit(self, texts: Iterable[str]) -> Featurizer:
        """Learn the vocabulary and idf weights from training texts."""
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

    def transform(self, texts: Iterable[str], *, normalized: bool = False) -> SparseRows:
        """Feature rows for texts (normalised first unless ``normalized=True``)."""
        texts = list(texts)
        if any(isinstance(t, AnalysedText) for t in texts):
            return self._transform_analysed(texts, normalized=normalized)
        norms = [t if normalized else normalize(t) for t in texts]
        return self._transform(norms).rows

    def analyse(self, text: str, key: str) -> AnalysedText:
        """``text`` as an :class:`AnalysedText` called ``key`` (its terms and cue matches)."""
        norm = normalize(text)
        return AnalysedText(key, Counter(self.terms(norm)).items(), self.cue_matches(norm))

    def _transform_analysed(self, texts: Sequence[str], *, normalized: bool) -> SparseRows:
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

    def _transform(self, norms: Sequence[str]) -> TransformedBatch:
        """Feature rows of normalised texts, with the words and cue matches seen in each.

        Term counts come from :meth:`_count_each` (a Counter per text: the definition) for
        small batches, from :meth:`_count_batch` (the same counts, with numpy) for larger
        ones; the rest is shared, so both give the same floats.
        """
        n = len(norms)
        all_words = [tokenize(t) for t in norms]
        cue_re = self._cue_re
        all_cues = [cue_re.findall(t) if cue_re is not None else [] for t in norms]
        count = self._count_batch if _whole_batch(norms) else self._count_each
        entry_text, entry_term, tf, n_tokens, has_oov = count(norms, all_words)
        rows = self._rows(n, entry_text, entry_term, tf, all_cues)
        return TransformedBatch(rows, all_words, all_cues, n_tokens, has_oov.tolist())

    def _rows(
        self,
        n: int,
        entry_text: np.ndarray,
        entry_term: np.ndarray,
        tf: np.ndarray,
        all_cues: Sequence[list[str]],
    ) -> SparseRows:
        """Rows from each text's (term, count) entries, in first-occurrence order, and cues."""
        # sublinear tf * idf, L2-normalised per text. The squared norm is ``w @ w`` text by
        # text, as the per-text code always computed it: BLAS adds in its own order, and any
        # other order could change the last bit of a weight (and of a retrained model).
        w = (1.0 + np.log(tf.astype(np.float64))) * self.idf[entry_term]
        bounds = np.searchsorted(entry_text, np.arange(n + 1)).tolist()
        norm2 = np.array([w[a:b] @ w[a:b] for a, b in pairwise(bounds)])
        w /= np.sqrt(norm2)[entry_text]
        # the cue columns (text, category, value), by text then category
        cue_text, cue_cat, cue_value = self._cue_columns(all_cues)
        # each text's row: its text terms, then its cue columns (a stable sort by text keeps
        # that order within each text)
        text_of = np.concatenate([entry_text, cue_text])
        order = np.argsort(text_of, kind="stable")
        indices = np.concatenate([entry_term, len(self.vocabulary) + cue_cat])[order]
        data = np.concatenate([w, cue_value])[order]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(text_of, minlength=n))])
        return SparseRows(data, indices, indptr, self.n_features)

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

    def _cue_columns(self, matches: Sequence[list[str]]) -> tuple[np.ndarray, ...]:
        """Non-zero cue columns: text, category and ``cue_scale * log1p(number of matches)``."""
        n_cues = len(self.cues)
        flat = list(chain.from_iterable(matches))
        if not n_cues or not flat:
            none = np.zeros(0, dtype=np.int64)
            return none, none, np.zeros(0, dtype=np.float64)
        cats = list(map(self._cue_cats.__getitem__, flat))
        match_text = np.repeat(np.arange(len(matches)), list(map(len, matches)))
        pair_text = np.repeat(match_text, list(map(len, cats)))
        pair_cat = np.fromiter(chain.from_iterable(cats), dtype=np.int64, count=len(pair_text))
        hits = np.bincount(pair_text * n_cues + pair_cat, minlength=len(matches) * n_cues)
        column = np.flatnonzero(hits)
        # the same floats as scale * math.log1p(count) in Python
        value = np.array([self.cue_scale * math.log1p(c) for c in range(int(hits.max()) + 1)])
        return column // n_cues, column % n_cues, value[hits[column]]

    # ------------------------------------------------------------------ bigram lookup
    def _bigram_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted pair keys (see :func:`_pair_keys`) of the ``"#xy"`` terms, and their indices.

        Every two-character ``#`` term is listed (not only Chinese ones), so the table also
        finds the bigram terms inside any word; built once per vocabulary (``fit`` and
        ``from_state`` set a new dict, which the cache notices).
        """
        cached = self._bigram_cache
        if cached is not None and cached[0] is self.vocabulary:
            return cached[1], cached[2]
        pairs = sorted(
            ((ord(t[1]) << 21) | ord(t[2]), i)
            for t, i in self.vocabulary.items()
            if len(t) == 3 and t[0] == "#"
        )
        keys = np.array([k for k, _ in pairs], dtype=np.int64)
        ids = np.array([i for _, i in pairs], dtype=np.int64)
        self._bigram_cache = (self.vocabulary, keys, ids)
        return keys, ids

    def _bigrams_in(self, strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The ``#`` terms inside each string: string ``i`` has ``ids[ptr[i]:ptr[i + 1]]``.

        A term ``"#xy"`` is inside a string containing ``"xy"``; each listed once per string.
        """
        keys, ids = self._bigram_table()
        n = len(strings)
        lengths = np.fromiter(map(len, strings), dtype=np.int64, count=n)
        codes = _code_points("\n".join(strings))
        if len(codes) < 2 or not len(keys):
            return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)
        # the string each two-character window starts in, and where in it
        owner = np.repeat(np.arange(n), lengths + 1)[: len(codes) - 1]
        offset = np.arange(len(codes) - 1) - (np.cumsum(lengths + 1) - (lengths + 1))[owner]
        at = np.flatnonzero(offset < lengths[owner] - 1)  # both characters in the string
        key = _pair_keys(codes)[at]
        pos = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
        hit = keys[pos] == key
        width = self.n_features
        pairs = np.unique(owner[at[hit]] * width + ids[pos[hit]])  # by string, distinct
        return np.searchsorted(pairs // width, np.arange(n + 1)), pairs % width

    def _bigram_features(self, norms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the in-vocabulary character bigrams of all texts, text by text, in order.

        Returns the indices and how many belong to each text: the same terms, in the same
        order, as ``char_bigrams`` + vocabulary lookup, found with numpy for the whole batch.
        """
        keys, ids = self._bigram_table()
        if not self.char_bigrams or not len(keys) or not norms:
            return np.zeros(0, dtype=np.int64), np.zeros(len(norms), dtype=np.int64)
        # "\n" (never Chinese) between texts: no bigram spans two texts
        codes = _code_points("\n".join(norms))
        cjk = np.zeros(len(codes), dtype=bool)
        for lo, hi in _CJK_BLOCKS:
            cjk |= (codes >= lo) & (codes <= hi)
        starts = np.flatnonzero(cjk[:-1] & cjk[1:])  # a bigram of Chinese characters starts here
        key = _pair_keys(codes)[starts]
        pos = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
        found = keys[pos] == key
        text_starts = np.cumsum([0] + [len(t) + 1 for t in norms])
        bounds = np.searchsorted(starts[found], text_starts)
        return ids[pos[found]], np.diff(bounds)


@dataclass(frozen=True)
class TransformedBatch:
    """Feature rows of a batch of normalised texts, and what was seen in each text."""

    rows: SparseRows
    words: list[list[str]]  # tokenize() of each text
    cues: list[list[str]]  # cue_matches() of each text
    # per text: its first n_tokens entries are its distinct in-vocabulary words
    n_tokens: np.ndarray
    has_oov: list[bool]  # per text: some word is outside the vocabulary
