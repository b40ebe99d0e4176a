"""Layout rules for real documents: page furniture, titles split over lines, inline headings."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyclf.readers import Document, parse_document
from policyclf.readers.furniture import furniture_fields, is_furniture
from policyclf.readers.metadata import iso_date

POOL = Path(__file__).resolve().parents[1] / ".." / "shared" / "pool"


def assert_offsets(d: Document) -> None:
    for part in (*d.headings, *d.paragraphs, *d.sentences, *d.dropped):
        assert d.text[part.start : part.end] == part.text


PAGE_TEXT = """您现在所在的位置：首页 > 政务公开 > 政策文件
【字体：大 中 小】 打印本页 关闭窗口
索引号：11370000/2020-00321 主题分类：科技
发布机构：某省科学技术厅 发布日期：2020年6月3日
发文字号：某科发〔2020〕12号
某省科学技术厅关于印发
某省新型研发机构管理办法的通知
各市科技局：
现将《某省新型研发机构管理办法》印发给你们，请认真贯彻执行。
一、总体要求 坚持企业主体、市场导向。
（十九）强化政策保障。对新型研发机构给予最高500万元补助。
分享到： 微信 微博 QQ空间
扫一扫在手机打开当前页
"""


def test_government_page_furniture_is_dropped_and_kept_as_metadata() -> None:
    d = parse_document(PAGE_TEXT)
    assert_offsets(d)
    furniture = [x.text for x in d.dropped if x.kind == "furniture"]
    assert furniture == [
        "您现在所在的位置：首页 > 政务公开 > 政策文件",
        "【字体：大 中 小】 打印本页 关闭窗口",
        "索引号：11370000/2020-00321 主题分类：科技",
        "发布机构：某省科学技术厅 发布日期：2020年6月3日",
        "发文字号：某科发〔2020〕12号",
        "分享到： 微信 微博 QQ空间",
        "扫一扫在手机打开当前页",
    ]
    texts = [p.text for p in d.paragraphs]
    assert not any(t in texts for t in furniture)
    assert dict(d.metadata) == {
        "title": "某省科学技术厅关于印发某省新型研发机构管理办法的通知",
        "date": "2020-06-03",
        "issuer": "某省科学技术厅",
        "doc_number": "某科发〔2020〕12号",
    }


def test_a_title_split_over_two_lines_is_one_heading() -> None:
    d = parse_document(PAGE_TEXT)
    title = d.headings[0]
    assert title.style == "document"
    assert title.text == "某省科学技术厅关于印发\n某省新型研发机构管理办法的通知"
    assert title.title == "某省科学技术厅关于印发某省新型研发机构管理办法的通知"
    assert d.paragraphs[0].text == "各市科技局："
    assert d.paragraphs[0].headings == (title.text,)
    # three lines with a bracketed subtitle, blank lines between
    text = "某市支持科技型企业发展\n\n若干政策措施\n（2021-2023年）\n\n一、总则\n加强统筹。\n"
    d = parse_document(text)
    assert d.headings[0].title == "某市支持科技型企业发展若干政策措施（2021-2023年）"
    assert [h.text for h in d.headings[1:]] == ["一、总则"]


def test_lines_that_are_not_a_split_title_stay_apart() -> None:
    d = parse_document("各区县科技局\n市直各部门\n现将有关事项通知如下。\n")
    assert all("\n" not in h.text for h in d.headings)  # an addressee list is not one title
    assert "市直各部门" in [p.text for p in d.paragraphs]
    d = parse_document("关于做好申报工作的通知\n一、申报条件\n具有独立法人资格。\n")
    assert [h.style for h in d.headings] == ["document", "cn_num"]
    assert d.headings[0].text == "关于做好申报工作的通知"


def test_inline_headings_are_headings_and_the_rest_is_body_text() -> None:
    d = parse_document(PAGE_TEXT)
    by_text = {h.text: h for h in d.headings}
    assert by_text["一、总体要求"].style == "cn_num"
    assert by_text["（十九）强化政策保障。"].style == "cn_paren"
    body = {p.text: p for p in d.paragraphs}
    assert body["坚持企业主体、市场导向。"].headings[-1] == "一、总体要求"
    assert body["对新型研发机构给予最高500万元补助。"].headings[-2:] == (
        "一、总体要求",
        "（十九）强化政策保障。",
    )


@pytest.mark.parametrize(
    "line",
    [
        "（一）对新建省级重点实验室，给予500万元支持。",  # a clause: a sentence, not a heading
        "1.5倍以上的，给予奖励。",  # a number, not a marker
        "一、对引进的人才给予安家补贴，按年度发放。",  # the first part has a comma
    ],
)
def test_numbered_sentences_are_not_split(line: str) -> None:
    d = parse_document(f"一、总则\n{line}\n")
    assert [p.text for p in d.paragraphs] == [line]


def test_table_of_contents_lines_are_not_split_at_their_leaders() -> None:
    d = parse_document("目录\n三、建设内容..........1\n（一）指导思想……2\n正文开始。\n")
    assert [h.text for h in d.headings][-2:] == ["三、建设内容..........1", "（一）指导思想……2"]
    assert [p.text for p in d.paragraphs] == ["正文开始。"]


@pytest.mark.parametrize(
    "line",
    [
        "对发布日期在2020年以后的项目给予支持。",  # a sentence mentioning a key word
        "来源于企业的研发投入，按比例给予补助。",
        "加强打印设备、关闭电源等节能管理",  # tool words inside text
        "各单位要认真学习领会，抓好贯彻落实",
    ],
)
def test_document_sentences_are_never_furniture(line: str) -> None:
    assert not is_furniture(line)


def test_furniture_fields() -> None:
    assert furniture_fields("发布机构：某市人民政府 成文日期：2019-01-02 发布日期：2019-01-05") == {
        "issuer": "某市人民政府",
        "date": "2019-01-02",
    }
    assert furniture_fields("鲁政发〔2018〕3号") == {"doc_number": "鲁政发〔2018〕3号"}


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2018年1月5日", "2018-01-05"),
        ("2018-01-05 10:20:00", "2018-01-05"),
        ("2018/1/5", "2018-01-05"),
        ("二〇一八年一月五日", "2018-01-05"),
        ("二〇二一年十二月三十日", "2021-12-30"),
        ("2018年3月", "2018-03"),
        ("2018年", "2018"),
        ("无日期", ""),
    ],
)
def test_iso_date(value: str, iso: str) -> None:
    assert iso_date(value) == iso


def test_pool_documents_read_with_exact_offsets() -> None:
    """Real documents (read at run time, never copied): offsets hold, nothing is lost."""
    files = [POOL / "policies.jsonl", POOL / "government_work_reports.jsonl"]
    if not all(f.is_file() for f in files):
        pytest.skip(f"the shared pool is not at {POOL}")
    n = 0
    for f in files:
        with f.open(encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if i % 7:
                    continue
                row = json.loads(line)
                d = parse_document(row["text"])
                assert_offsets(d)
                kept = sum(len(p.text) for p in d.paragraphs) + sum(len(h.text) for h in d.headings)
                dropped = sum(len(x.text) for x in d.dropped)
                visible = len("".join(row["text"].split()))
                assert kept + dropped >= 0.95 * visible, row["id"]
                n += 1
    assert n > 30


_PIECES = [
    "一、",
    "（二）",
    "3．",
    "第一章",
    "加强统筹。",
    "对人才给予补贴",
    "，",
    "。",
    " ",
    "\u3000",
    "\n",
    "\r\n",
    "\n\n",
    "索引号：",
    "发布日期：2020年1月2日",
    "打印本页",
    "关于印发",
    "的通知",
    "鲁政发〔2018〕3号",
    "ABCdef123456ghiJKL789mnoPQR",
    "《",
    "》",
    "“",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=5), max_size=40))
def test_any_text_parses_with_exact_offsets(parts: list[str]) -> None:
    text = "".join(parts)
    d = parse_document(text)
    assert_offsets(d)
    for p in d.paragraphs:
        assert p.text.strip() == p.text and p.text
    spans = sorted((x.start, x.end) for x in (*d.headings, *d.paragraphs))
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start  # headings and paragraphs never overlap


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<div class='nav'>",
                "</div>",
                "<br>",
                "<h2>",
                "</h2>",
                "<table>",
                "<tr>",
                "<td>",
                "</td>",
                "</tr>",
                "<script>",
                "</script>",
                "&nbsp;",
                "&lt;",
                "<",
                "一、总体要求",
                "加强统筹。",
                "索引号：1",
                "<!--",
                "-->",
                "<meta name='PubDate' content='2020-01-02'>",
            ]
        )
        | st.text(max_size=4),
        max_size=40,
    )
)
def test_any_markup_parses(parts: list[str]) -> None:
    from policyclf.readers.html import parse_html

    d = parse_html("".join(parts))
    assert_offsets(d)
    assert "<script" not in d.text.lower()
