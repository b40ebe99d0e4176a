"""Property-based robustness tests of tagging: any ``str`` in, a well-formed Tag out.

Hostile text (control characters, lone surrogates, NUL, emoji, zero-width and BOM characters,
RTL marks, combining marks, mixed scripts, HTML fragments, megabytes) must never make
``tag``/``tag_many``/``iter_tags`` raise, and the results must not depend on how texts are
batched: order, batch size and worker processes change speed, never results.
"""

from __future__ import annotations

import json
import math
import random
import sys
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policyclf
from policyclf.model import Model, Tag
from policyclf.resources import data_path
from policyclf.text import normalize

SENTENCES: list[str] = [
    json.loads(line)["text"]
    for line in data_path("corpus", "sentences.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]

# Pieces of scraped web text that are hard on a tagger.
JUNK = [
    "\x00", "\x01", "\x1b[31m", "\x7f", "\x85", "\x9f", "\r\n", "\t", "\n\n", "\u3000", "\xa0",
    "\ud800", "\udfff", "\udc80",  # lone surrogates
    "😀", "👨‍👩‍👧", "🇨🇳", "\U0001f9ec",  # emoji, ZWJ sequence, flag
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",  # zero-width, BOM
    "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u061c",  # bidi marks
    "\u0301", "\u0338", "e\u0301", "\u20dd",  # combining marks
    "Привет", "مرحبا", "한국어", "ひらがな", "ｶﾀｶﾅ", "Ελληνικά", "abc", "ABC123",
    "<p>", "</p>", "<br/>", "<div class='x'>", "<script>alert(1)</script>", "<!--", "-->",
    "<style>p{}</style>", "&nbsp;", "&amp;", "&lt;p&gt;", "&#x4eba;&#25165;", "&#0;", "&",
    "２０２３", "（１）", "ＡＢＣ", "對引進", "補貼", "〇", "𠀀", "豈", "㈠", "⼈",  # width, script
    "#", "#人才", "##", "%", "1.5%", "2021-2025", "...", "——", "。", "，", "、", "《》",
    "人", "才", "补", "贴",
]  # fmt: skip
ANY_CHAR = st.characters(exclude_categories=())  # every code point, surrogates included
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())
PIECE = st.one_of(
    st.sampled_from(SENTENCES),
    st.sampled_from(SENTENCES).map(lambda s: s[: len(s) // 2]),
    st.sampled_from(JUNK),
    ANY_CHAR,
    SURROGATE,
)
# Mostly policy text with junk mixed in, so labels and evidence are exercised too.
MESSY_TEXT = st.lists(PIECE, max_size=12).map("".join)
RANDOM_TEXT = st.text(alphabet=st.one_of(ANY_CHAR, SURROGATE), max_size=60)

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def model() -> Model:
    return policyclf.load()


def cue_terms(model: Model) -> set[str]:
    return {normalize(t) for terms in model.featurizer.cues for t in terms}


def check_tag(model: Model, text: str, tag: Tag) -> None:
    """Every invariant a well-formed Tag for ``text`` satisfies."""
    ids = model.labels
    assert isinstance(tag, Tag)
    # scores: exactly the ids, taxonomy order, finite floats in [0, 1]
    assert list(tag.scores) == list(ids)
    for k, s in tag.scores.items():
        assert type(s) is float, (k, s)
        assert math.isfinite(s) and 0.0 <= s <= 1.0, (k, s)
    # labels: exactly the ids at or above their threshold, in taxonomy order
    expected = tuple(k for k, th in zip(ids, model.thresholds, strict=True) if tag.scores[k] >= th)
    assert isinstance(tag.labels, tuple)
    assert tag.labels == expected
    # evidence: one list per predicted label; positive weights, strongest first; real words
    assert list(tag.evidence) == list(tag.labels)
    cues = cue_terms(model)
    haystack = normalize(text).lower()
    for label, terms in tag.evidence.items():
        weights = [w for _, w in terms]
        assert all(type(w) is float and math.isfinite(w) and w > 0 for w in weights), terms
        assert weights == sorted(weights, reverse=True), (label, terms)
        for term, _ in terms:
            assert not term.startswith("#"), term
            assert len(term) >= 2 or term in cues, term
            assert term.lower() in haystack, (term, text[:80])


def check_neutral(model: Model, tag: Tag) -> None:
    """The documented neutral result: no labels, every score 0.0, no evidence."""
    assert tag == Tag((), dict.fromkeys(model.labels, 0.0), {})


# ------------------------------------------------------------------------- any str -> a Tag


@PROPERTY
@given(text=MESSY_TEXT)
def test_messy_text_gives_a_well_formed_tag(model: Model, text: str) -> None:
    check_tag(model, text, model.tag(text))


@PROPERTY
@given(text=RANDOM_TEXT)
def test_any_unicode_gives_a_well_formed_tag(model: Model, text: str) -> None:
    check_tag(model, text, model.tag(text))


@pytest.mark.parametrize("junk", JUNK)
def test_each_junk_piece_alone_and_inside_a_sentence(model: Model, junk: str) -> None:
    sentence = "对新引进的博士给予每人10万元安家补贴。"
    for text in (junk, junk * 50, junk + sentence, sentence[:6] + junk + sentence[6:]):
        check_tag(model, text, model.tag(text))


def test_every_code_point_in_one_text(model: Model) -> None:
    """All 1.1 million code points (surrogates and NUL included) in one string."""
    text = "".join(map(chr, range(sys.maxunicode + 1)))
    check_tag(model, text, model.tag(text))


@PROPERTY
@given(text=MESSY_TEXT)
def test_tag_depends_only_on_the_normalised_text(model: Model, text: str) -> None:
    assert model.tag(text) == model.tag(normalize(text))


# ------------------------------------------------------------------- batches == one by one

BATCH_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@BATCH_SETTINGS
@given(texts=st.lists(MESSY_TEXT, max_size=10), seed=st.integers(0, 2**32 - 1))
def test_batches_give_the_same_tags_as_one_by_one(
    model: Model, texts: list[str], seed: int
) -> None:
    one_by_one = [model.tag(t) for t in texts]
    assert model.tag_many(texts) == one_by_one
    for batch_size in (1, 3, 2048):
        assert model.tag_many(texts, batch_size=batch_size) == one_by_one
        assert list(model.iter_tags(texts, batch_size=batch_size)) == one_by_one
    assert list(model.iter_tags(iter(texts))) == one_by_one  # a one-shot iterator is fine
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    shuffled = model.tag_many([texts[i] for i in order], batch_size=3)
    for tag, i in zip(shuffled, order, strict=True):
        assert tag == one_by_one[i]


@BATCH_SETTINGS
@given(texts=st.lists(st.sampled_from([*SENTENCES, "", " ", "abc", "\ud800"]), max_size=30))
def test_duplicates_and_empties_in_a_batch(model: Model, texts: list[str]) -> None:
    tags = model.tag_many(texts, batch_size=4)
    assert len(tags) == len(texts)
    assert tags == [model.tag(t) for t in texts]


def recombined(n: int, seed: int = 0) -> list[str]:
    """``n`` texts of one to three corpus sentences (and a few empty or junk ones)."""
    rng = random.Random(seed)
    out: list[str] = []
    for i in range(n):
        if i % 97 == 0:
            out.append(rng.choice(["", " ", "abc", "\ud800😀"]))
        else:
            out.append("".join(rng.sample(SENTENCES, rng.randint(1, 3))))
    return out


def test_worker_processes_give_the_same_tags(model: Model) -> None:
    texts = recombined(2000)
    serial = model.tag_many(texts, batch_size=300)
    assert len(serial) == len(texts)
    parallel = model.tag_many(texts, batch_size=300, n_jobs=2)
    assert parallel == serial
    assert list(model.iter_tags(texts, batch_size=300, n_jobs=2)) == serial
    assert any(t.labels for t in serial) and any(not t.labels for t in serial)


# ---------------------------------------------------------------- text without Chinese

NO_CHINESE_CATEGORIES = ("P", "Zs", "Zl", "Zp", "Nd", "Cc", "Cf", "Sc", "Sm", "Sk")
NO_CHINESE = st.lists(
    st.one_of(
        st.characters(categories=NO_CHINESE_CATEGORIES),  # type: ignore[arg-type]
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.sampled_from(["😀", "\ud800", "\ufeff", "\u200b", "Привет", "ｶﾀｶﾅ", "<p>", "&nbsp;"]),
    ),
    max_size=60,
).map("".join)


@PROPERTY
@given(text=NO_CHINESE)
def test_text_without_chinese_is_neutral(model: Model, text: str) -> None:
    check_neutral(model, model.tag(text))


def test_all_punctuation_spaces_digits_and_controls_at_once_are_neutral(model: Model) -> None:
    """Every code point of those categories, plus ASCII, in one text: the neutral result."""
    chars = [
        chr(cp)
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp))
        in {"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"} | {"Zs", "Zl", "Zp", "Nd", "Cc"}
        or cp < 0x80
    ]
    text = "".join(chars)
    check_neutral(model, model.tag(text))


# ------------------------------------------------------------ equivalent spellings tag alike

FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


@settings(max_examples=60, deadline=None)
@given(
    sentence=st.sampled_from(SENTENCES),
    wrap=st.sampled_from(
        ["<p>{}</p>", "<div><span>{}</span></div>", "{}&nbsp;", "<p>{}<br/></p>", "\ufeff{}\u200b"]
    ),
)
def test_markup_and_full_width_do_not_change_the_tag(
    model: Model, sentence: str, wrap: str
) -> None:
    plain = model.tag(sentence)
    assert model.tag(wrap.format(sentence)) == plain
    assert model.tag(sentence.translate(FULL_WIDTH)) == plain
