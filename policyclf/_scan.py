"""Array helpers for scanning a whole batch of normalised texts at once.

A batch is scanned as one string, its texts joined with ``"\\n"`` (normalised text never
contains a line break): one segmenter call, one array of code points, one search for cue terms.
Nothing here knows about models or labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property

import numpy as np

from .tokenize import token_form

__all__ = [
    "SEP",
    "CueMatcher",
    "IntLookup",
    "code_points",
    "dense_rank",
    "distinct",
    "first_counts",
]

#: What joins the texts of a batch.
SEP = "\n"

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_BASE = np.uint64(0x100000001B3)
_KEY_MASK = np.uint64((1 << 62) - 1)


def distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` for a 1-d array, by sorting.

    numpy 2.3+ answers a plain ``np.unique`` of integers with a hash table, which is 10-60x
    slower than a sort when most values are distinct (as the packed keys here are): 0.33 s
    against 0.005 s for 300,000 int64 on the machine of benchmarks/RESULTS.md.
    """
    out = np.sort(values)
    if len(out) > 1:
        out = out[np.r_[True, out[1:] != out[:-1]]]
    return out


def dense_rank(values: np.ndarray) -> tuple[int, np.ndarray]:
    """The number of distinct values and each value's rank among them (0: the smallest):
    ``np.unique(values, return_inverse=True)`` without building the unique values."""
    order = np.argsort(values)
    ordered = values[order]
    level = np.zeros(len(values), dtype=np.int64)
    if len(values) > 1:
        np.cumsum(ordered[1:] != ordered[:-1], out=level[1:])
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = level
    return (int(level[-1]) + 1 if len(values) else 0), rank


def code_points(text: str) -> np.ndarray:
    """The code points of ``text`` as int64 (lone surrogates included, as themselves)."""
    raw = text.encode("utf-32-le", "surrogatepass")
    return np.frombuffer(raw, dtype="<u4").astype(np.int64)


