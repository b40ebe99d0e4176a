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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .text import normalize
from .tokenize import tokenize

__all__ = ["Analysis", "Featurizer", "SparseRows", "char_bigrams"]

_CJK_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_HAS_WORD_CHAR = re.compile(r"\w")


def char_bigrams(text: str) -> list[str]:
    """Character bigrams inside each run of two or more Chinese characters."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        out += [run[i : i + 2] for i in range(len(run) - 1)]
    return out


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

    def to_scipy(self):  # type: ignore[no-untyped-def]
        """The same rows as a ``scipy.sparse.csr_matrix`` (imports scipy)."""
        from scipy.sparse import csr_matrix

        return csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)

    def dot(self, dense: np.ndarray) -> np.ndarray:
        """``rows @ dense`` for a dense ``(n_features, k)`` array, with numpy only."""
        n = len(self.indptr) - 1
        out = np.zeros((n, dense.shape[1]), dtype=np.float64)
        if len(self.indices):
            prod = dense[self.indices] * self.data[:, None]
            starts = self.indptr[:-1]
            nonempty = starts < self.indptr[1:]
            out[nonempty] = np.add.reduceat(prod, starts[nonempty], axis=0)
        return out


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
        terms = sorted(by_term, key=lambda t: (-len(t), t))
        self._cue_re = re.compile("|".join(map(re.escape, terms))) if terms else None

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

    def analyze(self, text: str, *, normalized: bool = False) -> Analysis:
        """Words and cue matches of one text (for explanations)."""
        norm = text if normalized else normalize(text)
        return Analysis(
            words=tuple(tokenize(norm)),
            cues=tuple((c, self._cue_cats[c]) for c in self.cue_matches(norm)),
        )

    # ------------------------------------------------------------------ fit / transform
    def fit(self, texts: Iterable[str]) -> Featurizer:
        """Learn the vocabulary and idf weights from training texts."""
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            df.update(set(self.terms(normalize(text))))
            n += 1
        kept = sorted(t for t, c in df.items() if c >= self.min_df)
        self.vocabulary = {t: i for i, t in enumerate(kept)}
        self.idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in kept])
        return self

    def transform(self, texts: Iterable[str], *, normalized: bool = False) -> SparseRows:
        """Feature rows for texts (normalised first unless ``normalized=True``)."""
        vocab = self.vocabulary
        idf = self.idf
        n_text = len(vocab)
        cue_cats = self._cue_cats
        scale = self.cue_scale
        data: list[float] = []
        indices: list[int] = []
        indptr = [0]
        for text in texts:
            norm = text if normalized else normalize(text)
            counts = Counter(i for t in self.terms(norm) if (i := vocab.get(t)) is not None)
            if counts:
                idx = list(counts)
                tf = np.fromiter(counts.values(), dtype=np.float64, count=len(idx))
                w = (1.0 + np.log(tf)) * idf[idx]
                w /= math.sqrt(float(w @ w))
                indices += idx
                data += w.tolist()
            if cue_cats:
                hits: Counter[int] = Counter()
                for term in self.cue_matches(norm):
                    hits.update(cue_cats[term])
                for k in sorted(hits):
                    indices.append(n_text + k)
                    data.append(scale * math.log1p(hits[k]))
            indptr.append(len(indices))
        return SparseRows(
            np.asarray(data, dtype=np.float64),
            np.asarray(indices, dtype=np.int64),
            np.asarray(indptr, dtype=np.int64),
            self.n_features,
        )


def cue_table(cues: Mapping[str, Sequence[str]], ids: Sequence[str]) -> list[tuple[str, ...]]:
    """Cue terms in category order, from an id -> terms mapping."""
    return [tuple(cues.get(i, ())) for i in ids]
