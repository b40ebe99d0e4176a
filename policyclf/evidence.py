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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ._scan import IntLookup, dense_rank, distinct
from .features import (
    _FIRST_OOV_ID,
    Analysis,
    Featurizer,
    SparseRows,
    TransformedBatch,
    _ranges,
)

__all__ = ["EVIDENCE_TERMS", "Explainer", "FlatEvidence"]

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
        shown = self.featurizer.shown_cues
        for i, c in zip(idx.tolist(), contrib.tolist(), strict=True):
            if c <= 0:
                continue
            if i >= n_text:
                if i - n_text < shown:  # frame groups count in the score, not as evidence
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

    # The same evidence as one() (which stays the readable definition), for a whole batch
    # and all its predicted labels at once, as array operations over the batch's "hosts":
    # the distinct words of each text that can receive weight (its tokens, and the cue terms
    # found in it that are not tokens). Two tricks keep the results identical:
    # * np.bincount adds the weights of each (host, label) one after another, in array order,
    #   and the arrays list them in one()'s order (the word's own weight, then cue shares by
    #   category and match, then bigram shares by feature), so every total is the same sum
    #   done in the same order;
    # * words are ranked in code-point order, so sorting by (text, label, -weight, word rank)
    #   breaks ties by the word, as one() does.
    def batch(self, batch: TransformedBatch, on: np.ndarray, contrib: np.ndarray) -> list[Evidence]:
        """``{label: one(...)}`` for each text of a batch and each of its labels ``on``.

        ``contrib`` is each entry's contribution to each label (from ``Model._scores``).
        """
        return self.flat(batch, on, contrib).expand(on, self.labels)

    def flat(self, batch: TransformedBatch, on: np.ndarray, contrib: np.ndarray) -> FlatEvidence:
        """What :meth:`batch` returns, as flat arrays (compact to send between processes)."""
        k = len(self.labels)
        n = len(on)
        out = FlatEvidence(np.zeros(0, dtype=np.int64), [], [])
        if not on.any():
            return out
        feat = self.featurizer
        tables = self._tables
        scan = batch.scan
        words = scan.table
        assert words is not None
        rows = batch.rows
        n_text, n_vocab = feat.n_text_features, len(feat.vocabulary)
        entry_row = np.repeat(np.arange(n), np.diff(rows.indptr))
        # only weights toward predicted labels count (np.take: faster than on[entry_row])
        pushes = (contrib > 0) & np.take(on, entry_row, axis=0)
        on_bits = (on.astype(np.int64) << np.arange(k)).sum(axis=1)
        need = np.flatnonzero(on.any(axis=1))
        # -- hosts: (text, word id); word ids are vocabulary indices, or n_vocab + k for the
        # k-th form outside the vocabulary (words.forms)
        n_tok = batch.n_tokens[need]
        tok_entry = _ranges(rows.indptr[need], n_tok)  # the in-vocabulary tokens' entries
        is_needed = np.zeros(n + 1, dtype=bool)
        is_needed[need] = True
        oov = np.flatnonzero(scan.token_id <= _FIRST_OOV_ID)
        oov = oov[is_needed[scan.token_text[oov]]]
        oov_pairs = distinct(scan.token_text[oov] * _WIDE + (_FIRST_OOV_ID - scan.token_id[oov]))
        cue_word = np.array(
            [_as_word(words.word_id(t), n_vocab) for t in feat._cue_terms], dtype=np.int64
        )
        host_text = np.concatenate([entry_row[tok_entry], oov_pairs // _WIDE])
        host_word = np.concatenate([rows.indices[tok_entry], n_vocab + oov_pairs % _WIDE])
        n_token_hosts = len(host_text)
        # cue matches in needed texts; those whose term is not a token become hosts too
        m = np.flatnonzero(is_needed[scan.cue_text])
        m_text, m_term = scan.cue_text[m], scan.cue_term[m]
        width = n_vocab + len(words.forms) + 1
        token_key = host_text * width + host_word
        order = np.argsort(token_key)
        sorted_key = token_key[order]
        m_key = m_text * width + cue_word[m_term]
        pos = np.minimum(np.searchsorted(sorted_key, m_key), max(len(sorted_key) - 1, 0))
        is_tok = (sorted_key[pos] == m_key) if len(sorted_key) else np.zeros(len(m), dtype=bool)
        m_host = np.where(is_tok, order[pos] if len(order) else 0, -1)
        only_keys, only_of = np.unique(m_key[~is_tok], return_inverse=True)
        m_host[~is_tok] = n_token_hosts + only_of.reshape(-1)
        host_text = np.concatenate([host_text, only_keys // width])
        host_word = np.concatenate([host_word, only_keys % width])
        n_hosts = len(host_text)
        # -- 1. each in-vocabulary token's own weight (words that cannot be shown left out)
        e, j = np.nonzero(
            np.take(pushes, tok_entry, axis=0)
            & (tables.kind[rows.indices[tok_entry]] == _WORD)[:, None]
        )
        own = (e * k + j, contrib[tok_entry[e], j])
        # -- 2. a cue column's weight, shared by the cue terms of its category in the text
        pair, pair_cat = self._pair_categories(m_term, m_text)
        n_cues = len(feat.cues)
        column = m_text[pair] * n_cues + pair_cat
        n_terms = np.bincount(column, minlength=n * n_cues)[column]
        col_value = np.zeros((n * n_cues, k))
        # only the shown cue groups (the categories'): frame groups are not evidence
        is_cue = np.flatnonzero(
            (rows.indices >= n_text) & (rows.indices < n_text + feat.shown_cues)
        )
        col_value[entry_row[is_cue] * n_cues + rows.indices[is_cue] - n_text] = np.where(
            pushes[is_cue], contrib[is_cue], 0.0
        )
        t, j = np.nonzero(np.take(col_value, column, axis=0) > 0)
        cue_part = (m_host[pair[t]] * k + j, col_value[column[t], j] / n_terms[t])
        credited = np.zeros((n_hosts, k), dtype=bool)
        credited[m_host[pair[t]], j] = True
        # -- 3. a bigram's weight, shared by the hosts of the text that contain it: its tokens,
        # and its cue terms whose cue column counted in step 2 for that label
        inside_ptr, inside_fid, host_row = self._inside(host_word, words.forms, n_vocab)
        lo, cnt = inside_ptr[host_row], inside_ptr[host_row + 1] - inside_ptr[host_row]
        pair_host = np.repeat(np.arange(n_hosts), cnt)
        pair_fid = inside_fid[_ranges(lo, cnt)]
        # only bigrams that can push toward a label of their text matter (contributions are
        # the feature value, always > 0, times the coefficient): drop the others before the join
        can_push = (self._positive_bits[pair_fid] & on_bits[host_text[pair_host]]) != 0
        pair_host, pair_fid = pair_host[can_push], pair_fid[can_push]
        pushing = (self._positive_bits[rows.indices] & on_bits[entry_row]) != 0  # or more
        big_entry = _entry_of(rows, entry_row, tables.kind, host_text[pair_host], pair_fid, pushing)
        found = big_entry >= 0
        pair_host, big_entry = pair_host[found], big_entry[found]
        counted = np.empty((n_hosts, k), dtype=bool)
        counted[:n_token_hosts] = True
        counted[n_token_hosts:] = credited[n_token_hosts:]
        p, j = np.nonzero(np.take(pushes, big_entry, axis=0) & np.take(counted, pair_host, axis=0))
        p_entry = big_entry[p]
        # one() adds a host's bigram shares in entry order; a share is the weight over the
        # number of hosts counted for that (entry, label): the length of its run once sorted
        by_entry = np.argsort(p_entry * k + j)
        p, j, p_entry = p[by_entry], j[by_entry], p_entry[by_entry]
        ej = p_entry * k + j
        run = np.flatnonzero(np.r_[True, ej[1:] != ej[:-1]]) if len(ej) else ej
        run_len = np.diff(np.r_[run, len(ej)])
        n_share = np.repeat(run_len, run_len)
        big_part = (pair_host[p] * k + j, contrib[p_entry, j] / n_share)
        # -- 4. the total of each (host, label), adding in the order above
        slot = np.concatenate([own[0], cue_part[0], big_part[0]])
        total = np.bincount(
            slot, weights=np.concatenate([own[1], cue_part[1], big_part[1]]), minlength=n_hosts * k
        )
        # -- 5. per (text, label): shown words only, heaviest first (ties by the word), top 8
        slot = np.flatnonzero(total > 0)
        host, j = slot // k, slot % k
        word = host_word[host]
        forms = words.forms
        extra = distinct(word[word >= n_vocab]) - n_vocab
        extras = [forms[i] for i in extra.tolist()]
        showable = tables.can_show_ids(word, extra, extras, feat._cue_cats, n_vocab)
        slot, host, j, word = slot[showable], host[showable], j[showable], word[showable]
        weight = total[slot]
        rank = tables.word_ranks(word, extra, extras, n_vocab)
        group = host_text[host] * k + j
        n_levels, weight_rank = dense_rank(weight)
        heavier = n_levels - 1 - weight_rank  # 0 for the heaviest
        n_rank = int(rank.max()) + 1 if len(rank) else 1
        if (n * k) * n_levels * n_rank < 2**62:
            order = np.argsort((group * n_levels + heavier) * n_rank + rank)
        else:  # pragma: no cover - a batch too large for one packed key
            order = np.lexsort((rank, heavier, group))
        group, word, weight = group[order], word[order], weight[order]
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else group
        place = np.arange(len(group)) - np.repeat(starts, np.diff(np.r_[starts, len(group)]))
        top = place < EVIDENCE_TERMS
        group, word, weight = group[top], word[top], weight[top]
        if not len(group):
            return out
        if len(extra):
            names = np.concatenate([tables.name_objects, np.array(forms, dtype=object)])
        else:
            names = tables.name_objects
        terms = names[word].tolist()
        weights = _round(weight, 6)
        return FlatEvidence(group, terms, weights)

    def _pair_categories(
        self, m_term: np.ndarray, m_text: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every (cue match, category) pair, sorted by text, then category, then match."""
        ptr, cats = self.featurizer._cue_cat_ptr, self.featurizer._cue_cat_ids
        n_cats = ptr[m_term + 1] - ptr[m_term]
        pair = np.repeat(np.arange(len(m_term)), n_cats)
        pair_cat = cats[_ranges(ptr[m_term], n_cats)]
        order = np.lexsort((pair_cat, m_text[pair]))  # stable: keeps match order
        return pair[order], pair_cat[order]

    def _inside(
        self, host_word: np.ndarray, forms: list[str], n_vocab: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The bigram features inside each host's word, as CSR ``(ptr, fid)`` with each host's
        row: vocabulary words from the per-model table, the other words computed here."""
        ptr, fid = self._tables.inside
        other = host_word >= n_vocab
        if not other.any():
            return ptr, fid, host_word
        used, local = np.unique(host_word[other] - n_vocab, return_inverse=True)
        extra_ptr, extra_fid = self.featurizer._bigrams_in([forms[i] for i in used.tolist()])
        row = host_word.copy()
        row[other] = n_vocab + local.reshape(-1)
        return (
            np.concatenate([ptr[: n_vocab + 1], ptr[n_vocab] + extra_ptr[1:]]),
            np.concatenate([fid, extra_fid]),
            row,
        )

    @cached_property
    def _positive_bits(self) -> np.ndarray:
        """Per feature: bit j set when its coefficient for label j is positive."""
        k = self.coef.shape[1]
        return ((self.coef > 0).astype(np.int64) << np.arange(k)).sum(axis=1)

    @cached_property
    def _tables(self) -> _EvidenceTables:
        return _EvidenceTables.build(self.featurizer)


@dataclass(frozen=True)
class FlatEvidence:
    """Evidence lists of a batch, flat: term ``i`` belongs to ``group[i]`` = text * n_labels +
    label, heaviest first within each group; groups ascending."""

    group: np.ndarray
    terms: list[str]
    weights: list[float]

    def expand(self, on: np.ndarray, labels: Sequence[str]) -> list[Evidence]:
        """``{label: [(term, weight), ...]}`` per text, with a list for every label ``on``."""
        k = len(labels)
        out: list[Evidence] = [{} for _ in range(len(on))]
        found: dict[int, list[tuple[str, float]]] = {}
        group, terms, weights = self.group, self.terms, self.weights
        if len(group):
            starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
            bounds = np.r_[starts, len(group)].tolist()
            pairs = list(zip(terms, weights, strict=True))
            for g, a, b in zip(group[starts].tolist(), bounds, bounds[1:], strict=False):
                found[g] = pairs[a:b]
        rows, cols = np.nonzero(on)
        keys = (rows * k + cols).tolist()
        for r, j, key in zip(rows.tolist(), cols.tolist(), keys, strict=True):
            out[r][labels[j]] = found.get(key, [])
        return out


#: Wider than any token form index, for packing (text, form) pairs.
_WIDE = 1 << 31


def _as_word(code: int, n_vocab: int) -> int:
    """A token code (features._TokenIds) as a word id: the vocabulary index, or n_vocab + k."""
    return code if code >= 0 else n_vocab + (_FIRST_OOV_ID - code)


def _entry_of(
    rows: SparseRows,
    entry_row: np.ndarray,
    kind: np.ndarray,
    text: np.ndarray,
    fid: np.ndarray,
    among: np.ndarray,
) -> np.ndarray:
    """The entry of bigram feature ``fid`` in text ``text``'s row, or -1 (a sort-merge join);
    only the entries where ``among`` is True are looked at."""
    is_big = np.flatnonzero((kind[rows.indices] == _BIGRAM) & among)
    width = rows.n_features
    have = _packed_sort(entry_row[is_big] * width + rows.indices[is_big])
    want = _packed_sort(text * width + fid)
    if have is None or want is None:  # pragma: no cover - keys too wide to pack
        table = IntLookup(entry_row[is_big] * width + rows.indices[is_big], is_big)
        return table.get(text * width + fid)
    keys, entry = have
    found_keys, query = want
    out = np.full(len(text), -1, dtype=np.int64)
    if not len(keys):
        return out
    pos = np.minimum(np.searchsorted(keys, found_keys), len(keys) - 1)
    hit = keys[pos] == found_keys
    out[query[hit]] = is_big[entry[pos[hit]]]
    return out


def _packed_sort(key: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``key`` sorted, with where each sorted key came from; None if it cannot be packed."""
    shift = max(1, len(key).bit_length())
    top = int(key.max()) if len(key) else 0
    if top.bit_length() + shift > 62:
        return None
    packed = np.sort((key << shift) | np.arange(len(key), dtype=np.int64))
    return packed >> shift, packed & ((1 << shift) - 1)


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


@dataclass(frozen=True)
class _EvidenceTables:
    """Per-model lookups for Model._evidence_batch (built once per model)."""

    names: list[str]  # all feature names
    kind: np.ndarray  # per feature: _WORD (may be shown), _OTHER (may not), _BIGRAM or _CUE
    can_show: np.ndarray  # per vocabulary term: two or more characters, or a cue term
    sorted_names: list[str]  # the vocabulary terms in code-point order
    name_rank: np.ndarray  # per vocabulary term: its place in sorted_names
    inside: tuple[np.ndarray, np.ndarray]  # the bigram terms inside each vocabulary term
    name_objects: np.ndarray  # the vocabulary terms as an object array (fast gathering)
    sorted_array: np.ndarray  # sorted_names as a unicode array (code-point order)

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
        sorted_names = [names[i] for i in order]
        return cls(
            names,
            kind,
            can_show.reshape(-1),
            sorted_names,
            rank,
            inside,
            np.array([*names[:n_text], ""], dtype=object)[:-1],
            np.array(sorted_names, dtype=str),
        )

    def can_show_ids(
        self,
        word: np.ndarray,
        extra: np.ndarray,
        extras: list[str],
        cue_terms: Mapping[str, object],
        n_vocab: int,
    ) -> np.ndarray:
        """Which word ids may be shown as evidence (two or more characters, or a cue term).

        ``extra`` lists the form indices (word id - n_vocab) of the other words among
        ``word``, sorted; ``extras`` their strings.
        """
        ok = np.ones(len(word), dtype=bool)
        vocab = word < n_vocab
        ok[vocab] = self.can_show[word[vocab]]
        if len(extra):
            extra_ok = np.array([len(t) >= 2 or t in cue_terms for t in extras], dtype=bool)
            ok[~vocab] = extra_ok[np.searchsorted(extra, word[~vocab] - n_vocab)]
        return ok

    def word_ranks(
        self, word: np.ndarray, extra: np.ndarray, extras: list[str], n_vocab: int
    ) -> np.ndarray:
        """A rank per word id that orders words by code point (vocabulary and other words)."""
        if not len(extra):
            return self.name_rank[word]
        # a word with p vocabulary terms and i other words below it has rank p + i; a
        # vocabulary term moves up by the number of other words below it
        srt = sorted(range(len(extras)), key=extras.__getitem__)
        below = np.searchsorted(self.sorted_array, np.array([extras[i] for i in srt], dtype=str))
        place = np.empty(len(srt), dtype=np.int64)
        place[srt] = np.arange(len(srt))  # extras[i] is the place[i]-th other word
        extra_rank = below[place] + place
        vocab = word < n_vocab
        out = np.empty(len(word), dtype=np.int64)
        r = self.name_rank[word[vocab]]
        out[vocab] = r + np.searchsorted(below, r, side="right")
        out[~vocab] = extra_rank[np.searchsorted(extra, word[~vocab] - n_vocab)]
        return out