class IntLookup:
    """A read-only hash table from non-negative int64 keys to int64 values, probed with numpy.

    Open addressing with linear probing at a load factor of at most 1/4, so that looking up
    millions of keys takes a few vectorised passes instead of a binary search each.
    """

    def __init__(self, keys: np.ndarray, values: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        values = np.asarray(values, dtype=np.int64)
        bits = max(4, (4 * len(keys)).bit_length())
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1
        self._keys = np.full(1 << bits, -1, dtype=np.int64)
        self._values = np.zeros(1 << bits, dtype=np.int64)
        slot = self._slot(keys)
        pending = np.arange(len(keys))
        while len(pending):
            s = slot[pending]
            free = self._keys[s] < 0
            mine = self._keys[s] == keys[pending]  # a repeated key keeps its first value
            cand = pending[free]
            self._keys[s[free]] = keys[cand]  # of several candidates for one slot, one wins
            won = self._keys[slot[cand]] == keys[cand]
            self._values[slot[cand[won]]] = values[cand[won]]
            pending = np.concatenate([pending[~free & ~mine], cand[~won]])
            slot[pending] = (slot[pending] + 1) & self._mask

    def _slot(self, keys: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return ((keys.view(np.uint64) * _GOLDEN) >> self._shift).view(np.int64)

    def get(self, keys: np.ndarray, default: int = -1) -> np.ndarray:
        """The value of each key, ``default`` where the key is absent."""
        keys = np.ascontiguousarray(keys, dtype=np.int64)
        slot = self._slot(keys)
        held = np.take(self._keys, slot)
        hit = held == keys
        out = np.where(hit, np.take(self._values, slot), default)
        pending = np.flatnonzero(~hit & (held >= 0))  # the slot holds another key: probe on
        while len(pending):
            s = (slot[pending] + 1) & self._mask
            slot[pending] = s
            held = self._keys[s]
            hit = held == keys[pending]
            out[pending[hit]] = self._values[s[hit]]
            pending = pending[~hit & (held >= 0)]
        return out


def _hashes(codes: Sequence[int]) -> list[int]:
    """The 62-bit polynomial hash of each prefix of ``codes`` (as :meth:`CueMatcher.find`)."""
    out = []
    h = 0
    for c in codes:
        h = (h * int(_BASE) + c) & ((1 << 64) - 1)
        out.append(h & int(_KEY_MASK))
    return out


class CueMatcher:
    """Leftmost-longest, non-overlapping matches of a set of terms, for a whole batch at once.

    The same matches as ``re.findall`` with an alternation of the terms tried longest first
    (:func:`policyclf.features._trie_pattern`): scanning left to right, at each position the
    longest term that starts there is taken and the scan resumes after it. Candidates are
    found with rolling hashes of their prefixes and every match is checked against the text.
    """

    def __init__(self, terms: Sequence[str]) -> None:
        self.terms = list(terms)
        if any(not t for t in self.terms):
            raise ValueError("cue terms must not be empty")
        self.max_len = max(map(len, self.terms), default=0)
        prefix_keys: list[int] = []
        prefix_vals: list[int] = []  # the term of exactly this prefix, or -1
        seen: dict[int, int] = {}
        for i, t in enumerate(self.terms):
            hs = _hashes([ord(c) for c in t])
            for n, h in enumerate(hs, start=1):
                key = h * 16 + min(n, 15)  # keep prefixes of different lengths apart
                key &= (1 << 62) - 1
                if key not in seen:
                    seen[key] = len(prefix_keys)
                    prefix_keys.append(key)
                    prefix_vals.append(-1)
                if n == len(t):
                    prefix_vals[seen[key]] = i
        self._prefixes = IntLookup(np.array(prefix_keys, dtype=np.int64), np.array(prefix_vals))
        # candidates: where a term's first two characters are (or a one-character term is)
        pairs = sorted({(ord(t[0]) << 21) | ord(t[1]) for t in self.terms if len(t) >= 2})
        self._lead = _char_set(t[0] for t in self.terms if len(t) >= 2)
        self._second = _char_set(t[1] for t in self.terms if len(t) >= 2)
        self._pairs = IntLookup(np.array(pairs, dtype=np.int64), np.zeros(len(pairs)))
        singles = sorted({ord(t) for t in self.terms if len(t) == 1})
        self._singles = np.array(singles, dtype=np.int64)
        width = max(self.max_len, 1)
        self._term_codes = np.full((len(self.terms), width), -1, dtype=np.int64)
        for i, t in enumerate(self.terms):
            self._term_codes[i, : len(t)] = [ord(c) for c in t]
        self._term_len = np.array([len(t) for t in self.terms], dtype=np.int64)

    def find(self, text: str, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(start, term index) of each match in ``text`` (whose code points are ``codes``)."""
        none = np.zeros(0, dtype=np.int64)
        if not self.terms or not len(codes):
            return none, none
        at_pair = np.zeros(len(codes), dtype=bool)
        if len(codes) > 1:
            # cheap filter on each character alone, then the exact pair
            maybe = np.flatnonzero(
                _in_set(self._lead, codes[:-1]) & _in_set(self._second, codes[1:])
            )
            at_pair[maybe] = self._pairs.get((codes[maybe] << 21) | codes[maybe + 1]) == 0
        if len(self._singles):
            at_pair |= np.isin(codes, self._singles)
        cand = np.flatnonzero(at_pair)
        best_len = np.zeros(len(cand), dtype=np.int64)
        best_term = np.full(len(cand), -1, dtype=np.int64)
        padded = np.concatenate([codes, np.full(self.max_len, -1, dtype=np.int64)])
        live = np.arange(len(cand))
        h = np.zeros(len(cand), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for n in range(1, self.max_len + 1):
                c = padded[cand[live] + n - 1]
                ok = c >= 0
                live, c = live[ok], c[ok]
                h = h[ok] * _BASE + c.astype(np.uint64)
                key = ((h & _KEY_MASK).astype(np.int64) * 16 + min(n, 15)) & ((1 << 62) - 1)
                found = self._prefixes.get(key, default=-2)
                is_prefix = found != -2
                term = found[is_prefix]
                at = live[is_prefix][term >= 0]
                best_len[at] = n
                best_term[at] = term[term >= 0]
                live, h = live[is_prefix], h[is_prefix]
                if not len(live):
                    break
        hit = best_term >= 0
        start, length, term = cand[hit], best_len[hit], best_term[hit]
        # check every match against the text (a hash collision is never trusted)
        window = np.take(padded, start[:, None] + np.arange(self._term_codes.shape[1]))
        inside = np.arange(self._term_codes.shape[1]) < length[:, None]
        same = np.where(inside, window == np.take(self._term_codes, term, axis=0), True).all(axis=1)
        for i in np.flatnonzero(~same).tolist():  # pragma: no cover - a hash collision
            length[i], term[i] = self._slow_longest(text, int(start[i]))
        keep = term >= 0
        start, length, term = start[keep], length[keep], term[keep]
        # leftmost-longest and non-overlapping: a match inside an earlier taken one is skipped
        end = start + length
        if len(start) > 1 and bool(np.any(start[1:] < end[:-1])):
            # a match that starts at or after the end of every earlier one is always taken;
            # only the runs of overlapping matches between such matches need the scan
            reach = np.maximum.accumulate(end)
            free = np.r_[True, start[1:] >= reach[:-1]]
            keep = free.copy()
            cluster = np.flatnonzero(free)
            size = np.diff(np.r_[cluster, len(start)])
            # the second match of a run starts inside the first (it is not free): only runs
            # of three or more need the scan
            long = size > 2
            for a, k in zip(cluster[long].tolist(), size[long].tolist(), strict=True):
                stop = int(end[a])
                for i in range(a + 2, a + k):
                    if start[i] >= stop:
                        keep[i] = True
                        stop = int(end[i])
            start, term = start[keep], term[keep]
        return start, term

    def _slow_longest(self, text: str, at: int) -> tuple[int, int]:  # pragma: no cover
        best = (0, -1)
        for i, t in enumerate(self.terms):
            if len(t) > best[0] and text.startswith(t, at):
                best = (len(t), i)
        return best


def _char_set(chars: Iterable[str]) -> np.ndarray:
    """A boolean table over code points: True for ``chars``."""
    points = sorted({ord(c) for c in chars})
    table = np.zeros((points[-1] + 1) if points else 1, dtype=bool)
    table[points] = True
    return table


def _in_set(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Which ``codes`` are True in a :func:`_char_set` table."""
    top = len(table) - 1
    return table[np.minimum(codes, top)] & (codes <= top)


def first_counts(
    text: np.ndarray, term: np.ndarray, n_texts: int, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Distinct (text, term) pairs of a sequence sorted by text, in order of first occurrence.

    Returns each pair's text, term, count and the position of its first occurrence, or None
    when the packed sort key would not fit in 63 bits (the caller then counts another way).
    """
    total = len(text)
    shift = max(1, int(total).bit_length())
    if (max(n_texts, 1) * max(width, 1)).bit_length() + shift > 62:
        return None
    pos_mask = (1 << shift) - 1
    key = np.sort(((text * width + term) << shift) | np.arange(total, dtype=np.int64))
    group = key >> shift
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if total else key[:0]
    first = key[starts] & pos_mask
    count = np.diff(np.r_[starts, total])
    # back into order of first occurrence without another sort
    slot = np.full(total, -1, dtype=np.int64)
    slot[first] = np.arange(len(first))
    order = slot[slot >= 0]
    at = first[order]
    return text[at], term[at], count[order], at


_SEP_ID, _DROPPED_ID, _FIRST_OOV_ID = -2, -3, -4


class _TokenIds(dict[str, int]):
    """Raw segmenter token -> an int code, filled on first sight of each token.

    Codes: the vocabulary index (>= 0); ``_SEP_ID`` for the batch separator; ``_DROPPED_ID``
    for what :func:`~policyclf.tokenize.tokenize` drops; ``_FIRST_OOV_ID - k`` for a word
    outside the vocabulary whose form is ``forms[k]`` (tokens with the same form share it).
    """

    def __init__(self, vocabulary: dict[str, int]) -> None:
        super().__init__()
        self.vocabulary = vocabulary
        self.forms: list[str] = []
        self._form_ids: dict[str, int] = {}

    def __missing__(self, token: str) -> int:
        if token == SEP:
            value = _SEP_ID
        else:
            form = token_form(token)
            value = self.word_id(form) if form else _DROPPED_ID
        self[token] = value
        return value

    def word_id(self, form: str) -> int:
        """The code of a word form (a token's form or any other string)."""
        value = self.vocabulary.get(form)
        if value is None:
            k = self._form_ids.get(form)
            if k is None:
                k = self._form_ids[form] = len(self.forms)
                self.forms.append(form)
            value = _FIRST_OOV_ID - k
        return value


class _Scan:
    """One batch scanned as a whole: its tokens, code points and cue matches."""

    def __init__(
        self,
        norms: Sequence[str],
        raw: list[str],
        token_id: np.ndarray,
        token_text: np.ndarray,
        codes: np.ndarray,
        text_start: np.ndarray,
        cue_text: np.ndarray,
        cue_term: np.ndarray,
        cue_terms: list[str],
        table: _TokenIds | None = None,
    ) -> None:
        self.norms = norms
        self.table = table  # token codes: vocabulary index, or an other word's form
        self.raw = raw  # the segmenter's tokens, with SEP between texts
        self.token_id = token_id
        self.token_text = token_text
        self.codes = codes
        self.text_start = text_start  # where each text starts in the joined string
        self.cue_text = cue_text
        self.cue_term = cue_term
        self._cue_terms = cue_terms

    @cached_property
    def words(self) -> list[list[str]]:
        """``tokenize()`` of each text."""
        out: list[list[str]] = [[] for _ in self.norms]
        kept = np.flatnonzero((self.token_id >= 0) | (self.token_id <= _FIRST_OOV_ID))
        raw = self.raw
        for r, i in zip(self.token_text[kept].tolist(), kept.tolist(), strict=True):
            out[r].append(token_form(raw[i]))
        return out

    def words_of(self, r: int) -> list[str]:
        """``tokenize()`` of text ``r``."""
        return self.words[r]

    @cached_property
    def cues(self) -> list[list[str]]:
        """The cue terms found in each text, in order (as ``Featurizer.cue_matches``)."""
        out: list[list[str]] = [[] for _ in self.norms]
        terms = self._cue_terms
        for r, t in zip(self.cue_text.tolist(), self.cue_term.tolist(), strict=True):
            out[r].append(terms[t])
        return out
