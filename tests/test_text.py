"""Tests for policyclf.text: normalize and is_chinese_text."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyclf.text import is_chinese_text, normalize

# Pieces that exercise every step (markup, entities, width, script, invisibles), mixed with
# arbitrary characters including lone surrogates.
FRAGMENTS = [
    "<p>", "</p>", "<br/>", "<b>", "</b>", "<span class='x'>", "<script>", "</script>",
    "<style>", "</style>", "<!--", "-->", "<!DOCTYPE html>", "<", ">", "<a", "&", "&amp;",
    "&lt;", "&gt;", "&nbsp;", "&#12290;", "&#x3000;", "&#8203;", "&copy", "&amp;lt;",
    "＜", "＞", "＆", "ａｍｐ", "；", "２０２３", "（１）", "國", "發展", "乾", "\u200b",
    "\ufeff", "\u2060", "\x00", "\x1f", "\x85", "\n", "\t", "\r\n", "\u3000", "\xa0",
    "\u0301", "e", "😀", "科技", "收入<5万元", " ", "\ud800", "\udfff",
]  # fmt: skip
ANY_CHAR = st.characters(exclude_categories=())
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())
MESSY_TEXT = st.lists(st.one_of(st.sampled_from(FRAGMENTS), ANY_CHAR, SURROGATE), max_size=40).map(
    "".join
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # HTML: tags, script/style with content, comments, entities
        ("<p>科技<b>成果</b>转化</p><p>第二段</p>", "科技成果转化 第二段"),
        ("第一行<br/>第二行<BR>第三行", "第一行 第二行 第三行"),
        (
            "<script>var s = '<p>不要</p>';</script>正文<style>p {color: red}</style>结束",
            "正文 结束",
        ),
        ("前<!-- 注释 <b>x</b> -->后", "前 后"),
        (
            "<!DOCTYPE html><html><head><title>标题</title></head><body>内容</body></html>",
            "标题 内容",
        ),
        ("资金&amp;人才&nbsp;项目&#12290;", "资金&人才 项目。"),
        ("&lt;p&gt;转义的标签&lt;/p&gt;", "转义的标签"),
        ("&amp;nbsp;双重转义", "双重转义"),
        # text that only looks a little like markup survives
        ("收入<5万元的家庭", "收入<5万元的家庭"),
        ("若 a < b 且 b > c", "若 a < b 且 b > c"),
        ("A&B公司", "A&B公司"),
        # NFKC: full width -> half width, Chinese punctuation kept
        ("２０２３年（１）ＡＢＣ，；：！？", "2023年(1)ABC,;:!?"),
        ("“十四五”规划《通知》、。", "“十四五”规划《通知》、。"),
        # traditional -> simplified, character by character
        ("國家發展和改革委員會關於", "国家发展和改革委员会关于"),
        ("覆蓋", "覆盖"),  # 覆 is itself simplified: kept
        # invisibles, controls, whitespace
        ("科\u200b技\ufeff创\u2060新\u200d", "科技创新"),
        ("第一\x00第二\x07第三", "第一 第二 第三"),
        ("  科技\u3000\u3000创新\xa0\xa0发展\n\n\t项目  ", "科技 创新 发展 项目"),
        ("科技\ud800创新", "科技 创新"),
        ("", ""),
        ("   \n\t ", ""),
    ],
)
def test_normalize_examples(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_keeps_emoji_and_latin() -> None:
    assert normalize("AI助力😀创新") == "AI助力😀创新"


def test_phrase_level_conversion_is_not_attempted() -> None:
    # Documented limitation: one character, one mapping, whatever the word.
    assert normalize("乾隆") == "干隆"


@settings(max_examples=300, deadline=None)
@given(MESSY_TEXT)
def test_normalize_is_total_idempotent_and_clean(raw: str) -> None:
    out = normalize(raw)
    assert isinstance(out, str)
    assert normalize(out) == out
    assert out == out.strip()
    assert "  " not in out
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in out)
    assert not any(ch in out for ch in "\u200b\u200c\u200d\u2060\ufeff\x00\n\t\u3000\xa0")


@settings(max_examples=200, deadline=None)
@given(st.text(ANY_CHAR))
def test_normalize_never_raises_on_arbitrary_text(raw: str) -> None:
    assert normalize(normalize(raw)) == normalize(raw)


@pytest.mark.parametrize(
    "unit",
    ["科技成果转化<b>项目</b>&amp;", "<script>", "<a", "<!--", "&amp;", "<<b>", "\ud800", "國"],
)
def test_normalize_runs_in_linear_time(unit: str) -> None:
    small = unit * (100_000 // len(unit))
    big = unit * (1_000_000 // len(unit))

    def best_of_two(text: str) -> float:
        timings = []
        for _ in range(2):
            start = time.perf_counter()
            normalize(text)
            timings.append(time.perf_counter() - start)
        return min(timings)

    t_small, t_big = best_of_two(small), best_of_two(big)
    # 10x the input: linear gives ~10x; quadratic would give ~100x.
    assert t_big < 40 * t_small + 0.05


def test_t2s_table_is_one_to_one_and_idempotent() -> None:
    path = Path(__file__).resolve().parent.parent / "policyclf" / "data" / "t2s.txt"
    pairs = [
        line.split("\t")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert len(pairs) > 3000
    assert all(len(p) == 2 and len(p[0]) == 1 and len(p[1]) == 1 for p in pairs)
    keys = {p[0] for p in pairs}
    assert not keys & {p[1] for p in pairs}  # applying twice == applying once
    assert len(keys) == len(pairs)


def test_t2s_table_matches_generator() -> None:
    pytest.importorskip("opencc")
    import importlib.util

    script = Path(__file__).resolve().parent.parent / "scripts" / "make_t2s_table.py"
    spec = importlib.util.spec_from_file_location("make_t2s_table", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("科技创新", True),
        ("國家", True),
        ("AI 2023 😀", False),
        ("<p>only markup</p>", False),
        ("<script>var 科技 = 1;</script>", False),  # Chinese only inside a script
        ("", False),
        ("\ud800\x00", False),
    ],
)
def test_is_chinese_text(raw: str, expected: bool) -> None:
    assert is_chinese_text(raw) is expected


def test_is_chinese_text_on_normalized_input() -> None:
    assert is_chinese_text("科技", normalized=True)
    assert not is_chinese_text("policy", normalized=True)


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("國際發展學與會資金人才平台ab 1，。\U00020000蘇")),
        max_size=300,
    )
)
def test_short_and_long_texts_are_simplified_alike(text: str) -> None:
    """Short texts ask a set whether they hold traditional characters, long ones a regex;
    both must convert the same characters (padding with spaces, stripped later, switches)."""
    padded = text + " " * 300
    assert normalize(padded) == normalize(text)
    assert not set("國際發與會資蘇") & set(normalize(text))


_BATCH_ALPHABET = list(
    "國際發展学与会资金人才平台 \u3000\xa0，。；：（）＜＞＆ab１２ＡＢ\u2028\u0301e\U00020000"
    "<&\n\t\r\u200b\x85ﬁ㈱"
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(_BATCH_ALPHABET), max_size=40), max_size=8))
def test_normalize_many_is_normalize_of_each(texts: list[str]) -> None:
    from policyclf.text import normalize_many

    assert normalize_many(texts) == [normalize(t) for t in texts]


def test_normalize_many_takes_the_batch_path_for_plain_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Full-width punctuation, traditional characters, compatibility forms, spaces: the whole
    batch in one pass (normalize is never called); ＜ and ＆ that NFKC makes are defused as
    normalize does."""
    from policyclf import text as text_module

    texts = ["對高層次人才給予補貼，（一）", "  ＡＢ１２　ﬁ  ", ""]
    texts += ["收入＜5万元＆ｌｔ;ｂ＆ｇｔ;", "㈱"]
    expected = [normalize(t) for t in texts]
    assert "& lt;" in expected[3]  # the entity NFKC spelled out is defused

    def refuse(text: str) -> str:
        raise AssertionError("normalize called: not the batch path")

    monkeypatch.setattr(text_module, "normalize", refuse)
    assert text_module.normalize_many(texts) == expected
