"""The whole-batch scan gives what the per-text definitions give (tokens, cue terms, counts)."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyclf._scan import CueMatcher, IntLookup, code_points, distinct, first_counts
from policyclf.features import Featurizer, _trie_pattern
from policyclf.text import normalize
from policyclf.tokenize import segment, token_form, tokenize

# invented policy-like fragments, Latin, digits, symbols and rare ideographs
ALPHABET = list("科技创新人才平台金融转化企业研发补贴给予万元资金基金孵化器㐀䶵鿕豈")
ALPHABET += [*"abcAB12 -_.%#&+,;:!?()“”《》、。", "\t"]
texts = st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=40), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(texts)
def test_segmenting_joined_texts_equals_segmenting_each(raw: list[str]) -> None:
    norms = [n for n in map(normalize, raw) if n]
    if not norms:
        return
    tokens = segment("\n".join(norms))
    per_text: list[list[str]] = [[]]
    for tok in tokens:
        if tok == "\n":
            per_text.append([])
        elif form := token_form(tok):
            per_text[-1].append(form)
    assert per_text == [tokenize(n) for n in norms]


CUE_TERMS = ["科技", "科技创新", "人才", "人才平台", "平台", "资金", "基金", "孵化器", "万元", "补"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=80))
def test_cue_matcher_finds_what_the_regex_finds(text: str) -> None:
    matcher = CueMatcher(CUE_TERMS)
    start, term = matcher.find(text, code_points(text))
    want = [(m.start(), m.group()) for m in re.finditer(_trie_pattern(CUE_TERMS), text)]
    assert [(s, CUE_TERMS[t]) for s, t in zip(start.tolist(), term.tolist(), strict=True)] == want


def test_cue_matcher_prefers_the_longest_term_and_never_overlaps() -> None:
    terms = ["科技", "科技创新", "创新人才", "人才"]
    text = "科技创新人才科技人才"
    start, term = CueMatcher(terms).find(text, code_points(text))
    assert [terms[t] for t in term.tolist()] == ["科技创新", "人才", "科技", "人才"]
    assert start.tolist() == [0, 4, 6, 8]


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.integers(0, 2**45), st.integers(-5, 10**6), max_size=300),
    st.lists(st.integers(0, 2**45), max_size=300),
)
def test_int_lookup_is_a_dict(table: dict[int, int], probes: list[int]) -> None:
    lookup = IntLookup(np.array(list(table), dtype=np.int64), np.array(list(table.values())))
    keys = list(table) + probes
    got = lookup.get(np.array(keys, dtype=np.int64), default=-9).tolist()
    assert got == [table.get(q, -9) for q in keys]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), max_size=15), min_size=1, max_size=10))
def test_first_counts_is_a_counter_per_text(rows: list[list[int]]) -> None:
    text = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    term = np.array([t for r in rows for t in r], dtype=np.int64)
    out = first_counts(text, term, len(rows), 31)
    assert out is not None
    got_text, got_term, got_count, _ = out
    want = [(i, t, c) for i, r in enumerate(rows) for t, c in Counter(r).items()]
    assert list(zip(got_text.tolist(), got_term.tolist(), got_count.tolist(), strict=True)) == want


@pytest.mark.parametrize("batch", [1, 3, 40])
def test_batch_transform_equals_counting_each_text(batch: int) -> None:
    rng = np.random.default_rng(batch)
    corpus = ["".join(rng.choice(ALPHABET[:30], size=rng.integers(3, 60))) for _ in range(80)]
    feat = Featurizer([CUE_TERMS[:5], CUE_TERMS[5:]]).fit(corpus[:40])
    norms = [n for n in map(normalize, corpus) if n][:batch]
    got = feat._transform(norms)
    small = feat._count_each(norms, [tokenize(n) for n in norms])
    big = feat._count_scanned(norms, feat._scan(norms))
    for x, y in zip(small, big, strict=True):
        assert x.tolist() == y.tolist()
    assert got.words == [tokenize(n) for n in norms]
    assert got.cues == [feat.cue_matches(n) for n in norms]


@given(st.lists(st.integers(min_value=-(2**62), max_value=2**62), max_size=200))
def test_distinct_is_np_unique(values: list[int]) -> None:
    array = np.array(values, dtype=np.int64)
    assert np.array_equal(distinct(array), np.unique(array))
    assert distinct(array).dtype == np.int64
