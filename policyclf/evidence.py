"""Evidence: the words that pushed a text toward each of its predicted labels.

For a predicted label, every feature of the text with a positive contribution (feature value ×
the label's coefficient) counts: a word counts as itself, a cue column's weight is shared by the
cue terms of that category found in the text, and a character bigram's weight is shared by the
words of the text that contain it. Only readable words are listed (two or more characters, or a
cue term), heaviest first, ties broken by the word, :data:`EVIDENCE_TERMS` per label.

:meth:`Explainer.one` is the readable definition for one text and label; :meth:`Explainer.batch`
computes the same lists for a whole batch with array operations (tests pin one to the other).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain, repeat

import numpy as np

from .features import Analysis, Featurizer, SparseRows, TransformedBatch, _ranges

__all__ = ["EVIDENCE_TERMS", "Explainer"]

#: How many evidence terms a Tag keeps per label.
EVIDENCE_TERMS = 8

Evidence = dict[str, list[tuple[str, float]]]


class Explainer:
    """Evidence lists for one model: its featurizer, coefficients and label ids."""

    def __init__(self, featurizer: Featurizer, coef: np.ndarray, labels: Sequence[str]) -> None:
        self.featurizer = featurizer
        self.coef = coef
        self.labels = tuple(labels)
        self._names: list[str] | None = None

    def one(self, seen: Analysis, rows: SparseRows, r: int, j: int) -> list[tuple[str, float]]:
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

    def each(self, batch: TransformedBatch, on: np.ndarray) -> list[Evidence]:
        """``{label: _evidence(...)}`` for each text of a batch, text by text."""
        ids = self.labels
        cue_cats = self.featurizer._cue_cats
        out: list[dict[str, list[tuple[str, float]]]] = []
        for r, flags in enumerate(on.tolist()):
            seen = Analysis(tuple(batch.words[r]), tuple((c, cue_cats[c]) for c in batch.cues[r]))
            out.append({ids[j]: self.one(seen, batch.rows, r, j) for j, f in enumerate(flags) if f})
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
    def batch(self, batch: TransformedBatch, on: np.ndarray, contrib: np.ndarray) -> list[Evidence]:
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
        tables = self._tables
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
    def _tables(self) -> _EvidenceTables:
        return _EvidenceTables.build(self.featurizer)


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
