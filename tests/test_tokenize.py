"""Tests for policyclf.tokenize: filtering, the policy dictionary, backend parity, robustness."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyclf import tokenize as tok
from policyclf.exceptions import PolicyclfError
from policyclf.resources import data_path
from policyclf.text import normalize
from policyclf.tokenize import BACKENDS, backend, policy_terms, set_backend, tokenize

HAVE_RJIEBA = tok._rjieba_available()
needs_rjieba = pytest.mark.skipif(not HAVE_RJIEBA, reason="rjieba is not installed")
CORPUS_FILE = data_path("corpus", "raw", "000_da80483b1a4d3646.txt")
TERMS = [word for word, _ in policy_terms()]

# Sentence frames around every dictionary term, with varied neighbours on both sides.
FRAMES = [
    "支持{}建设",
    "加快推进{}工作。",
    "对{}给予支持",
    "鼓励企业开展{}，",
    "完善{}相关政策",
    "各地要把{}作为重点",
    "以{}为抓手",
    "推动{}和产业发展",
    "落实{}等措施",
    "{}是重要内容",
    "围绕{}持续发力",
    "建立健全{}机制",
    "探索{}新模式",
]

# Natural sentences: (sentence, dictionary terms it must yield as tokens).
SENTENCES = [
    ("支持高校、科研院所和企业共建新型研发机构，对认定的全国重点实验室和省实验室给予经费支持。",
     ["新型研发机构", "全国重点实验室", "省实验室"]),
    ("布局建设一批技术创新中心、工程研究中心和制造业创新中心，推动企业技术中心提质升级。",
     ["技术创新中心", "工程研究中心", "制造业创新中心", "企业技术中心"]),
    ("鼓励企业设立院士工作站和博士后科研工作站，符合条件的给予一次性建站资助。",
     ["院士工作站", "博士后科研工作站"]),
    ("加快大科学装置和重大科技基础设施建设，推进大型科研仪器开放共享。",
     ["大科学装置", "重大科技基础设施", "大型科研仪器"]),
    ("对新认定的科技企业孵化器、众创空间和离岸孵化器分别给予奖励。",
     ["科技企业孵化器", "众创空间", "离岸孵化器"]),
    ("建设中试基地和概念验证中心，支持产业技术研究院开展中试熟化服务。",
     ["中试基地", "概念验证中心", "产业技术研究院", "中试熟化"]),
    ("为引进的高层次人才提供人才公寓，并给予安家补贴和购房补贴。",
     ["高层次人才", "人才公寓", "安家补贴", "购房补贴"]),
    ("选派科技特派员深入基层，培育一批技术经纪人和技术经理人。",
     ["科技特派员", "技术经纪人", "技术经理人"]),
    ("深化职称评审改革，破四唯，推行代表作制度和同行评议。",
     ["职称评审", "破四唯", "代表作制度", "同行评议"]),
    ("设立政府引导基金和天使投资基金，发挥母基金和子基金的放大作用。",
     ["政府引导基金", "天使投资", "母基金", "子基金"]),
    ("对科技型中小企业给予贷款贴息，支持开展知识产权质押融资。",
     ["科技型中小企业", "贷款贴息", "知识产权质押融资"]),
    ("落实研发费用加计扣除政策，对首台套、首批次、首版次产品给予保费补贴。",
     ["研发费用加计扣除", "首台套", "首批次", "首版次", "保费补贴"]),
    ("大力发展科技金融，推广科创贷和科技贷，开展投贷联动试点。",
     ["科技金融", "科创贷", "科技贷", "投贷联动"]),
    ("对专精特新企业、瞪羚企业和独角兽企业给予奖励，培育专精特新小巨人。",
     ["专精特新", "瞪羚企业", "独角兽企业", "小巨人"]),
    ("实行以奖代补和事后补助，实行前补助和后补助相结合的方式。",
     ["以奖代补", "事后补助", "前补助", "后补助"]),
    ("深化职务科技成果赋权改革，探索所有权赋权和长期使用权改革。",
     ["职务科技成果", "赋权改革", "所有权赋权", "长期使用权"]),
    ("实行单列管理，允许以作价投资、作价入股等方式转化科技成果。",
     ["单列管理", "作价投资", "作价入股"]),
    ("加强技术合同登记和技术交易市场建设，培育技术转移机构。",
     ["技术合同登记", "技术交易市场", "技术转移机构"]),
    ("推行先使用后付费和开放许可，完善尽职免责机制。",
     ["先使用后付费", "开放许可", "尽职免责"]),
    ("聚焦关键核心技术，实施揭榜攻关和揭榜挂帅，推行赛马制。",
     ["关键核心技术", "揭榜攻关", "揭榜挂帅", "赛马制"]),
    ("深化放管服改革，推行免申即享、一网通办和最多跑一次。",
     ["放管服", "免申即享", "一网通办", "最多跑一次"]),
    ("建立联席会议制度，加强第三方评估。", ["联席会议制度", "第三方评估"]),
    ("赋予科研人员更大科研自主权和技术路线决定权，实行经费包干制。",
     ["科研自主权", "技术路线决定权", "经费包干制"]),
    ("落实包容审慎监管，探索监管沙盒，完善容错免责和容错纠错机制。",
     ["包容审慎", "监管沙盒", "容错免责", "容错纠错"]),
    ("组建工作专班，提供管家式服务和专员式服务，实行项目、平台、人才、资金一体化配置。",
     ["工作专班", "管家式服务", "专员式服务", "一体化配置"]),
    ("设立科研助理和科研财务助理岗位，允许预算调剂和结余留用。",
     ["科研助理", "科研财务助理", "预算调剂", "结余留用"]),
]  # fmt: skip

# Random text of the kinds tokenize meets: CJK (common and rare), Latin, digits, punctuation,
# dictionary terms.
MIXED = st.lists(
    st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.sampled_from(list("科技成果转化人才资金平台管理改革创新的和与在对")),
        st.sampled_from(list("abcXYZ0123456789 .,%-+#&_/:")),
        st.sampled_from(list("，。、；：？！“”（）《》—…·")),
        st.sampled_from(["\u3400", "\u9fea", "\U00020000", "\uf900", "〇", "２", "😀", "é"]),
        st.sampled_from(TERMS),
    ),
    max_size=40,
).map("".join)
ANY_TEXT = st.lists(
    st.one_of(
        st.characters(exclude_categories=()),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    ),
    max_size=40,
).map("".join)


def corpus_lines() -> list[str]:
    lines = CORPUS_FILE.read_text(encoding="utf-8").splitlines()
    return [normalize(line) for line in lines if line.strip()]


@pytest.fixture(autouse=True)
def _restore_backend() -> Iterator[None]:
    yield
    set_backend(None)


def tokens_with(name: str, texts: list[str]) -> list[list[str]]:
    set_backend(name)
    assert backend() == name
    return [tokenize(text) for text in texts]


def available_backends() -> list[str]:
    return [name for name in BACKENDS if name != "rjieba" or HAVE_RJIEBA]


# --- what tokenize keeps ------------------------------------------------------------------


@pytest.mark.parametrize("name", available_backends())
def test_filters_numbers_punctuation_and_lowercases(name: str) -> None:
    set_backend(name)
    text = normalize("“十四五”期间，2023年增长3.38%，投入1,000万元，APP和AI、5G。")
    assert tokenize(text) == [
        "十四五", "期间", "年", "增长", "投入", "万元", "app", "和", "ai", "5g",
    ]  # fmt: skip


@pytest.mark.parametrize("name", available_backends())
def test_keeps_chinese_numerals_inside_words(name: str) -> None:
    set_backend(name)
    assert tokenize("第二十条 三年行动计划") == ["第二十条", "三年", "行动计划"]


@pytest.mark.parametrize("text", ["", " ", "，。！", "2023 3.38% 1,000", "\ud800", "😀"])
def test_empty_results(text: str) -> None:
    assert tokenize(text) == []


def test_full_width_traditional_and_html_through_normalize() -> None:
    raw = "<p>推進<b>科技成果轉化</b>&nbsp;（２０２３年）ＡＰＰ</p>"
    assert tokenize(normalize(raw)) == ["推进", "科技成果转化", "年", "app"]


# --- the policy dictionary ----------------------------------------------------------------------


def test_policy_terms_file_is_well_formed() -> None:
    terms = policy_terms()
    words = [word for word, _ in terms]
    assert 150 <= len(terms) <= 250
    assert len(set(words)) == len(words)
    assert len({freq for _, freq in terms}) == 1  # one frequency for all
    assert all(" " not in word and word.strip() == word for word in words)


def test_policy_terms_file_covers_all_measure_types() -> None:
    text = Path(tok.__file__).with_name("data").joinpath("policy_terms.txt").read_text("utf-8")
    for measure in ("platform", "talent", "finance", "transfer", "governance"):
        assert f"# {measure} " in text


@needs_rjieba
def test_every_term_needs_the_dictionary() -> None:
    import rjieba

    plain = rjieba.Jieba()  # jieba's default dictionary only
    for word in TERMS:
        split_alone = len(plain.cut(word)) > 1
        split_in_context = any(word not in plain.cut(frame.format(word)) for frame in FRAMES)
        assert split_alone or split_in_context, word


@pytest.mark.parametrize("name", available_backends())
def test_every_term_is_one_token_in_context(name: str) -> None:
    set_backend(name)
    broken = [
        (word, frame) for word in TERMS for frame in FRAMES
        if word.lower() not in tokenize(frame.format(word))
    ]  # fmt: skip
    assert broken == []


@pytest.mark.parametrize("name", available_backends())
@pytest.mark.parametrize(("sentence", "terms"), SENTENCES)
def test_terms_in_natural_sentences(name: str, sentence: str, terms: list[str]) -> None:
    set_backend(name)
    tokens = tokenize(normalize(sentence))
    assert [t for t in terms if t not in tokens] == []


def test_malformed_dictionary_line_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "policy_terms.txt").write_text(
        "# comment\n揭榜挂帅 1000\n赛马制\n", encoding="utf-8"
    )
    monkeypatch.setattr(tok, "files", lambda package: tmp_path)
    with pytest.raises(PolicyclfError, match=r"policy_terms.txt line 3: .*'赛马制'"):
        policy_terms()


# --- backend parity ---------------------------------------------------------------------------


@needs_rjieba
def test_backends_agree_on_corpus() -> None:
    lines = corpus_lines()
    assert len(lines) > 50
    assert tokens_with("rjieba", lines) == tokens_with("jieba", lines)


@needs_rjieba
def test_backends_agree_on_dictionary_sentences() -> None:
    texts = [frame.format(word) for word in TERMS for frame in FRAMES]
    texts += [normalize(sentence) for sentence, _ in SENTENCES]
    assert tokens_with("rjieba", texts) == tokens_with("jieba", texts)


@needs_rjieba
@pytest.mark.parametrize(
    "text",
    [
        "规划(2021-2025年)第1-3项",  # jieba-rs alone keeps "2021-2025" whole
        "a_b x.y 1.a COVID-19 3%5 v2.0",
        "㐀鿪𠀀丽科技",  # ideographs only jieba-rs treats as Han
    ],
)
def test_backends_agree_on_known_differences(text: str) -> None:
    assert tokens_with("rjieba", [text]) == tokens_with("jieba", [text])


@needs_rjieba
@settings(max_examples=150, deadline=None)
@given(MIXED)
def test_backends_agree_on_random_text(text: str) -> None:
    assert tokens_with("rjieba", [text]) == tokens_with("jieba", [text])


# --- robustness -----------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(ANY_TEXT)
def test_never_raises(text: str) -> None:
    for name in available_backends():
        set_backend(name)
        tokens = tokenize(text)
        assert all(isinstance(t, str) and t and t == t.strip() for t in tokens)
        assert not any(0xD800 <= ord(ch) <= 0xDFFF for t in tokens for ch in t)
        assert isinstance(tokenize(normalize(text)), list)


def test_linear_time() -> None:
    unit = normalize(CORPUS_FILE.read_text(encoding="utf-8"))
    small = (unit * (100_000 // len(unit) + 1))[:100_000]
    big = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
    tokenize(small)  # load the segmenter

    def best_of_two(text: str) -> float:
        timings = []
        for _ in range(2):
            start = time.perf_counter()
            tokenize(text)
            timings.append(time.perf_counter() - start)
        return min(timings)

    assert best_of_two(big) < 30 * best_of_two(small) + 0.1


def test_tokenize_pickles_by_reference() -> None:
    assert pickle.loads(pickle.dumps(tokenize)) is tokenize


# --- backend selection --------------------------------------------------------------------------


def test_environment_variable_selects_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tok.ENV_VAR, "jieba")
    set_backend(None)
    assert backend() == "jieba"


@needs_rjieba
def test_default_backend_is_rjieba(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(tok.ENV_VAR, raising=False)
    set_backend(None)
    assert backend() == "rjieba"


def run_fresh(code: str) -> str:
    """Run ``code`` in a fresh interpreter (the default backend choice); return its stdout."""
    env = {k: v for k, v in os.environ.items() if k != tok.ENV_VAR}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@needs_rjieba
def test_rjieba_loads_without_its_default_instance_and_stays_importable() -> None:
    """policyclf loads rjieba's compiled module alone (``import rjieba`` would also build a
    default dictionary it never uses); a later ``import rjieba`` in the same process works and
    shares the class, and the tokens equal those of a segmenter built through the package."""
    code = (
        "import sys\n"
        "from policyclf import tokenize as tok\n"
        "text = '对引进的高层次人才给予安家补贴'\n"
        "first = tok.tokenize(text)\n"
        "assert 'rjieba' not in sys.modules and 'rjieba.rjieba' in sys.modules\n"
        "import rjieba\n"
        "assert rjieba.Jieba is sys.modules['rjieba.rjieba'].Jieba\n"
        "assert '高层次人才' not in rjieba.cut(text)\n"  # rjieba's own default dictionary
        "tok._segmenters.clear(); tok.set_backend('rjieba')\n"
        "assert tok.tokenize(text) == first, (tok.tokenize(text), first)\n"
        "print(first)\n"
    )
    assert "高层次人才" in run_fresh(code)


@needs_rjieba
def test_a_failing_rjieba_shortcut_falls_back_to_the_package() -> None:
    code = (
        "import sys\n"
        "from policyclf import tokenize as tok\n"
        "def broken():\n"
        "    raise RuntimeError('another rjieba layout')\n"
        "tok._load_rjieba_extension = broken\n"
        "print(tok.tokenize('对引进的高层次人才给予安家补贴'), 'rjieba' in sys.modules)\n"
    )
    out = run_fresh(code)
    assert "高层次人才" in out and out.strip().endswith("True")


def test_bad_environment_value_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tok.ENV_VAR, "spacy")
    set_backend(None)
    with pytest.raises(PolicyclfError, match="POLICYCLF_TOKENIZER='spacy'"):
        tokenize("科技")


def test_unknown_backend_is_rejected() -> None:
    with pytest.raises(PolicyclfError, match="'thulac'"):
        set_backend("thulac")


def test_falls_back_to_jieba_without_rjieba(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tok, "_rjieba_available", lambda: False)
    monkeypatch.delenv(tok.ENV_VAR, raising=False)
    set_backend(None)
    assert backend() == "jieba"
    monkeypatch.setenv(tok.ENV_VAR, "rjieba")
    set_backend(None)
    with pytest.warns(RuntimeWarning, match="rjieba cannot be imported"):
        assert backend() == "jieba"
    with pytest.raises(PolicyclfError, match="rjieba"):
        set_backend("rjieba")


def test_concurrent_first_calls_agree() -> None:
    set_backend(None)
    text = "深化职务科技成果赋权改革，推行揭榜挂帅和赛马制。"
    results: list[list[str]] = []

    def worker() -> None:
        results.append(tokenize(text))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert all(r == results[0] for r in results)
    assert "赋权改革" in results[0] and "揭榜挂帅" in results[0]
